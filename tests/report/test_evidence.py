"""Evidence in context, the record browser's data and the next steps, without a browser."""

from __future__ import annotations

import json

import pytest

from curate.report import evidence as ev
from curate.report.browser import records_payload, script_json
from curate.report.sanitize import Sanitizer

EMAIL = "jane.doe@example.org"


def rec(text: str, prompt: str = "Where do I write?") -> dict:
    return {"id": "r1", "prompt": prompt, "response": text, "label": None,
            "fields": [{"name": "instruction", "role": "user", "text": prompt},
                       {"name": "output", "role": "assistant", "text": text}]}


def test_a_pii_value_is_masked_in_its_own_span_and_the_rest_stays_readable():
    text = f"Spain is lovely. For refunds write to {EMAIL} and mention the order number."
    start = text.index(EMAIL)
    spans = [{"field": "output", "start": start, "end": start + len(EMAIL), "entity_type": "EMAIL_ADDRESS"}]
    san = Sanitizer({EMAIL: "EMAIL_ADDRESS"})
    [c] = ev.pii_contexts(rec(text), spans, san)
    assert c["mark"] == "<EMAIL_ADDRESS …rg>" and c["field"] == "output"
    assert c["before"] == "Spain is lovely. For refunds write to " and c["after"].startswith(" and mention the order")
    assert EMAIL not in json.dumps(c) and "jane" not in json.dumps(c)


def test_a_long_field_shows_a_window_around_the_span_with_ellipses():
    text = "word " * 200 + EMAIL + " tail" * 200
    start = text.index(EMAIL)
    spans = [{"field": "output", "start": start, "end": start + len(EMAIL), "entity_type": "EMAIL_ADDRESS"}]
    [c] = ev.pii_contexts(rec(text), spans, Sanitizer({EMAIL: "EMAIL_ADDRESS"}))
    assert c["before"].startswith("…") and c["after"].endswith("…")
    assert len(c["before"]) <= ev.CONTEXT + 2 and len(c["after"]) <= ev.CONTEXT + 2


@pytest.mark.parametrize("evidence, mark, note", [
    ("answer ends mid-sentence: 'and then the'", "and then the", None),
    ('placeholder text "Lorem ipsum dolor…" in the answer', "Lorem ipsum dolor", None),
    ("the same 4 words repeat 5 times", "", "start of the field"),
], ids=["single-quoted", "cut-double-quoted", "no-quote-falls-back-to-field-start"])
def test_other_findings_highlight_the_snippet_their_evidence_quotes(evidence, mark, note):
    r = rec("Lorem ipsum dolor sit amet. We looked into it, and then the")
    c = ev.snippet_context(r, evidence, Sanitizer({}), prefer_answer=True)
    assert c["mark"] == mark
    assert c["field"] == "output"
    if note:
        assert note in c["note"] and c["after"].startswith("Lorem ipsum")


def test_an_empty_answer_is_said_to_be_empty():
    c = ev.snippet_context(rec(""), "empty: output: empty string", Sanitizer({}), prefer_answer=True)
    assert c["field"] == "output" and c["note"] == "the field is empty"


def test_duplicates_mark_only_the_words_that_differ():
    left, right = ev.word_diff("Refunds go back to the same card within five days.",
                               "Refunds go back to the original card within five days.", Sanitizer({}))
    assert [t for same, t in left if not same] == ["same"] and [t for same, t in right if not same] == ["original"]
    assert "".join(t for _, t in right) == "Refunds go back to the original card within five days."


def test_a_cut_side_by_side_view_shows_no_difference_at_the_cut():
    text = " ".join(f"w{i}" for i in range(400))
    left, right = ev.word_diff(text, text + " extra", Sanitizer({}), limit=100)
    assert all(same for same, _ in left) and all(same for same, _ in right)
    assert left[-1][1].endswith("…")


@pytest.mark.parametrize("text", ["</script><script>alert(1)</script>", "<!-- x", "a & b > c", "\u2028line"],
                         ids=["script-end", "comment-open", "entities", "line-separator"])
def test_embedded_json_cannot_end_its_script_block(text):
    out = script_json([{"id": text}])
    assert "<" not in out and ">" not in out and "\u2028" not in out
    assert json.loads(out) == [{"id": text}]


@pytest.fixture(scope="module")
def small():
    from synthetic import big_result

    return big_result(700)


def test_the_browser_data_holds_each_finding_in_context(small):
    p = records_payload(small, Sanitizer.from_result(small))
    assert p["total"] == p["shown"] == small.signals["flagged_by"].map(len).gt(0).sum()
    by_rule = {f["rule"]: f for r in p["records"] for f in r["f"]}
    dup = by_rule["max_near_duplicate_rate"]["dup"]
    assert dup["kept"].startswith("rec-") and dup["sim"].startswith("Jaccard 0.")
    pii = by_rule["require_no_pii_in_answers"]["ctx"][0]
    assert pii["mark"].startswith("<EMAIL_ADDRESS …") and "@example.com" not in json.dumps(p)
    trunc = by_rule["max_truncated_answers"]["ctx"][0]
    assert trunc["mark"] and trunc["field"] == "output"
    scores = [r["s"] for r in p["records"]]
    assert scores == sorted(scores, reverse=True)  # most serious first


def test_an_info_rule_under_its_threshold_still_shows_the_records_it_notes(small):
    from dataclasses import replace

    o = next(o for o in small.outcomes if o.rule == "max_repetition")
    info = replace(o, rule="max_label_issue_rate", check="max_label_issue_rate", severity="info", status="pass",
                   flagged=[], noted=list(o.flagged))
    result = replace(small, outcomes=[*small.outcomes, info])
    p = records_payload(result, Sanitizer({}))
    assert p["rules_shown"]["max_label_issue_rate"] == len(o.flagged)
    assert {f["sev"] for r in p["records"] for f in r["f"] if f["rule"] == "max_label_issue_rate"} == {"info"}


def test_the_browser_data_is_bounded_and_says_how_many_it_left_out(small):
    p = records_payload(small, Sanitizer({}), budget=60_000)
    assert 0 < p["shown"] < p["total"]
    assert len(script_json(p["records"])) < 60_000
    # the least serious rule (a warning under many errors) still has records to read
    assert p["rules_shown"].get("max_repetition", 0) > 0


def test_next_steps_give_the_clean_command_and_what_clean_does_per_rule(small):
    from curate.report.nextsteps import next_steps
    from curate.report.write import audit_json

    doc = audit_json(small)
    steps = next_steps(small, doc, "out/big")
    assert steps["command"].startswith("curate clean ") and doc["dataset"]["path"] in steps["command"]
    assert " --rules default " in steps["command"] and steps["command"].endswith("--out out/big-clean")
    rows = {r["rule"]: r for r in steps["rows"]}
    assert rows["max_near_duplicate_rate"]["kind"] == "drop"
    assert rows["max_near_duplicate_rate"]["flagged"] == len(small.outcomes[0].flagged)
    assert rows["require_no_pii_in_answers"]["kind"] == "scrub"
    assert rows["max_truncated_answers"]["kind"] == "person" and "--fix-warned" in rows["max_truncated_answers"]["action"]
    assert steps["totals"]["drop"] == len(small.outcomes[0].flagged) and steps["command_warned"].endswith("--fix-warned")


def test_label_issue_neighbours_come_from_the_embed_stage_matrix():
    """The embedding is an artifact now (embeddings.npy), not a signals column: the neighbours read it."""
    import types

    import numpy as np

    from curate.report.browser import _neighbours

    records = [{"id": f"r{i}", "label": lab, "prompt": f"text {i}"} for i, lab in enumerate("aabb")]
    matrix = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    result = types.SimpleNamespace(dataset=types.SimpleNamespace(records=records), embeddings=matrix)
    got = _neighbours(result, 0, Sanitizer({}), k=2)
    assert [n["id"] for n in got] == ["r1", "r3"] and got[0]["label"] == "a" and got[0]["sim"] > 0.99
    assert _neighbours(types.SimpleNamespace(dataset=result.dataset, embeddings=None), 0, Sanitizer({})) == []
