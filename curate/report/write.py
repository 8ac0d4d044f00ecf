"""Write the audit outputs. Everything goes through the PII sanitiser first."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path

from curate import __version__
from curate.report.sanitize import Sanitizer

EXAMPLES_PER_RULE = 5


def _dataset_info(ds, san: Sanitizer) -> dict:
    # a file name can hold PII too (export_carol.king@example.net.jsonl)
    return {"path": san.text(ds.path), "name": san.text(ds.name), "fingerprint": ds.fingerprint, "records": len(ds),
            "format": ds.format, "file_type": ds.kind, "mapping": san.clean(ds.mapping.describe()),
            "invalid_records": len(ds.invalid)}


def _jsonable(v):
    if hasattr(v, "item"):
        return v.item()
    return v


def audit_json(result, sanitizer: Sanitizer | None = None) -> dict:
    san = sanitizer or Sanitizer({})
    rules = []
    for o in result.outcomes:
        # record ids are data too: `user-jane.doe@example.org` becomes `user-<EMAIL_ADDRESS_1>`;
        # an info rule flags nothing; the records it points at (`noted`) are its examples
        examples = [{"id": san.text(rid), "evidence": san.text(o.evidence.get(rid, ""))}
                    for rid in (o.flagged or o.noted)[:EXAMPLES_PER_RULE]]
        rules.append({"rule": o.rule, "check": o.check, "severity": o.severity, "status": o.status,
                      "value": _jsonable(o.value), "threshold": _jsonable(o.threshold), "flagged": len(o.flagged),
                      "flagged_ids": [san.text(i) for i in o.flagged], "noted": len(o.noted), "examples": examples,
                      "message": san.prose(o.message), "error": san.prose(o.error), "seconds": round(o.seconds, 4)})
    doc = {
        "tool": {"name": "curate", "version": __version__},
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "dataset": _dataset_info(result.dataset, san),
        "eval_sets": [_dataset_info(d, san) for d in result.eval_sets],
        "reference": _dataset_info(result.reference, san) if result.reference else None,
        "rules_file": san.prose(result.rules.path),
        "rules_digest": result.rules.digest,  # what the train gate compares (curate/rules/load.py RuleSet.digest)
        "gate": {k: result.gate.get(k, []) if k == "passed" else [san.prose(x) for x in result.gate.get(k, [])]
                 for k in ("passed", "failed_rules", "warned_rules", "info_rules", "crashed_rules", "reasons")},
        "rules": rules,
        "stages": [{"name": r.name, "seconds": round(r.seconds, 3), "cached": r.cached, "rows": r.rows}
                   for r in result.stage_runs],
        "timings": result.seconds,
    }
    emb = (getattr(result, "artifacts", None) or {}).get("embedding")
    if hasattr(emb, "describe"):  # which embedding tier made the vectors, and which model decided
        doc["embedding"] = emb.describe()
    return doc


# Markdown (and the HTML GitHub allows inside it) that a value could use to break out of its cell:
# code spans, emphasis, links and images (`[`), raw tags (`<`), entities, table pipes,
# strikethrough. An underscore inside a word never starts emphasis (GFM), so `max_rate` stays readable.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md(value, limit: int | None = None) -> str:
    """Any value as inert Markdown text: one line, every Markdown/HTML metacharacter backslash-escaped.

    Values are never put inside backticks: a backtick in a record id would close the code span.
    """
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def markdown(result, doc: dict) -> str:
    g = doc["gate"]
    verdict = "PASSED" if g["passed"] else "FAILED"
    ds = doc["dataset"]
    lines = [f"## curate audit: {verdict}", "",
             f"{md(ds['path'])} · {ds['records']} records · {md(ds['format'])} · fingerprint "
             f"`{ds['fingerprint'][:12]}` · rules {md(doc['rules_file'])}", "",
             *([f"Embeddings: {md(doc['embedding']['text'])} ({md(doc['embedding']['why'])})", ""] if doc.get("embedding", {}).get("tier") == "static"
               else []),
             "| rule | severity | status | value | threshold | flagged |", "|---|---|---|---|---|---|"]
    icon = {"pass": "✅ pass", "fail": "❌ fail", "error": "💥 error", "skipped": "⏭ skipped", "info": "ℹ️ info"}
    for r in doc["rules"]:
        status = icon[r["status"]] if r["severity"] == "error" or r["status"] != "fail" else "⚠️ warn"
        lines.append(f"| {md(r['rule'])} | {md(r['severity'])} | {status} | {md(fmt_value(r['value']))} | "
                     f"{md(fmt_value(r['threshold']))} | {r['flagged']} |")
    lines.append("")
    for r in doc["rules"]:
        if r["status"] in ("fail", "error"):
            lines.append(f"- **{md(r['rule'])}**: {md(r['message'])}")
            for ex in r["examples"][:3]:
                lines.append(f"  - {md(ex['id'])}: {md(ex['evidence'], 160)}")
    if g["reasons"]:
        lines.append(f"- gate: {md('; '.join(g['reasons']))}")
    info = [r for r in doc["rules"] if r["status"] == "info"]
    if info:  # findings about the data as a whole: no record is flagged, the gate ignores them
        lines += ["", "Information (never fails the gate, flags no record):", ""]
        for r in info:
            lines.append(f"- **{md(r['rule'])}**: {md(r['message'])}")
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
    san = Sanitizer.from_result(result)
    doc = audit_json(result, san)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".curate-", dir=out.parent))
    try:
        (tmp / "audit.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        _signals_frame(result.signals, san).to_parquet(tmp / "signals.parquet", index=False)
        if getattr(result, "embeddings", None) is not None:  # the embed stage's matrix: a row per record, dataset order
            import numpy as np

            np.save(tmp / "embeddings.npy", result.embeddings)
        (tmp / "report.md").write_text(markdown(result, doc), encoding="utf-8")
        (tmp / "report.html").write_text(render_html(result, doc, san, out_dir=out), encoding="utf-8")
        if result.dataset.invalid:
            from curate.load import write_invalid

            write_invalid(result.dataset, tmp / "invalid.jsonl")
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            f.replace(out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.out_dir = out
    result.sanitizer = san  # the terminal summary quotes the same values
    return out


def _signals_frame(signals, san: Sanitizer):
    """Every column that can hold text, whatever its dtype (pandas 3 stores strings as `str`, not
    `object`), nested values included; ids too. Only numeric columns and vectors are left alone."""
    import pandas as pd

    df = signals.copy()
    if san.pattern is None:
        return df
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype) or _is_vector(col):
            continue
        df[c] = pd.Series([san.clean(v) for v in col], index=df.index, dtype=object)
    return df


def _is_vector(col) -> bool:
    """An embedding-like column: every value a list/array of numbers (nothing to sanitise, costly to walk)."""
    for v in col:
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, (str, dict)) or not hasattr(v, "__len__"):
            return False
        first = next(iter(v), None) if len(v) else None
        return isinstance(first, (int, float)) or type(first).__module__ == "numpy" and not isinstance(first, str)
    return False
