"""clean loses nothing: input = kept + quarantined, every change listed, output in the input format."""

from __future__ import annotations

import csv
import json

import pytest

from curate.checks import CheckResult, register_check
from curate.cli import main


@register_check("_test_drop_bad", fix="drop")
def _drop_bad(signals, ctx) -> CheckResult:
    """Records whose text contains 'BAD' (test check)."""
    ids = [r["id"] for r in ctx.dataset.records if "BAD" in r["prompt"] + r["response"]]
    return CheckResult(value=len(ids), passed=not ids, flagged=ids, evidence={i: "contains BAD" for i in ids})


RULES = "rules:\n  - {check: _test_drop_bad, severity: error}\n"


@pytest.mark.parametrize("name,content,reader", [
    ("d.jsonl", '{"id": "a", "text": "fine", "label": "x"}\n{"id": "b", "text": "BAD one", "label": "y"}\n'
                '{"id": "c", "text": "also fine", "label": "x"}\n',
     lambda p: [json.loads(x) for x in p.read_text().splitlines()]),
    ("d.csv", "text,label,extra\nfine,x,1\nBAD one,y,2\nalso fine,x,3\n",
     lambda p: list(csv.DictReader(p.open()))),
    ("d.json", json.dumps([{"instruction": "fine", "output": "o"}, {"instruction": "q", "output": "BAD"},
                           {"instruction": "also fine", "output": "o2"}]),
     lambda p: json.loads(p.read_text())),
], ids=["jsonl", "csv", "json"])
def test_clean_quarantines_with_reason_and_keeps_format(tmp_path, name, content, reader):
    data = tmp_path / name
    data.write_text(content)
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    out = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out)]) == 0
    kept = reader(out / name)
    original = reader(data)
    assert kept == [original[0], original[2]], "kept records are unchanged and in order"
    (q,) = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert q["record"] == original[1]
    assert q["reasons"] == [{"rule": "_test_drop_bad", "check": "_test_drop_bad", "evidence": "contains BAD"}]
    m = json.loads((out / "manifest.json").read_text())
    assert (m["input"], m["kept"], m["quarantined"]) == (3, 2, 1)
    assert m["input"] == m["kept"] + m["quarantined"]


def test_invalid_records_are_quarantined_too(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "fine"}\n{"text": 5}\n{"text": "BAD"}\n')
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    out = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out), "--skip-invalid"]) == 0
    q = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert [x["reasons"][0]["rule"] for x in q] == ["invalid_record", "_test_drop_bad"]
    assert q[0]["record"] == {"text": 5}
    m = json.loads((out / "manifest.json").read_text())
    assert (m["input"], m["kept"], m["quarantined"]) == (3, 1, 2)


def test_keep_pii_mapping_needs_pseudonymize(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "fine"}\n')
    assert main(["clean", str(data), "--out", str(tmp_path / "o"), "--keep-pii-mapping", str(tmp_path / "m.json")]) == 2
    assert "--pii-mode pseudonymize" in capsys.readouterr().err
