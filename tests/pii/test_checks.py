"""PII checks: per-role policy, per-type/field details, and evidence that never shows a raw value."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curate.checks import load_all
from curate.checks.registry import CheckContext
from curate.pii.checks import field_group, max_pii_rate, require_no_pii_in_answers
from pii_helpers import FakeDataset, chat_record, planted_pii, real_detector, sample_sft


def span(field, text, value, etype):
    return {"field": field, "start": text.index(value), "end": text.index(value) + len(value), "entity_type": etype,
            "score": 1.0, "recognizer": "test"}


U1, A1 = "my mail is ann@example.com", "Noted, I wrote to ann@example.com."
U2, A2 = "my card is 4242 4242 4242 4242", "I can't see card numbers."
RECORDS = [chat_record("r1", ("user", U1), ("assistant", A1)), chat_record("r2", ("user", U2), ("assistant", A2)),
           chat_record("r3", ("user", "hello"), ("assistant", "hi"))]
SPANS = [[span("messages.0.content", U1, "ann@example.com", "EMAIL_ADDRESS"),
          span("messages.1.content", A1, "ann@example.com", "EMAIL_ADDRESS")],
         [span("messages.0.content", U2, "4242 4242 4242 4242", "CREDIT_CARD")], []]


def run(check, records, spans, **params):
    signals = pd.DataFrame({"id": [r["id"] for r in records], "pii_spans": spans})
    return check(signals, CheckContext(dataset=FakeDataset(records)), **params)


def test_checks_are_registered_with_the_scrub_fix():
    checks = load_all()
    for name in ("require_no_pii_in_answers", "max_pii_rate"):
        assert checks[name].fix == "scrub_pii" and checks[name].needs == ("pii",)


@pytest.mark.parametrize("records,spans,params,passed,flagged", [
    (RECORDS, SPANS, {}, False, ["r1"]),
    (RECORDS, SPANS, {"max_count": 1}, True, ["r1"]),
    (RECORDS[1:], SPANS[1:], {}, True, []),  # PII only in a user turn: answers are clean
    (RECORDS, SPANS, {"entities": ["CREDIT_CARD"]}, True, []),
    ([], [], {}, False, []),  # empty dataset never passes
    (RECORDS[2:], SPANS[2:], {}, True, []),  # single clean record
], ids=["fail-answer-pii", "pass-max-count", "pass-user-only", "pass-entity-filter", "edge-empty", "edge-single"])
def test_require_no_pii_in_answers(records, spans, params, passed, flagged):
    res = run(require_no_pii_in_answers, records, spans, **params)
    assert res.passed is passed and res.flagged == flagged and res.value == len(flagged)
    if flagged:
        assert res.evidence["r1"] == "EMAIL_ADDRESS in messages.1.content (assistant): a**@e******.com"
        assert res.details["table"] == [{"entity_type": "EMAIL_ADDRESS", "field": "messages.*.content",
                                         "role": "assistant", "spans": 1, "records": 1}]


@pytest.mark.parametrize("params,passed,flagged", [
    ({}, False, ["r1", "r2"]),
    ({"max_rate": 0.7}, True, ["r1", "r2"]),
    ({"roles": ["assistant"], "max_rate": 0.34}, True, ["r1"]),
    ({"entities": ["PERSON"]}, True, []),
], ids=["fail-default", "pass-rate", "roles-filter", "entity-filter"])
def test_max_pii_rate(params, passed, flagged):
    res = run(max_pii_rate, RECORDS, SPANS, **params)
    assert res.passed is passed and res.flagged == flagged
    if "r2" in flagged:
        assert res.evidence["r2"] == "CREDIT_CARD in messages.0.content (user): **** **** **** 4242"
        assert res.details["by_entity_type"] == {"EMAIL_ADDRESS": 2, "CREDIT_CARD": 1}


def test_max_pii_rate_empty_fails():
    assert not run(max_pii_rate, [], []).passed


def test_field_group_folds_turn_numbers():
    assert field_group("messages.12.content") == "messages.*.content" and field_group("output") == "output"


def test_sample_data_checks_never_show_a_planted_value():
    planted = planted_pii()
    planted_ids = {rid for rid, *_ in planted}
    records = [r for i, r in enumerate(sample_sft().records) if r["id"] in planted_ids or i < 60]  # + some clean ones
    det = real_detector()
    found = iter(det.detect([f["text"] for r in records for f in r["fields"]]))
    spans = [[{"field": f["name"], "start": s.start, "end": s.end, "entity_type": s.entity_type, "score": s.score,
               "recognizer": s.recognizer} for f in r["fields"] for s in next(found)] for r in records]
    signals = pd.DataFrame({"id": [r["id"] for r in records], "pii_spans": spans})
    ctx = CheckContext(dataset=FakeDataset(records))
    by_id = {r["id"]: r for r in records}
    results = [require_no_pii_in_answers(signals, ctx), max_pii_rate(signals, ctx)]
    blob = json.dumps([[r.evidence, r.details, r.message] for r in results])
    assert planted_ids <= set(results[1].flagged)  # every record with planted PII is flagged
    answer_ids = {rid for rid, field, *_ in planted
                  if next(f for f in by_id[rid]["fields"] if f["name"] == field)["role"] == "assistant"}
    assert answer_ids <= set(results[0].flagged)
    leaked = [v for *_, v in planted if v in blob]
    assert not leaked, f"{len(leaked)} planted values appear in check output"


def test_location_alone_is_not_counted_unless_asked():
    text = "The charge came from a hotel in Germany."
    recs = [chat_record("r1", ("user", "hi"), ("assistant", text))]
    spans = [[span("messages.1.content", text, "Germany", "LOCATION")]]
    assert run(require_no_pii_in_answers, recs, spans).passed
    res = run(require_no_pii_in_answers, recs, spans, entities=["LOCATION"])
    assert not res.passed and res.evidence["r1"] == "LOCATION in messages.1.content (assistant): *******"
