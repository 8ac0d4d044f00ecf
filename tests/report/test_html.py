"""The HTML report is self-contained and never executes dataset text."""

from __future__ import annotations

import json

from curate.checks import CheckResult, register_check
from curate.cli import main

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@register_check("_test_flag_all")
def _flag_all(signals, ctx) -> CheckResult:
    """Flags every record, quoting it as evidence (test check)."""
    ids = list(signals["id"])
    return CheckResult(value=len(ids), passed=False, flagged=ids,
                       evidence={r["id"]: r["prompt"] for r in ctx.dataset.records}, message=EVIL)


def test_dataset_text_is_escaped_and_no_external_resources(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"instruction": EVIL, "output": "fine answer"}) + "\n"
                    + json.dumps({"instruction": "plain", "output": "ok"}) + "\n")
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: _test_flag_all, severity: error}\n")
    out = tmp_path / "out"
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(out)]) == 1
    html = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # shown, as text
    assert "<script>alert" not in html and "<img" not in html
    assert html.count("<script>") == 1  # our own browser script only; records travel as inert JSON
    data = html.split('<script type="application/json" id="records-data">')[1].split("</script>")[0]
    assert "<" not in data and "\\u003cscript\\u003ealert" in data
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "Gate FAILED" in html and "Flagged records (2)" in html
    assert (out / "report.md").read_text().startswith("## curate audit: FAILED")
