"""report.html: one self-contained page (no network, no CDN). All dataset text is escaped."""

from __future__ import annotations

import re
from html import escape

from curate.report.svg import hbars, histogram
from curate.report.write import fmt_value

MAX_TABLE_ROWS = 50
MAX_FLAGGED_ROWS = 2000

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
h3{font-size:15px;margin:0 0 6px}
.verdict{padding:16px 20px;border-radius:8px;color:#fff;margin:12px 0}
.verdict.pass{background:#1f8a4c}.verdict.fail{background:#c0392b}
.verdict b{font-size:20px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 16px;margin:12px 0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e7e9ee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}
.pass{background:#1f8a4c}.fail{background:#c0392b}.warn{background:#d68910}.error{background:#7d3c98}.skipped{background:#7f8c8d}
.info{background:#2e86c1}
.ev{color:#444;font-family:ui-monospace,Menlo,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
.muted{color:#667}pre.tb{background:#2b2b2b;color:#eee;padding:8px;overflow:auto;font-size:12px}
.figs{display:flex;flex-wrap:wrap;gap:12px}.figs svg{background:#fff;max-width:100%}
input,select{font:inherit;padding:3px 6px;margin:0 6px 8px 0}
"""

FILTER_JS = """
(function(){var q=document.getElementById('q'),r=document.getElementById('rulefilter'),
rows=document.querySelectorAll('#flagged tbody tr'),n=document.getElementById('shown');
function f(){var t=q.value.toLowerCase(),rule=r.value,c=0;rows.forEach(function(tr){
var ok=(!t||tr.textContent.toLowerCase().indexOf(t)>=0)&&(!rule||(' '+tr.dataset.rules+' ').indexOf(' '+rule+' ')>=0);
tr.style.display=ok?'':'none';if(ok)c++;});n.textContent=c;}
q.addEventListener('input',f);r.addEventListener('change',f);f();})();
"""


def _e(x) -> str:
    return escape(str(x), quote=True)


def _safe_svg(svg: str) -> str:
    """Figures come from our own code, but may embed dataset text: drop anything executable."""
    svg = re.sub(r"(?is)<script.*?</script>", "", svg)
    svg = re.sub(r"(?is)<foreignObject.*?</foreignObject>", "", svg)
    return re.sub(r"""(?i)\son\w+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", "", svg)


def _table(rows: list[dict], san) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows[:MAX_TABLE_ROWS] for k in r))
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(_cell(r.get(c), san) for c in cols) + "</tr>" for r in rows[:MAX_TABLE_ROWS])
    more = f'<p class="muted">{len(rows) - MAX_TABLE_ROWS} more rows in audit.json / signals.parquet</p>' if len(rows) > MAX_TABLE_ROWS else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(v, san) -> str:
    if isinstance(v, float):
        return f'<td class="num">{v:.4g}</td>'
    if isinstance(v, int):
        return f'<td class="num">{v}</td>'
    text = san.text(v if isinstance(v, str) else "" if v is None else str(v))
    return f'<td class="ev">{_e(text[:400])}</td>'


def _excerpt(rec, san, n=220) -> str:
    text = rec["prompt"] if not rec["response"] else f"{rec['prompt']} ⟶ {rec['response']}"
    text = san.text(text)
    return text if len(text) <= n else text[:n] + "…"


def _status_badge(o: dict) -> str:
    st = o["status"]
    label = "warn" if st == "fail" and o["severity"] == "warn" else st
    return f'<span class="badge {label}">{_e(label)}</span>'


def render_html(result, doc: dict, san) -> str:
    from curate.checks import CHECKS

    ds = result.dataset
    info = doc["dataset"]  # path and name already sanitised: a file name can hold PII
    by_id = {r["id"]: r for r in ds.records}
    g = doc["gate"]
    verdict = "pass" if g["passed"] else "fail"
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>curate audit: {_e(info['name'])}</title>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{CSS}</style></head><body><main>",
             f"<h1>curate audit: {_e(info['name'])}</h1>",
             f"<p class=muted>{_e(info['path'])} · {len(ds)} records · format {_e(ds.format)} · fingerprint "
             f"<code>{_e(ds.fingerprint[:16])}</code> · rules {_e(doc['rules_file'])} · curate {_e(doc['tool']['version'])}</p>"]
    failed = ", ".join(g["failed_rules"]) or "none"
    parts.append(f'<div class="verdict {verdict}" id="verdict"><b>Gate {"PASSED" if g["passed"] else "FAILED"}</b><br>'
                 f'failed rules: {_e(failed)} · warnings: {_e(", ".join(g["warned_rules"]) or "none")}'
                 + (f' · information: {_e(", ".join(g["info_rules"]))}' if g.get("info_rules") else "")
                 + (f" · {_e('; '.join(g['reasons']))}" if g["reasons"] else "") + "</div>")
    # summary table
    rows = "".join(
        f"<tr><td><a href='#rule-{_e(o['rule'])}'>{_e(o['rule'])}</a></td><td>{_e(o['severity'])}</td>"
        f"<td>{_status_badge(o)}</td><td class=num>{_e(fmt_value(o['value']))}</td><td class=num>{_e(fmt_value(o['threshold']))}</td>"
        f"<td class=num>{o['flagged']}</td><td>{_e(o['message'])}</td></tr>" for o in doc["rules"])
    parts.append("<h2>Rules</h2><div class=card><table id=rules><thead><tr><th>rule</th><th>severity</th><th>status</th>"
                 f"<th>value</th><th>threshold</th><th>flagged</th><th>finding</th></tr></thead><tbody>{rows}</tbody></table></div>")
    parts.append(_overview(result, doc, san))
    # one section per rule
    parts.append("<h2>Findings by rule</h2>")
    for o, raw in zip(doc["rules"], result.outcomes):
        desc = CHECKS[o["check"]].description if o["check"] in CHECKS else ""
        sec = [f"<section class=card id='rule-{_e(o['rule'])}'><h3>{_e(o['rule'])} {_status_badge(o)}</h3>",
               f"<p class=muted>{_e(o['check'])}: {_e(desc)} · severity {_e(o['severity'])}"
               + (" (information: never fails the gate, flags no record)" if o["severity"] == "info" else "")
               + f"</p><p>{_e(o['message'])}</p>"]
        if o["error"]:
            sec.append(f"<pre class=tb>{_e(o['error'])}</pre>")
        figs = (raw.details or {}).get("figures") or {}
        if figs:
            sec.append("<div class=figs>" + "".join(f"<figure>{_safe_svg(san.text(svg))}<figcaption class=muted>{_e(name)}"
                                                    f"</figcaption></figure>" for name, svg in figs.items()) + "</div>")
        details = raw.details or {}
        tables = dict(details.get("tables") or {})
        if details.get("table"):
            tables = {"": details["table"], **tables}
        for title, trows in tables.items():
            sec.append((f"<h4>{_e(title)}</h4>" if title else "") + _table(list(trows), san))
        if o["examples"]:
            # doc ids are sanitised; the raw ones (same order) find the record
            ex = "".join(f"<tr><td>{_e(x['id'])}</td><td class=ev>{_e(x['evidence'])}</td>"
                         f"<td class=ev>{_e(_excerpt(by_id[rid], san)) if rid in by_id else ''}</td></tr>"
                         for x, rid in zip(o["examples"], raw.flagged))
            sec.append(f"<table><thead><tr><th>id</th><th>evidence</th><th>record</th></tr></thead><tbody>{ex}</tbody></table>")
        sec.append("</section>")
        parts.append("".join(sec))
    parts.append(_flagged(result, san, by_id))
    st = "".join(f"<tr><td>{_e(s['name'])}</td><td class=num>{s['seconds']:.2f}</td><td>{'cached' if s['cached'] else 'computed'}</td></tr>"
                 for s in doc["stages"])
    parts.append(f"<h2>Stages</h2><div class=card><table><thead><tr><th>stage</th><th>seconds</th><th></th></tr></thead>"
                 f"<tbody>{st}</tbody></table></div>")
    parts.append(f"<script>{FILTER_JS}</script></main></body></html>")
    return "".join(parts)



def _overview(result, doc, san) -> str:
    ds = result.dataset
    figs = []
    col = "length_tokens" if "length_tokens" in result.signals.columns else None
    prompt_words = [len(r["prompt"].split()) for r in ds.records]
    figs.append(histogram(prompt_words, title="prompt length (words)", log_x=max(prompt_words, default=0) > 500))
    if any(r["response"] for r in ds.records):
        resp = [len(r["response"].split()) for r in ds.records]
        figs.append(histogram(resp, title="answer length (words)", log_x=max(resp, default=0) > 500))
    if col:
        vals = [v.get("total") if isinstance(v, dict) else v for v in result.signals[col]]
        vals = [v for v in vals if isinstance(v, (int, float))]
        if vals:
            figs.append(histogram(vals, title="record length (tokens)", log_x=max(vals) > 2000))
    if ds.format == "classification":
        from collections import Counter

        counts = Counter(san.text(r["label"]) for r in ds.records).most_common()
        shown = counts if len(counts) <= 25 else counts[:12] + counts[-12:]
        figs.append(hbars([(k, v, v, "#4e79a7") for k, v in shown], title=f"records per label ({len(counts)} labels)"))
    info = (f"<table><tbody><tr><th>records</th><td>{len(ds)}</td></tr><tr><th>format</th><td>{_e(ds.format)}</td></tr>"
            f"<tr><th>mapping</th><td>{_e(doc['dataset']['mapping'])}</td></tr>"
            + "".join(f"<tr><th>eval set</th><td>{_e(e['path'])} ({e['records']} records)</td></tr>" for e in doc["eval_sets"])
            + (f"<tr><th>reference</th><td>{_e(doc['reference']['path'])} ({doc['reference']['records']} records)</td></tr>"
               if doc["reference"] else "")
            + (f"<tr><th>invalid (quarantined)</th><td>{len(ds.invalid)}</td></tr>" if ds.invalid else "")
            + "</tbody></table>")
    return f"<h2>Dataset</h2><div class=card>{info}<div class=figs>{''.join(f for f in figs if f)}</div></div>"


def _flagged(result, san, by_id) -> str:
    sig = result.signals
    flagged = [(i, f) for i, f in zip(sig["id"], sig["flagged_by"]) if len(f)]
    evidence: dict[str, list[str]] = {}
    for o in result.outcomes:
        if o.status == "fail":
            for rid in o.flagged:
                if rid in o.evidence:
                    evidence.setdefault(rid, []).append(f"{o.rule}: {o.evidence[rid]}")
    rules = sorted({r for _, f in flagged for r in f})
    opts = "".join(f"<option>{_e(r)}</option>" for r in rules)
    rows = "".join(
        f"<tr data-rules='{_e(' '.join(f))}'><td>{_e(san.text(i))}</td><td>{_e(', '.join(f))}</td>"
        f"<td class=ev>{_e(san.text(' | '.join(evidence.get(i, []))[:500]))}</td><td class=ev>{_e(_excerpt(by_id[i], san))}</td></tr>"
        for i, f in flagged[:MAX_FLAGGED_ROWS])
    more = (f"<p class=muted>showing the first {MAX_FLAGGED_ROWS} of {len(flagged)}; all are in signals.parquet</p>"
            if len(flagged) > MAX_FLAGGED_ROWS else "")
    return (f"<h2>Flagged records ({len(flagged)})</h2><div class=card><input id=q placeholder='filter text…'>"
            f"<select id=rulefilter><option value=''>all rules</option>{opts}</select> <span class=muted>shown: "
            f"<span id=shown>{len(flagged)}</span></span><table id=flagged><thead><tr><th>id</th><th>rules</th><th>evidence</th>"
            f"<th>record</th></tr></thead><tbody>{rows}</tbody></table>{more}</div>")
