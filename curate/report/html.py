"""report.html: one self-contained page (no network, no CDN), rendered by Jinja2 with autoescape.

Layout, top to bottom: verdict; next steps (the exact `curate clean` command and what it will do
per rule); the rules; the dataset with its charts; the record browser (records as JSON, shown a
page at a time by templates/browser.js, which inserts text with textContent only); one folded
section per rule with its figures and tables. Every dataset-derived string goes through the PII
sanitiser before it reaches the template; the template escapes it.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from markupsafe import Markup

from curate.report.browser import records_payload, script_json
from curate.report.nextsteps import next_steps
from curate.report.svg import hbars, histogram
from curate.report.write import fmt_value

MAX_TABLE_ROWS = 50  # rows of a rule's table in the page (the first FIRST_ROWS shown, the rest folded)
FIRST_ROWS = 6
CELL_CHARS = 300
LONG_CELL = 24  # a cell holding more characters than this gets a minimum width (no one-word-per-line columns)


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("curate.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def _safe_svg(svg: str) -> str:
    """Figures come from our own code, but may embed dataset text: drop anything executable."""
    svg = re.sub(r"(?is)<script.*?</script>", "", svg)
    svg = re.sub(r"(?is)<foreignObject.*?</foreignObject>", "", svg)
    return re.sub(r"""(?i)\son\w+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", "", svg)


def _figure(caption: str, svg: str, san) -> dict:
    return {"caption": caption, "svg": Markup(_safe_svg(san.text(svg)))}


def _caption(name: str, svg: str) -> str:
    """A figure's caption is a sentence: an internal key ("coverage_by_group") gives way to the chart's own title."""
    if " " in name.strip():
        return name
    m = re.search(r"<title>(.*?)</title>", svg or "", re.S)
    return m.group(1).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&") if m else name.replace("_", " ")


def _badge(o: dict) -> str:
    st = o["status"]
    if st == "fail":
        return "warn" if o["severity"] == "warn" else "fail"
    return "crashed" if st == "error" else st


def _first_clause(message: str, n: int = 160) -> str:
    """The rules table's finding: the message up to its first clause (the full text is in the rule's section)."""
    text = " ".join(str(message or "").split())
    if len(text) <= n:
        return text
    cut = text[:n]
    for sep in ("; ", ": ", ", "):
        at = cut.rfind(sep)
        if at > n // 3:
            return cut[:at] + " …"
    return cut.rsplit(" ", 1)[0] + " …"


def _humanise(col: str) -> str:
    return str(col).replace("_", " ")


def _cell(v, san) -> dict:
    if isinstance(v, bool) or v is None:
        return {"cls": "", "text": "" if v is None else ("yes" if v else "no")}
    if isinstance(v, float):
        return {"cls": "num", "text": f"{v:.4g}"}
    if isinstance(v, int):
        return {"cls": "num", "text": f"{v:,}"}
    if hasattr(v, "item"):
        return _cell(v.item(), san)
    text = san.text(v if isinstance(v, str) else str(v))
    text = text if len(text) <= CELL_CHARS else text[:CELL_CHARS] + "…"
    return {"cls": "long" if len(text) > 120 else "txt" if len(text) > LONG_CELL else "", "text": text}


def _table(title: str, rows: list[dict], san) -> dict | None:
    rows = [r for r in rows if isinstance(r, dict)]
    if not rows:
        return None
    cols = list(dict.fromkeys(k for r in rows[:MAX_TABLE_ROWS] for k in r))
    body = [[_cell(r.get(c), san) for c in cols] for r in rows[:MAX_TABLE_ROWS]]
    more = (f"{len(rows) - MAX_TABLE_ROWS:,} more rows not shown" if len(rows) > MAX_TABLE_ROWS else "")
    return {"title": _humanise(title) if title else "", "columns": [_humanise(c) for c in cols], "rows": body,
            "first": FIRST_ROWS, "more": more}


def _overview(result, san) -> list[dict]:
    ds = result.dataset
    figs = []
    prompt_words = [len(r["prompt"].split()) for r in ds.records]
    if prompt_words:
        log = max(prompt_words) > 500
        figs.append(_figure("How long the requests are: records per prompt length in words"
                            + (" (a log scale: a few very long prompts would hide the rest)" if log else "") + ".",
                            histogram(prompt_words, title="Prompt length", x_label="prompt length (words)", log_x=log), san))
    if any(r["response"] for r in ds.records):
        resp = [len(r["response"].split()) for r in ds.records]
        log = max(resp) > 500
        figs.append(_figure("How long the answers are: records per answer length in words"
                            + (" (a log scale)" if log else "") + ".",
                            histogram(resp, title="Answer length", x_label="answer length (words)", log_x=log), san))
    if "length_tokens" in result.signals.columns:
        vals = [v.get("total") if isinstance(v, dict) else v for v in result.signals["length_tokens"]]
        vals = [v for v in vals if isinstance(v, (int, float))]
        if vals:
            log = max(vals) > 2000
            figs.append(_figure("Records per length in tokens, the unit a training context is measured in.",
                                histogram(vals, title="Record length", x_label="record length (tokens)", log_x=log), san))
    if ds.format == "classification":
        counts = Counter(str(r["label"]) for r in ds.records).most_common()
        shown = counts if len(counts) <= 25 else counts[:12] + counts[-12:]
        cut = "" if len(counts) <= 25 else " (the 12 largest and the 12 smallest)"
        figs.append(_figure(f"Records per label: {len(counts)} labels{cut}.",
                            hbars([(k, v, v, "#4e79a7") for k, v in shown], title="Records per label"), san))
    return figs


def _sections(result, doc, san, in_browser: dict) -> list[dict]:
    from curate.checks import CHECKS

    out = []
    for o, raw in zip(doc["rules"], result.outcomes):
        details = raw.details or {}
        figures = [_figure(_caption(name, svg), svg, san) for name, svg in (details.get("figures") or {}).items()]
        tables = []
        if details.get("nearest_examples"):
            tables.append(_table("reference records without a close training record, next to the nearest one",
                                 details["nearest_examples"], san))
        named = dict(details.get("tables") or {})
        if details.get("table"):
            named = {"": details["table"], **named}
        tables += [_table(t, list(rows), san) for t, rows in named.items()]
        badge = _badge(o)
        out.append({"rule": o["rule"], "check": o["check"], "severity": o["severity"], "badge": badge,
                    "description": CHECKS[o["check"]].description if o["check"] in CHECKS else "",
                    "message": o["message"], "error": o["error"], "figures": figures,
                    "tables": [t for t in tables if t], "in_browser": in_browser.get(o["rule"], 0),
                    "summary": (f"{o['flagged']:,} records flagged" if o["flagged"] else
                                f"{o['noted']:,} records noted" if o.get("noted") else o["status"]),
                    # open what a reader must see: failed rules with charts or tables; the rest fold
                    "open": badge in ("fail", "warn", "crashed") and bool(figures)})
    return out


def render_html(result, doc: dict, san, out_dir=None) -> str:
    ds = result.dataset
    payload = records_payload(result, san)
    in_browser = payload["rules_shown"]
    order = {"crashed": 0, "fail": 1, "warn": 2, "info": 3, "pass": 4, "skipped": 5}
    rules = sorted(({"rule": o["rule"], "severity": o["severity"], "badge": _badge(o), "value": fmt_value(o["value"]),
                     "threshold": fmt_value(o["threshold"]), "flagged": o["flagged"], "message": o["message"],
                     "short": _first_clause(o["message"])}
                    for o in doc["rules"]), key=lambda r: order.get(r["badge"], 9))
    browser = {"total": payload["total"], "shown": payload["shown"], "flagged": payload["flagged"],
               "noted": payload["noted"],
               "rules": sorted(((r, in_browser.get(r, 0), n) for r, n in payload["rules"].items()),
                               key=lambda t: -t[2])}
    ctx = {"info": doc["dataset"], "n_records": len(ds), "n_invalid": len(ds.invalid), "rules_file": doc["rules_file"],
           "version": doc["tool"]["version"], "gate": doc["gate"], "verdict": "pass" if doc["gate"]["passed"] else "fail",
           "steps": next_steps(result, doc, san.text(str(out_dir)) if out_dir else None), "rules": rules,
           "eval_sets": doc["eval_sets"], "reference": doc["reference"], "overview": _overview(result, san),
           "browser": browser, "sections": _sections(result, doc, san, in_browser), "stages": doc["stages"], "embedding": doc.get("embedding"),
           "stage_seconds": sum(s["seconds"] for s in doc["stages"]),
           "records_json": Markup(script_json(payload["records"]))}
    return _env().get_template("report.html.j2").render(**ctx)
