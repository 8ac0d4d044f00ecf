"""clean never changes what code or JSON means (issue 13 item 4): a fix that would is not applied,
the record goes to quarantine with the reason; a kept record's code that compiled still compiles."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import ROOT, shared_file
from curate.clean import clean
from curate.pii.meaning import broken_parses, code_conflict, parses


def _result(rows, spans, *, field="output"):
    """Just what clean() reads: records flagged by one error rule with the scrub fix."""
    records = [{"id": f"r{i}", "fields": [{"name": field, "role": "assistant", "text": r[field]}]}
               for i, r in enumerate(rows)]
    ds = SimpleNamespace(records=records, raw=rows, locators=[f"item {i}" for i in range(len(rows))], invalid=[])
    ds.__len__ = lambda: len(rows)
    ids = [r["id"] for r in records]
    outcome = SimpleNamespace(rule="no_pii", check="require_no_pii_in_answers", severity="error", status="fail",
                              flagged=[i for i, s in zip(ids, spans) if s], evidence={i: "PII" for i in ids})
    rules = SimpleNamespace(rules=[SimpleNamespace(name="no_pii", params={})])
    return SimpleNamespace(dataset=_Sized(ds, len(rows)), signals=pd.DataFrame({"id": ids, "pii_spans": spans}),
                           outcomes=[outcome], rules=rules)


class _Sized:
    def __init__(self, ds, n):
        self.__dict__.update(ds.__dict__)
        self._n = n

    def __len__(self):
        return self._n


def _span(text, value, etype, field="output"):
    at = text.index(value)
    return {"field": field, "start": at, "end": at + len(value), "entity_type": etype, "score": 0.9, "recognizer": "t"}


KEY = "sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123"
CODE_WITH_KEY = f'import openai\n\nopenai.api_key = "{KEY}"\nprint(openai.Model.list())'
PROSE = "Call Maria on +44 20 7946 0958 after six."
JSON_ANSWER = '{"name": "Maria", "phone": "+44 20 7946 0958"}'
FENCED = "Here:\n```python\nphone = 442079460958\nprint(phone)\n```\nDone."


@pytest.mark.parametrize("text,value,etype,quarantined", [
    (CODE_WITH_KEY, KEY, "API_KEY", True),
    (JSON_ANSWER, "+44 20 7946 0958", "PHONE_NUMBER", True),
    (FENCED, "442079460958", "PHONE_NUMBER", True),
    (PROSE, "+44 20 7946 0958", "PHONE_NUMBER", False),
], ids=["key-in-code", "phone-in-json", "number-in-fenced-code", "phone-in-prose"])
def test_a_scrub_inside_code_quarantines_instead(text, value, etype, quarantined):
    rows = [{"instruction": "q", "output": text}]
    res = clean(_result(rows, [[_span(text, value, etype)]]), pii_mode="redact")
    if quarantined:
        (q,) = res.quarantine
        assert q["record"] == rows[0] and res.kept_rows == [] and res.changes == []
        assert q["reasons"][0]["rule"] == "no_pii" and "not scrubbed: output:" in q["reasons"][0]["evidence"]
        assert f"{etype} inside code or JSON" in q["reasons"][0]["evidence"]
    else:
        assert res.quarantine == [] and res.kept_rows[0]["output"] == "Call Maria on <PHONE_NUMBER> after six."


def test_a_fix_that_breaks_code_is_not_applied(monkeypatch):
    """The guard after every fix, on its own: were the code test to miss a number in JSON, the
    redaction would leave `{"phone": <PHONE_NUMBER>}`; the record is quarantined whole instead."""
    import curate.pii.meaning

    monkeypatch.setattr(curate.pii.meaning, "code_conflict", lambda text, spans: None)
    text = '{"name": "Maria", "phone": 442079460958}'
    res = clean(_result([{"output": text}], [[_span(text, "442079460958", "PHONE_NUMBER")]]), pii_mode="redact")
    assert res.kept_rows == [] and res.changes == []
    (q,) = res.quarantine
    assert q["record"] == {"output": text}
    assert q["reasons"] == [{"rule": "clean_would_break_code", "check": "clean",
                             "evidence": "output: json parsed before the fix and not after: kept whole in quarantine"}]


@pytest.mark.parametrize("before,after,broken", [
    ('{"a": 1}', '{"a": <X>}', ["json"]),
    ("x = 1\nprint(x)", "x = <X>\nprint(x)", ["python"]),
    ("see:\n```python\nx = 1\n```\n", "see:\n```python\nx = <X>\n```\n", ["block 1 (python)"]),
    ("Call 555-0187 now.", "Call <PHONE_NUMBER> now.", []),
    ("604-457-4895", "<PHONE_NUMBER>", []),  # compiles as a subtraction, but it is not code
], ids=["json", "python", "fenced", "prose", "lone-number"])
def test_broken_parses(before, after, broken):
    assert broken_parses(before, after) == broken


def test_code_conflict_is_none_for_prose():
    assert code_conflict(PROSE, [_span(PROSE, "+44 20 7946 0958", "PHONE_NUMBER")]) is None


def _code_parts(row, field):
    return parses(row.get(field) or "")


@pytest.mark.parametrize("rel,field", [
    ("code_alpaca/code_alpaca_2k.json", "output"),
    ("gpteacher_codegen/codegen-instruct.json", "response"),
], ids=["code_alpaca", "gpteacher_codegen"])
def test_real_code_still_compiles_after_clean(rel, field, tmp_path, monkeypatch):
    """Every PII rule an error, every entity type scrubbed (the most a user can ask), redact mode:
    each kept record's code and JSON that parsed before still parse after."""
    from curate.audit import run_audit
    from curate.load import load_dataset

    path = shared_file(rel)
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    rows = json.loads(path.read_text())[:600]  # a slice keeps the test under a minute on 2 cores
    data = tmp_path / "data.json"
    data.write_text(json.dumps(rows))
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {check: max_pii_rate, severity: error, params: {max_rate: 0.0}}\n"
                     "  - {check: require_no_pii_in_answers, severity: error, params: {entities: [PERSON, EMAIL_ADDRESS,"
                     " PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, LOCATION, STREET_ADDRESS, URL,"
                     " API_KEY, PRIVATE_KEY, PASSWORD]}}\n")
    result = run_audit(load_dataset(data), rules=str(rules))
    res = clean(result, pii_mode="redact")
    assert len(res.kept_rows) + len(res.quarantine) == len(rows)
    by_id = {r["id"]: row for r, row in zip(result.dataset.records, rows)}
    kept_ids = [r["id"] for r in result.dataset.records if r["id"] not in {q["id"] for q in res.quarantine}]
    broken = []
    for rid, after in zip(kept_ids, res.kept_rows):
        for f in ("instruction", "input", field):
            lost = _code_parts(by_id[rid], f) - _code_parts(after, f)
            if lost:
                broken.append((rid, f, sorted(lost)))
    assert broken == []
    assert sum(bool(_code_parts(r, field)) for r in rows) > 20  # the slice does hold code that parses


SECRETS = {"API_KEY", "PRIVATE_KEY", "PASSWORD", "CREDIT_CARD", "US_SSN", "IBAN_CODE"}


@pytest.mark.parametrize("rules_file", ["default", "instruction", "classification", "strict"])
def test_secrets_and_cards_block_anywhere_in_every_rules_file(rules_file):
    """Issue 14 item 8: a card or a key in a user turn or in classification text blocks the gate."""
    from curate.rules import load_rules

    (rule,) = [r for r in load_rules(rules_file).rules if r.name == "secrets_and_financial_ids"]
    assert rule.check == "max_pii_rate" and rule.severity == "error"
    assert set(rule.params["entities"]) == SECRETS and not rule.params.get("roles")
    assert rule.params["max_rate"] == 0.0


def test_a_card_in_a_user_turn_is_scrubbed_by_clean(tmp_path):
    """With the rule as shipped in default.yaml, clean scrubs a card in a prompt (it used to stay)."""
    import yaml

    from curate.cli import main

    spec = next(r for r in yaml.safe_load((ROOT / "audit_rules" / "default.yaml").read_text())["rules"]
                if r.get("name") == "secrets_and_financial_ids")
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [spec]}))
    rows = [{"instruction": "Charge my card 4242 4242 4242 4242 for the order.", "input": "", "output": "Done."},
            {"instruction": "What is 2 + 2?", "input": "", "output": "4"}]
    data = tmp_path / "d.json"
    data.write_text(json.dumps(rows))
    out = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out)]) == 0
    kept = json.loads((out / "d.json").read_text())
    assert kept[0]["instruction"] == "Charge my card <CREDIT_CARD> for the order." and kept[1] == rows[1]
