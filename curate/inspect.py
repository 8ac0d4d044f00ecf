"""Dataset summary: format, field mapping, counts, per-field length statistics, labels."""

from __future__ import annotations

import re
import statistics
from collections import Counter


def _stats(values: list[int]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v), "min": v[0], "median": statistics.median(v), "mean": round(sum(v) / len(v), 1),
            "p95": v[min(len(v) - 1, int(0.95 * len(v)))], "max": v[-1], "empty": sum(1 for x in v if x == 0)}


def summarize(ds) -> dict:
    """Everything `curate inspect` prints, as a dict."""
    groups: dict[str, list[str]] = {}
    alternatives: Counter = Counter()
    for r in ds.records:
        for f in r["fields"]:
            key = re.sub(r"\.\d+(?=\.|$)", ".*", f["name"])
            key = f"{key} [{f['role']}]" if ".*" in key else key
            groups.setdefault(key, []).append(f["text"])
            if f.get("alternative"):
                alternatives[key] += 1
    fields = {k: {"chars": _stats([len(t) for t in v]), "words": _stats([len(t.split()) for t in v])}
              for k, v in groups.items()}
    out = {"path": ds.path, "file_type": ds.kind, "split": ds.split, "format": ds.format,
           "detected": ds.mapping.explain(), "mapping": ds.mapping.describe(), "records": len(ds), "invalid": len(ds.invalid),
           "fingerprint": ds.fingerprint, "fields": fields}
    if alternatives:  # rejected answers, more references: audited like the answer itself
        out["alternative_answers"] = dict(alternatives)
    if ds.mapping.layout == "preference":
        out["pairs_without_difference"] = sum(1 for r in ds.records if not any(f.get("alternative") for f in r["fields"]))
    if ds.format == "chat":
        out["turns"] = _stats([len(r["messages"]) for r in ds.records])
        out["roles"] = dict(Counter(m["role"] for r in ds.records for m in r["messages"]))
    if ds.format == "classification":
        counts = Counter(r["label"] for r in ds.records)
        out["labels"] = dict(counts.most_common())
        out["label_count"] = len(counts)
        out["imbalance_ratio"] = round(max(counts.values()) / min(counts.values()), 2)
    if ds.format == "alpaca":
        out["empty_input_markers"] = dict(Counter(r["empty_input_marker"] for r in ds.records if r["empty_input_marker"]))
    return out


def render(summary: dict, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"curate inspect: {escape(summary['path'])}", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    for k in ("file_type", "split", "format", "detected", "records", "invalid", "fingerprint"):
        if summary.get(k) is not None:
            t.add_row("detection" if k == "detected" else k.replace("_", " "), escape(str(summary[k])))
    t.add_row("mapping", escape(", ".join(f"{k}={v}" for k, v in summary["mapping"].items() if k != "format")))
    if "turns" in summary:
        t.add_row("turns / record", f"median {summary['turns']['median']}, max {summary['turns']['max']}")
        t.add_row("roles", ", ".join(f"{k}: {v}" for k, v in summary["roles"].items()))
    if "pairs_without_difference" in summary:
        t.add_row("pairs with chosen = rejected", str(summary["pairs_without_difference"]))
    if summary.get("alternative_answers"):
        t.add_row("alternative answers", escape(", ".join(f"{k}: {v}" for k, v in summary["alternative_answers"].items())))
    if summary.get("empty_input_markers"):
        t.add_row("empty-input markers", escape(", ".join(f"{k!r}: {v}" for k, v in summary["empty_input_markers"].items())))
    console.print(t)
    ft = Table(title="field lengths (words; chars in brackets)", title_justify="left")
    for col in ("field", "n", "empty", "min", "median", "mean", "p95", "max"):
        ft.add_column(col, justify="left" if col == "field" else "right")
    for name, s in summary["fields"].items():
        w, c = s["words"], s["chars"]
        ft.add_row(escape(name), str(w["n"]), str(w["empty"]),
                   *(escape(f"{w[k]} [{c[k]}]") for k in ("min", "median", "mean", "p95", "max")))
    console.print(ft)
    if "labels" in summary:
        lt = Table(title=f"labels: {summary['label_count']} classes, max/min ratio {summary['imbalance_ratio']}",
                   title_justify="left")
        lt.add_column("label")
        lt.add_column("records", justify="right")
        lt.add_column("share", justify="right")
        n = summary["records"]
        items = list(summary["labels"].items())
        shown = items if len(items) <= 30 else items[:15] + [("…", None)] + items[-10:]
        for label, c in shown:
            lt.add_row(escape(label), "" if c is None else str(c), "" if c is None else f"{c / n:.1%}")
        console.print(lt)
