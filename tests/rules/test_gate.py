"""The gate: error rules block, warnings report, crashes fail visibly, nothing is vacuously true."""

from __future__ import annotations

import json

import pytest

from curate.checks import CheckResult, SkipCheck, register_check
from curate.cli import main


@register_check("_test_fail_if_any_x")
def _fail_if_any_x(signals, ctx, *, max_count: int = 0) -> CheckResult:
    """Records whose prompt contains 'x' (test check)."""
    ids = [r["id"] for r in ctx.dataset.records if "x" in r["prompt"]]
    return CheckResult(value=len(ids), passed=len(ids) <= max_count, threshold=max_count, flagged=ids,
                       evidence={i: "contains x" for i in ids}, message=f"{len(ids)} records contain x")


@register_check("_test_drop_if_any_x", fix="drop")
def _drop_if_any_x(signals, ctx, *, max_count: int = 0) -> CheckResult:
    """Records whose prompt contains 'x', to be dropped (test check)."""
    return _fail_if_any_x(signals, ctx, max_count=max_count)


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
    assert doc["gate"] == {"passed": True, "failed_rules": [], "warned_rules": ["_test_fail_if_any_x"], "info_rules": [],
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


@pytest.mark.parametrize("rows,status,info_rules", [
    (["ax", "b", "xc"], "info", ["_test_drop_if_any_x"]),
    (["a", "b"], "pass", []),
], ids=["finding", "no-finding"])
def test_info_rule_informs_but_never_fails_the_gate_nor_flags_a_record(tmp_path, rows, status, info_rules):
    import pandas as pd

    code, doc = run(tmp_path, "rules:\n  - {check: _test_drop_if_any_x, severity: info}\n", rows)
    assert code == 0
    assert doc["gate"]["passed"] is True and doc["gate"]["failed_rules"] == [] and doc["gate"]["warned_rules"] == []
    assert doc["gate"]["info_rules"] == info_rules
    (rule,) = doc["rules"]
    assert rule["status"] == status and rule["severity"] == "info"
    assert rule["flagged"] == 0 and rule["flagged_ids"] == []
    if status == "info":  # the records it points at are examples, not flags
        assert rule["noted"] == 2 and [e["id"] for e in rule["examples"]] == ["0", "2"]
    sig = pd.read_parquet(tmp_path / "out" / "signals.parquet")
    assert all(len(f) == 0 for f in sig["flagged_by"])
    md = (tmp_path / "out" / "report.md").read_text()
    html = (tmp_path / "out" / "report.html").read_text()
    assert "| \\_test_drop_if_any_x | info |" in md  # report.md escapes a leading underscore (md())
    if status == "info":
        assert "ℹ️ info" in md and "Information (never fails the gate" in md
        assert 'class="badge info"' in html and "information: _test_drop_if_any_x" in html
        assert "Flagged records (0)" in html


def test_info_rule_is_shown_in_the_terminal_table(tmp_path, capsys):
    run(tmp_path, "rules:\n  - {check: _test_drop_if_any_x, severity: info}\n", ["ax"])
    out = capsys.readouterr().out
    assert "gate PASSED" in out and "information (not part of the gate):" in out
    (line,) = [x for x in out.splitlines() if "_test_drop_if_any_x" in x]  # one line, below the verdict
    assert line.strip().startswith("_test_drop_if_any_x: ")


def test_clean_never_acts_on_an_info_rule_even_with_fix_warned(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["ax", "b", "xc"]))
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: _test_drop_if_any_x, severity: info}\n")
    out = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out), "--fix-warned"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] == 3 and manifest["quarantined"] == 0
    # the same rule as a warning drops both with --fix-warned: the info severity is what spares them
    rules.write_text("rules:\n  - {check: _test_drop_if_any_x, severity: warn}\n")
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(tmp_path / "clean2"), "--fix-warned"]) == 0
    assert json.loads((tmp_path / "clean2" / "manifest.json").read_text())["quarantined"] == 2
