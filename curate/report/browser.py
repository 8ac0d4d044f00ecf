"""The record browser's data: every flagged (and noted) record with its findings in context.

report.html carries this as JSON in a `<script type="application/json">` block and renders it a
page at a time in the reader's browser, so the page stays short at any dataset size. The JSON is
bounded too: records go in most serious first until BUDGET bytes; the rest are counted, and all
of them are in signals.parquet (`flagged_by`).
"""

from __future__ import annotations

import json

from curate.report import evidence as ev

BUDGET = 2_500_000  # bytes of record JSON in one report (the whole file stays well under 5 MB)
PER_RULE = 40  # records of each rule the report holds before the budget goes to the most serious
WEIGHT = {"error": 100, "warn": 10, "info": 1}  # a record's score: its findings, the most severe counting most
DUP_COLUMNS = {  # check -> (column naming the kept record, column with the similarity, what the similarity is)
    "max_exact_duplicate_rate": ("exact_dup_of", None, "exact copy"),
    "max_near_duplicate_rate": ("near_dup_of", "near_dup_jaccard", "Jaccard {:.2f}"),  # as the check's evidence
    "max_semantic_duplicate_rate": ("semantic_dup_of", "semantic_dup_similarity", "cosine {:.3f}"),
}


def _value(signals, col, i):
    if col is None or col not in signals.columns:
        return None
    v = signals[col].iloc[i]
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v


def records_payload(result, san, budget: int = BUDGET) -> dict:
    """{"records": [...], "total": n flagged or noted, "shown": n in the JSON, "rules": {rule: records},
    "rules_shown": {rule: records in the JSON}}."""
    from curate.checks import CHECKS

    ds, sig = result.dataset, result.signals
    pos = {rid: k for k, rid in enumerate(sig["id"])}
    rules_by_name = {r.name: r for r in getattr(result.rules, "rules", [])}
    findings: dict[str, list] = {}
    for o in result.outcomes:
        # an info rule's records are `noted`, whether or not its figure crossed the threshold (a label-issue
        # rate under its maximum still lists the records that look mislabelled)
        ids = list(o.flagged) + list(o.noted or [])
        sev = "info" if o.severity == "info" or o.status == "info" else o.severity
        for rid in ids:
            findings.setdefault(rid, []).append((o, sev))
    counts: dict[str, int] = {}
    for rid, fs in findings.items():
        for o, _ in fs:
            counts[o.rule] = counts.get(o.rule, 0) + 1
    order = sorted(findings, key=lambda rid: (-sum(WEIGHT.get(s, 1) for _, s in findings[rid]), pos.get(rid, 0)))
    # every rule keeps a few records in the report, however many more serious ones there are: on Banking77
    # the duplicates filled the budget and the label suggestions (information) had no record left to show
    reserved, seen = [], set()
    by_rule: dict[str, list] = {}
    for rid in order:
        for o, _ in findings[rid]:
            by_rule.setdefault(o.rule, []).append(rid)
    for ids in by_rule.values():
        for rid in ids[:PER_RULE]:
            if rid not in seen:
                reserved.append(rid)
                seen.add(rid)
    order = reserved + [rid for rid in order if rid not in seen]
    out, used = [], 0
    for rid in order:
        i = pos.get(rid)
        rec = ds.records[i] if i is not None and i < len(ds.records) else None
        if rec is None:
            continue
        item = {"id": san.text(str(rid)), "n": i, "s": sum(WEIGHT.get(s, 1) for _, s in findings[rid]),
                "f": [_finding(o, sev, rec, i, result, san, CHECKS.get(o.check), rules_by_name.get(o.rule), pos)
                      for o, sev in findings[rid]]}
        size = len(json.dumps(item, ensure_ascii=False))
        if used + size > budget:
            break
        out.append(item)
        used += size
    out.sort(key=lambda item: (-item["s"], item["n"]))  # most serious first, as the browser opens
    shown: dict[str, int] = {}
    for item in out:
        for f in item["f"]:
            shown[f["rule"]] = shown.get(f["rule"], 0) + 1
    flagged = sum(1 for fs in findings.values() if any(s != "info" for _, s in fs))
    return {"records": out, "total": len(findings), "flagged": flagged, "noted": len(findings) - flagged,
            "shown": len(out), "rules": counts, "rules_shown": shown}


def _finding(o, sev, rec, i, result, san, check, rule, pos) -> dict:
    sig = result.signals
    f = {"rule": o.rule, "sev": sev, "ev": san.text(str(o.evidence.get(rec["id"], "")))[:600]}
    if check is not None and "pii" in check.needs and "pii_spans" in sig.columns:
        spans = _value(sig, "pii_spans", i)
        spans = list(spans) if spans is not None else []
        wanted = (rule.params.get("entities") if rule is not None else None) or None
        roles = {fl["name"]: fl.get("role") for fl in rec["fields"]}
        if "answers" in o.check:
            spans = [s for s in spans if roles.get(s["field"]) == "assistant"] or spans
        if wanted:
            spans = [s for s in spans if s["entity_type"] in wanted] or spans
        f["ctx"] = ev.pii_contexts(rec, spans, san)
        if f["ctx"]:
            return f
    if o.check in DUP_COLUMNS:
        of_col, sim_col, what = DUP_COLUMNS[o.check]
        of = _value(sig, of_col, i)
        j = pos.get(of) if of is not None else None
        if j is not None:
            kept = result.dataset.records[j]
            left, right = ev.word_diff(ev.record_text(kept), ev.record_text(rec), san)
            sim = _value(sig, sim_col, i)
            f["dup"] = {"kept": san.text(str(of)), "left": left, "right": right,
                        "sim": what.format(float(sim)) if sim is not None and "{" in what
                        else what.split(" {")[0]}
            return f
    if o.check == "max_label_issue_rate" and "label_suggested" in sig.columns:
        f["label"] = {"given": san.text(str(rec.get("label"))), "given_p": _num(_value(sig, "label_given_prob", i)),
                      "suggested": san.text(str(_value(sig, "label_suggested", i))),
                      "suggested_p": _num(_value(sig, "label_suggested_prob", i)),
                      "how": "suggested by a cross-validated classifier on the embeddings; the nearest records by "
                             "embedding and their labels:",
                      "neighbours": _neighbours(result, i, san)}
    f["ctx"] = [ev.snippet_context(rec, str(o.evidence.get(rec["id"], "")), san,
                                   prefer_answer="answer" in o.check or "response" in o.check)]
    return f


def _num(v):
    return None if v is None else round(float(v), 2)  # as the check's evidence prints it (p=0.42)


def _neighbours(result, i, san, k: int = 3) -> list[dict]:
    """The k nearest records by embedding cosine, with their labels: what a person checks a suggestion against."""
    import numpy as np

    cache = getattr(result, "_report_unit_vectors", None)
    if cache is None:
        matrix = getattr(result, "embeddings", None)  # the embed stage's matrix (dataset order)
        if matrix is None or len(matrix) != len(result.dataset.records):
            return []
        vecs = np.asarray(matrix, dtype=np.float32).copy()
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
        cache = vecs
        try:
            result._report_unit_vectors = cache
        except AttributeError:
            pass
    sims = cache @ cache[i]
    sims[i] = -2.0
    top = np.argsort(-sims)[:k]
    recs = result.dataset.records
    return [{"id": san.text(str(recs[j]["id"])), "label": san.text(str(recs[j].get("label"))),
             "sim": round(float(sims[j]), 3), "text": san.text(ev._cut_right(ev._one_line(recs[j]["prompt"] or ""), 140))}
            for j in top]


def script_json(obj) -> str:
    """JSON that cannot end its <script type="application/json"> block: every `<` (so `</script` and
    `<!--`), `>` and `&` is written as a \\u escape, which JSON.parse reads back unchanged."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
