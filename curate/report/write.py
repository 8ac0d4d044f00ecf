"""Write the audit outputs. Everything goes through the PII sanitiser first."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from curate import __version__
from curate.report.sanitize import Sanitizer

EXAMPLES_PER_RULE = 5


def _dataset_info(ds) -> dict:
    return {"path": ds.path, "name": ds.name, "fingerprint": ds.fingerprint, "records": len(ds), "format": ds.format,
            "file_type": ds.kind, "mapping": ds.mapping.describe(), "invalid_records": len(ds.invalid)}


def _jsonable(v):
    if hasattr(v, "item"):
        return v.item()
    return v


def audit_json(result, sanitizer: Sanitizer | None = None) -> dict:
    san = sanitizer or Sanitizer({})
    rules = []
    for o in result.outcomes:
        # only text that can quote records is sanitised; names, ids and numbers are ours
        # an info rule flags nothing; the records it points at (`noted`) are its examples
        examples = [{"id": rid, "evidence": san.text(o.evidence.get(rid, ""))}
                    for rid in (o.flagged or o.noted)[:EXAMPLES_PER_RULE]]
        rules.append({"rule": o.rule, "check": o.check, "severity": o.severity, "status": o.status,
                      "value": _jsonable(o.value), "threshold": _jsonable(o.threshold), "flagged": len(o.flagged),
                      "flagged_ids": o.flagged, "noted": len(o.noted), "examples": examples, "message": san.prose(o.message),
                      "error": san.prose(o.error), "seconds": round(o.seconds, 4)})
    doc = {
        "tool": {"name": "curate", "version": __version__},
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "dataset": _dataset_info(result.dataset),
        "eval_sets": [_dataset_info(d) for d in result.eval_sets],
        "reference": _dataset_info(result.reference) if result.reference else None,
        "rules_file": result.rules.path,
        "rules_digest": result.rules.digest,  # what the train gate compares (curate/rules/load.py RuleSet.digest)
        "gate": {k: result.gate.get(k, []) for k in ("passed", "failed_rules", "warned_rules", "info_rules", "crashed_rules",
                                                     "reasons")},
        "rules": rules,
        "stages": [{"name": r.name, "seconds": round(r.seconds, 3), "cached": r.cached, "rows": r.rows}
                   for r in result.stage_runs],
        "timings": result.seconds,
    }
    return doc


def markdown(result, doc: dict) -> str:
    g = doc["gate"]
    verdict = "PASSED" if g["passed"] else "FAILED"
    ds = doc["dataset"]
    lines = [f"## curate audit: {verdict}", "",
             f"`{ds['path']}` · {ds['records']} records · {ds['format']} · fingerprint `{ds['fingerprint'][:12]}` · "
             f"rules `{doc['rules_file']}`", "",
             "| rule | severity | status | value | threshold | flagged |", "|---|---|---|---|---|---|"]
    icon = {"pass": "✅ pass", "fail": "❌ fail", "error": "💥 error", "skipped": "⏭ skipped", "info": "ℹ️ info"}
    for r in doc["rules"]:
        status = icon[r["status"]] if r["severity"] == "error" or r["status"] != "fail" else "⚠️ warn"
        lines.append(f"| {r['rule']} | {r['severity']} | {status} | {fmt_value(r['value'])} | {fmt_value(r['threshold'])} | {r['flagged']} |")
    lines.append("")
    for r in doc["rules"]:
        if r["status"] in ("fail", "error"):
            lines.append(f"- **{r['rule']}**: {r['message']}".replace("\n", " "))
            for ex in r["examples"][:3]:
                lines.append(f"  - `{ex['id']}`: {str(ex['evidence'])[:160]}".replace("\n", " "))
    if g["reasons"]:
        lines.append(f"- gate: {'; '.join(g['reasons'])}")
    info = [r for r in doc["rules"] if r["status"] == "info"]
    if info:  # findings about the data as a whole: no record is flagged, the gate ignores them
        lines += ["", "Information (never fails the gate, flags no record):", ""]
        for r in info:
            lines.append(f"- **{r['rule']}**: {r['message']}".replace("\n", " "))
    return "\n".join(lines) + "\n"


def fmt_value(v) -> str:
    """A rule value or threshold as the terminal, report.md and report.html show it."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def write_outputs(result, out_dir) -> Path:
    """Write all outputs into a temporary folder, then move them into `out_dir` together."""
    from curate.report.html import render_html

    out = Path(out_dir)
    san = Sanitizer.from_signals(result.dataset, result.signals)
    doc = audit_json(result, san)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".curate-", dir=out.parent))
    try:
        (tmp / "audit.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        _signals_frame(result.signals, san).to_parquet(tmp / "signals.parquet", index=False)
        (tmp / "report.md").write_text(markdown(result, doc), encoding="utf-8")
        (tmp / "report.html").write_text(render_html(result, doc, san), encoding="utf-8")
        if result.dataset.invalid:
            from curate.load import write_invalid

            write_invalid(result.dataset, tmp / "invalid.jsonl")
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            f.replace(out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.out_dir = out
    return out


def _signals_frame(signals, san: Sanitizer):
    df = signals.copy()
    if san.pattern is not None:
        for c in df.columns:
            if df[c].dtype == object and c not in ("id", "embedding", "pii_spans"):
                df[c] = [san.clean(v) for v in df[c]]
    return df
