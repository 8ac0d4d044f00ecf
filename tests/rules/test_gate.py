"""The gate: error rules block, warnings report, crashes fail visibly, nothing is vacuously true."""

from __future__ import annotations

import json

from curate.checks import CheckResult, SkipCheck, register_check
from curate.cli import main


@register_check("_test_fail_if_any_x")
def _fail_if_any_x(signals, ctx, *, max_count: int = 0) -> CheckResult:
    """Records whose prompt contains 'x' (test check)."""
    ids = [r["id"] for r in ctx.dataset.records if "x" in r["prompt"]]
    return CheckResult(value=len(ids), passed=len(ids) <= max_count, threshold=max_count, flagged=ids,
                       evidence={i: "contains x" for i in ids}, message=f"{len(ids)} records contain x")


@register_check("_test_crash")
def _crash(signals, ctx) -> CheckResult:
    """Always crashes (test check)."""
    raise ZeroDivisionError("boom")


@register_check("_test_skip")
def _skip(signals, ctx) -> CheckResult:
    """Always skips (test check)."""
    raise SkipCheck("no --reference given")


def run(tmp_path, rules_text, rows):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in rows))
    rules = tmp_path / "r.yaml"
    rules.write_text(rules_text)
    out = tmp_path / "out"
    code = main(["audit", str(data), "--rules", str(rules), "--out", str(out)])
    return code, json.loads((out / "audit.json").read_text()) if (out / "audit.json").exists() else None


def test_error_rule_fails_gate_exit_1_with_evidence(tmp_path):
    code, doc = run(tmp_path, "rules:\n  - {check: _test_fail_if_any_x, severity: error}\n", ["ax", "b", "xc"])
    assert code == 1
    assert doc["gate"]["passed"] is False and doc["gate"]["failed_rules"] == ["_test_fail_if_any_x"]
    (rule,) = doc["rules"]
    assert rule["status"] == "fail" and rule["flagged"] == 2
    assert rule["examples"] == [{"id": "0", "evidence": "contains x"}, {"id": "2", "evidence": "contains x"}]


def test_warn_rule_reports_but_passes(tmp_path):
    code, doc = run(tmp_path, "rules:\n  - {check: _test_fail_if_any_x, severity: warn}\n", ["ax", "b"])
    assert code == 0
    assert doc["gate"] == {"passed": True, "failed_rules": [], "warned_rules": ["_test_fail_if_any_x"],
                           "crashed_rules": [], "reasons": []}


def test_crashing_check_fails_gate_and_keeps_traceback(tmp_path):
    code, doc = run(tmp_path, "rules:\n  - {check: _test_crash, severity: warn}\n", ["a"])
    assert code == 1
    (rule,) = doc["rules"]
    assert rule["status"] == "error" and "ZeroDivisionError: boom" in rule["error"]
    assert doc["gate"]["crashed_rules"] == ["_test_crash"]


def test_skipped_rule_is_not_a_pass(tmp_path):
    code, doc = run(tmp_path, "rules:\n  - {check: _test_skip, severity: error}\n"
                              "  - {check: min_records, severity: error}\n", ["a"])
    assert code == 0
    assert doc["rules"][0]["status"] == "skipped" and "no --reference" in doc["rules"][0]["message"]


def test_min_records_fails_small_dataset(tmp_path):
    code, doc = run(tmp_path, "rules:\n  - {check: min_records, severity: error, params: {min_count: 5}}\n", ["a", "b"])
    assert code == 1 and doc["rules"][0]["value"] == 2
