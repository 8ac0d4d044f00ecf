"""Scrubbing: every mode keeps offsets and chat structure valid; pseudonyms are consistent."""

from __future__ import annotations

import json
import re

import pytest

from curate.errors import CurateError
from curate.pii.scrub import MODES, Pseudonymizer, mask_value, non_overlapping, scrub_record
from pii_helpers import planted_pii, real_detector, sample_sft

USER = "Hi, I'm Jane Doe. Mail jane@corp.com or call (212) 555-0187. Card 4242 4242 4242 4242."
BOT = "Thanks Jane Doe, I wrote to jane@corp.com about card 4242 4242 4242 4242."
FIELDS = [{"name": "messages.0.content", "role": "user", "text": USER},
          {"name": "messages.1.content", "role": "assistant", "text": BOT}]


def spans_for(field, text, items):
    return [{"field": field, "start": text.index(v), "end": text.index(v) + len(v), "entity_type": t, "score": 0.9,
             "recognizer": "test"} for v, t in items]


SPANS = (spans_for("messages.0.content", USER, [("Jane Doe", "PERSON"), ("jane@corp.com", "EMAIL_ADDRESS"),
                                                 ("(212) 555-0187", "PHONE_NUMBER"),
                                                 ("4242 4242 4242 4242", "CREDIT_CARD")])
         + spans_for("messages.1.content", BOT, [("Jane Doe", "PERSON"), ("jane@corp.com", "EMAIL_ADDRESS"),
                                                  ("4242 4242 4242 4242", "CREDIT_CARD")]))
RAW = ["Jane", "jane@corp.com", "555-0187", "4242 4242 4242 4242"]


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_removes_every_value_and_keeps_the_rest(mode):
    new, changes = scrub_record(FIELDS, SPANS, mode=mode, pseudonymizer=Pseudonymizer(seed=3))
    assert set(new) == {"messages.0.content", "messages.1.content"}
    for text in new.values():
        for raw in RAW[:3]:
            assert raw not in text
        assert "4242 4242 4242 4242" not in text
    # the text between spans is untouched: offsets stayed right while replacing right to left
    assert new["messages.0.content"].startswith("Hi, I'm ") and new["messages.0.content"].endswith(".")
    assert " or call " in new["messages.0.content"] and "I wrote to " in new["messages.1.content"]
    assert len(changes) == len(SPANS)
    assert all(set(c) == {"field", "entity_type", "start", "end", "replacement_kind"} for c in changes)
    assert not any(raw in json.dumps(changes) for raw in RAW)  # change log carries no values


def test_redact_places_typed_placeholders_in_order():
    new, _ = scrub_record(FIELDS, SPANS, mode="redact")
    assert new["messages.0.content"] == ("Hi, I'm <PERSON>. Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>. "
                                         "Card <CREDIT_CARD>.")


def test_mask_keeps_length_and_shape():
    new, _ = scrub_record(FIELDS, SPANS, mode="mask")
    assert len(new["messages.0.content"]) == len(USER)
    assert "j***@c***.com" in new["messages.0.content"] and "**** **** **** 4242" in new["messages.0.content"]


@pytest.mark.parametrize("value,etype,masked", [
    ("john.smith@example.com", "EMAIL_ADDRESS", "j*********@e******.com"),
    ("4242-4242-4242-4242", "CREDIT_CARD", "****-****-****-4242"),
    ("Maria Whitfield", "PERSON", "M**** W********"),
    ("sk-live-abc123", "API_KEY", "**************"),
    ("078-05-1120", "US_SSN", "***********"),
], ids=["email", "card", "person", "api-key", "ssn"])
def test_mask_value(value, etype, masked):
    assert mask_value(value, etype) == masked


def test_pseudonyms_are_consistent_across_turns_and_records():
    p = Pseudonymizer(seed=7)
    new1, _ = scrub_record(FIELDS, SPANS, mode="pseudonymize", pseudonymizer=p)
    other = [{"name": "output", "role": "assistant", "text": "Jane Doe paid with 4242 4242 4242 4242; Jane agreed."}]
    t = other[0]["text"]
    sp = spans_for("output", t, [("Jane Doe", "PERSON"), ("4242 4242 4242 4242", "CREDIT_CARD")])
    sp += [{"field": "output", "start": t.rindex("Jane"), "end": t.rindex("Jane") + 4, "entity_type": "PERSON",
            "score": 0.85}]
    new2, _ = scrub_record(other, sp, mode="pseudonymize", pseudonymizer=p)
    fake_name, fake_card, fake_mail = p.mapping["Jane Doe"], p.mapping["4242 4242 4242 4242"], p.mapping["jane@corp.com"]
    assert fake_name in new1["messages.0.content"] and fake_name in new1["messages.1.content"]
    assert fake_mail in new1["messages.0.content"] and fake_mail in new1["messages.1.content"]
    assert new2["output"].startswith(fake_name) and fake_card in new2["output"]
    assert new2["output"].endswith(f"; {fake_name.split()[0]} agreed.")  # a first name alone maps to the same first name
    assert re.fullmatch(r"4\d{3} \d{4} \d{4} \d{4}", fake_card) and luhn_ok(fake_card)
    # another run with the same seed gives the same fakes; a different original never shares a fake
    assert Pseudonymizer(seed=7).replace("jane@corp.com", "EMAIL_ADDRESS") == fake_mail
    assert p.replace("john@corp.com", "EMAIL_ADDRESS") != fake_mail


def luhn_ok(number):
    ds = [int(c) for c in number if c.isdigit()]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(ds))) % 10 == 0


def test_overlapping_spans_keep_the_longer_one():
    text = "Contact jane.doe@example.com now"
    spans = spans_for("output", text, [("jane.doe@example.com", "EMAIL_ADDRESS"), ("example.com", "URL"),
                                       ("jane.doe", "PERSON")])
    assert [s["entity_type"] for s in non_overlapping(spans)] == ["EMAIL_ADDRESS"]
    new, changes = scrub_record([{"name": "output", "role": "assistant", "text": text}], spans, mode="redact")
    assert new == {"output": "Contact <EMAIL_ADDRESS> now"} and len(changes) == 1


@pytest.mark.parametrize("spans,match", [
    ([{"field": "output", "start": 5, "end": 99, "entity_type": "PERSON"}], "outside the text"),
    ([{"field": "input", "start": 0, "end": 2, "entity_type": "PERSON"}], "fields the record does not have"),
], ids=["stale-offsets", "unknown-field"])
def test_stale_spans_are_refused(spans, match):
    with pytest.raises(ValueError, match=match):
        scrub_record([{"name": "output", "role": "assistant", "text": "short"}], spans, mode="redact")


def test_unknown_mode_names_the_choices():
    with pytest.raises(CurateError, match="redact, mask, pseudonymize"):
        scrub_record(FIELDS, SPANS, mode="blur")


def test_no_spans_changes_nothing():
    assert scrub_record(FIELDS, [], mode="redact") == ({}, [])


@pytest.mark.parametrize("mode", MODES)
def test_sample_data_scrubbed_records_stay_valid_chats(mode):
    """Detect + scrub the records with planted PII: no planted value survives, each record still
    loads as the same chat (same turns, same roles), and pseudonyms agree across the dataset."""
    planted = planted_pii()
    ds = sample_sft()
    ids = {rid for rid, *_ in planted}
    det = real_detector()
    p = Pseudonymizer(seed=1)
    for rec, row in zip(ds.records, ds.raw):
        if rec["id"] not in ids:
            continue
        found = det.detect([f["text"] for f in rec["fields"]])
        spans = [{"field": f["name"], "start": s.start, "end": s.end, "entity_type": s.entity_type, "score": s.score}
                 for f, fs in zip(rec["fields"], found) for s in fs]
        new, _ = scrub_record(rec["fields"], spans, mode=mode, pseudonymizer=p)
        msgs = [dict(m) for m in row["messages"]]
        for name, text in new.items():
            msgs[int(name.split(".")[1])]["content"] = text
        back = json.loads(json.dumps({**row, "messages": msgs}))
        assert [m["role"] for m in back["messages"]] == [m["role"] for m in row["messages"]]
        blob = json.dumps(back)
        leaked = [v for rid, _, _, v in planted if rid == rec["id"] and v in blob]
        assert not leaked, f"{rec['id']}: {len(leaked)} planted value(s) left after {mode}"
    if mode == "pseudonymize":
        assert len(set(p.mapping.values())) == len(p.mapping)  # no two originals share a fake
