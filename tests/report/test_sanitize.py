"""The PII sanitiser removes found values from report text without mangling curate's own words."""

from __future__ import annotations

import pytest

from curate.report.sanitize import Sanitizer

SAN = Sanitizer({"Jane Doe": "PERSON", "jane@example.com": "EMAIL_ADDRESS", "max": "PERSON", "Max": "PERSON"})


@pytest.mark.parametrize("text,expected", [
    ("call Jane Doe at jane@example.com", "call <PERSON> at <EMAIL_ADDRESS>"),
    ("Max asked about the max top-up", "<PERSON> asked about the max top-up"),  # lowercase "max" is a word
    ("max_exact_duplicate_rate", "max_exact_duplicate_rate"),
    ("Maximum limit", "Maximum limit"),
], ids=["values", "whole-words", "identifier-untouched", "longer-word-untouched"])
def test_record_text(text, expected):
    assert SAN.text(text) == expected


def test_prose_keeps_lowercase_words_but_removes_distinctive_values():
    assert SAN.prose("3 of 10 records (max 1%); Max and jane@example.com") == \
        "3 of 10 records (max 1%); <PERSON> and <EMAIL_ADDRESS>"


def test_nested_structures_and_empty_sanitiser():
    assert SAN.clean({"a": ["Jane Doe", 3]}) == {"a": ["<PERSON>", 3]}
    assert Sanitizer({}).text("Jane Doe") == "Jane Doe"


# ---- cut values, escaped values, names ---------------------------------------------------------

KEY = "sk-proj-Xq7vB2mN9pL4kR8sT1wY6zA3cD5fG0hJ"
CUT = Sanitizer({KEY: "API_KEY", "Tr0ub4dor&3x": "PASSWORD", "mark.hughes@hughesco.com": "EMAIL_ADDRESS",
                 "Jane Doe": "PERSON"})


@pytest.mark.parametrize("text,expected", [
    (f"my token is {KEY[:14]}", "my token is <API_KEY>"),  # evidence cut at its end
    (f"token {KEY[:12]}… and more", "token <API_KEY>… and more"),  # cut next to an ellipsis
    (f"…{KEY[-20:]} please rotate", "…<API_KEY> please rotate"),  # excerpt that starts mid-value
    (f'rec-1 ("{KEY[:11]}")', 'rec-1 ("<API_KEY>")'),  # quoted, then cut
    ("write to hughes@hughesco.com now", "write to hughes@hughesco.com now"),  # mid-string: not a cut edge
    ("call Jane D", "call <PERSON>"),
    ("the plan is fine", "the plan is fine"),  # ordinary words are nobody's prefix
    ("sk-", "sk-"),  # shorter than MIN_FRAGMENT: says nothing
    ("STREET_ADDRESS in full_text", "STREET_ADDRESS in full_text"),  # a whole value inside an identifier
], ids=["tail", "before-ellipsis", "after-ellipsis", "quoted", "inside-not-an-edge", "name-cut", "plain", "too-short",
        "identifier-at-edge"])
def test_cut_values_are_removed_at_cut_edges(text, expected):
    assert Sanitizer({**CUT.types, "STREET": "PERSON"}).text(text) == expected


def test_html_escaped_value_in_a_figure_is_removed():
    assert CUT.text("<text>pw Tr0ub4dor&amp;3x</text>") == "<text>pw <PASSWORD></text>"


def test_names_get_numbered_placeholders_so_ids_stay_distinct():
    from curate.report.sanitize import name_values

    class D:
        path = "/data/export_carol.king@kingmail.net.jsonl"
        name = "export_carol.king@kingmail.net"
        records = [{"id": "user-jane@doeshop.org", "label": "owner: dave.lee@leeworks.com"},
                   {"id": "user-bob@doeshop.org", "label": "billing"}, {"id": "rec-3", "label": "billing"}]

    san = Sanitizer({}, name_values([D()]))
    ids = [san.text(r["id"]) for r in D.records]
    assert len(set(ids)) == 3 and ids[2] == "rec-3" and all("@" not in i for i in ids)
    assert ids[0].startswith("<EMAIL_ADDRESS_") and san.text("owner: dave.lee@leeworks.com").startswith("owner: <EMAIL_")
    assert "carol" not in san.text(D.path) and san.text(D.path).endswith(".jsonl")
    assert san.prose("duplicate of user-jane@doeshop.org") == f"duplicate of {ids[0]}"


def test_safe_name_has_no_pii_and_no_angle_brackets():
    from curate.report.sanitize import safe_name

    name = safe_name("export_carol.king@kingmail.net")
    assert "carol" not in name and "<" not in name and name
    assert safe_name("train") == "train"


# ---- signals.parquet: every column, whatever its dtype, read back column by column ---------------

@pytest.mark.parametrize("dtype", ["object", "str"], ids=["object-dtype", "pandas3-str-dtype"])
def test_signals_parquet_holds_no_raw_value_in_any_column(tmp_path, dtype):
    import pandas as pd
    import pyarrow.parquet as pq

    from curate.report.write import _signals_frame
    from leak_scan import leaks

    san = Sanitizer({KEY: "API_KEY"}, {"jane@doeshop.org": "<EMAIL_ADDRESS_1>"})
    df = pd.DataFrame({"id": pd.Series(["user-jane@doeshop.org", "r2"], dtype=dtype),
                       "unanswerable_evidence": pd.Series([f"asks about {KEY[:16]}", ""], dtype=dtype),
                       "nested": [[{"quote": f"{KEY}", "n": 1}], []],
                       "embedding": [[0.1, 0.2], [0.3, 0.4]], "score": [1.0, 2.0]})
    path = tmp_path / "signals.parquet"
    _signals_frame(df, san).to_parquet(path, index=False)
    table = pq.read_table(path)
    texts = [(c, repr(table.column(c).to_pylist())) for c in table.column_names]
    assert leaks([KEY, "jane@doeshop.org"], texts) == []
    assert table.column("id").to_pylist() == ["user-<EMAIL_ADDRESS_1>", "r2"]
    assert table.column("embedding").to_pylist() == [[0.1, 0.2], [0.3, 0.4]]


def test_a_span_that_cuts_a_word_removes_the_whole_word():
    from curate.report.sanitize import span_values

    class D:
        records = [{"fields": [{"name": "t", "text": "send it to 18 McPherson Road Suite 019 CHARLEROI, Christine"}]}]

    text = D.records[0]["fields"][0]["text"]
    spans = [{"field": "t", "start": text.index("18"), "end": text.index("CHARLEROI") + 2, "entity_type": "STREET_ADDRESS"},
             {"field": "t", "start": text.index("Christine"), "end": text.index("Christine") + 8, "entity_type": "PERSON"}]

    class S:
        columns = ["pii_spans"]

        def __getitem__(self, k):
            return [spans]

    san = Sanitizer(span_values(D(), S()))
    assert san.text(text) == "send it to <STREET_ADDRESS>, <PERSON>"


@pytest.mark.parametrize("value, etype, text, kept", [
    ("input", "URL", "mapping: {'input_field': 'input'}", True),
    ("JSON", "LOCATION", "11 records have JSON answers that do not parse", True),
    ("Spain", "LOCATION", "shipped to Spain last week", False),
    ("Smith", "PERSON", "ask Smith about it", False),
], ids=["lowercase-word", "capitals-word", "place", "surname"])
def test_an_ordinary_word_is_not_masked_outside_its_own_span(value, etype, text, kept):
    from curate.report.sanitize import Sanitizer

    out = Sanitizer({value: etype}).text(text)
    assert (value in out) is kept, out


def test_an_ordinary_word_is_not_taken_for_a_cut_piece_of_a_value():
    from curate.report.sanitize import Sanitizer

    san = Sanitizer({"input.html": "URL", "sk-proj-Xq7vB2abcdef": "API_KEY"})
    assert san.text("{'input_field': 'input'}") == "{'input_field': 'input'}"  # was 'input_field': '<URL>'
    assert "Xq7v" not in san.text("the key sk-proj-Xq7v…")  # a cut piece of a value still goes


def test_positional_ids_are_not_scanned_but_ids_from_the_file_are(monkeypatch):
    from curate.pii import detect
    from curate.report.sanitize import name_values

    seen: list[str] = []
    real = detect.get_detector

    def spy(cfg):
        det = real(cfg)

        class Spy:
            def detect(self, texts):
                seen.extend(texts)
                return det.detect(texts)
        return Spy()

    monkeypatch.setattr(detect, "get_detector", spy)

    class Mapping:
        id_field = None

    class Positional:
        path, name, mapping = "/data/train.jsonl", "train", Mapping()
        records = [{"id": str(i), "label": None} for i in range(1000)]

    name_values([Positional()])
    assert not any(t.isdigit() for t in seen)  # 1,000 numbered ids: nothing to find, not scanned

    class FromFile(Positional):
        mapping = type("M", (), {"id_field": "uid"})()
        records = [{"id": "caller-628-555-0199", "label": None}]

    assert name_values([FromFile()])  # an id field's values are scanned: the phone number is found
