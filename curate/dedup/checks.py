"""Checks over the dedup and leakage signals (see stage.py and leakage.py for the columns).

Duplicates and leaked records are dropped by `curate clean` (fix="drop", each with its evidence
in the quarantine file); conflicting answers are only reported: which answer is right needs a
human.
"""

from __future__ import annotations

import pandas as pd

import curate.dedup.leakage  # noqa: F401  (registers the leakage stage)
import curate.dedup.stage  # noqa: F401  (registers the dedup stage)
from curate.checks.registry import CheckResult, SkipCheck, rate_check, register_check
from curate.dedup.shared import describe


def is_set(v) -> bool:
    """True when a signal cell holds a value (an id, a non-empty list); None/NaN/[] are unset."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return False
    if isinstance(v, str):
        return True
    return len(v) > 0 if hasattr(v, "__len__") else True


def _col(signals: pd.DataFrame, name: str) -> list:
    return list(signals[name]) if name in signals else [None] * len(signals)


def _fmt_j(j) -> str:
    return f"{float(j):.2f}"


@register_check("max_exact_duplicate_rate", needs=("dedup",), fix="drop")
def max_exact_duplicate_rate(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """Records identical to another after normalisation (case, whitespace, punctuation) make up at most `max_rate`."""
    of, field = _col(signals, "exact_dup_of"), _col(signals, "exact_dup_field")
    mask = [is_set(v) for v in of]
    evidence = [f"exact duplicate of {o} ({f} identical after normalisation)" if m else ""
                for o, f, m in zip(of, field, mask)]
    res = rate_check(signals, mask, evidence, max_rate=max_rate, message="are exact duplicates")
    groups: dict[str, list] = {}
    for rid, o, m in zip(signals["id"], of, mask):
        if m:
            groups.setdefault(o, []).append(rid)
    res.details["table"] = [{"kept": k, "duplicates": v, "count": len(v)} for k, v in groups.items()]
    return res


@register_check("max_near_duplicate_rate", needs=("dedup",), fix="drop")
def max_near_duplicate_rate(signals, ctx, *, max_rate: float = 0.01) -> CheckResult:
    """Near-duplicate records (shingle Jaccard >= the stage threshold to a kept record) make up at most `max_rate`."""
    of, jac, field = _col(signals, "near_dup_of"), _col(signals, "near_dup_jaccard"), _col(signals, "near_dup_field")
    method = _col(signals, "near_dup_method")
    mask = [is_set(v) for v in of]
    def how(j, mt):  # MinHash pairs report the shingle Jaccard; the embedding hook its own similarity
        return f"Jaccard {_fmt_j(j)}" if mt in (None, "minhash") or mt != mt else f"{mt} similarity {_fmt_j(j)}"

    evidence = [f"near-duplicate of {o} ({how(j, mt)}, field {f})" if m else ""
                for o, j, f, mt, m in zip(of, jac, field, method, mask)]
    res = rate_check(signals, mask, evidence, max_rate=max_rate, message="are near-duplicates")
    clusters: dict = {}
    for rid, cl, o, j, m in zip(signals["id"], _col(signals, "near_dup_cluster"), of, jac, mask):
        if m:
            c = clusters.setdefault(int(cl), {"cluster": int(cl), "kept": o, "members": [], "jaccard": []})
            c["members"].append(rid)
            c["jaccard"].append(round(float(j), 4))
    res.details["table"] = sorted(({**c, "min_jaccard": min(c["jaccard"])} for c in clusters.values()),
                                  key=lambda c: c["cluster"])
    shared = shared_summary(_col(signals, "near_dup_shared_block"))
    if shared:
        res.details["shared_blocks"] = shared
        res.details.setdefault("tables", {})["shared text, ignored when comparing"] = shared
        res.message += f"; ignored when comparing, as shared text: {describe(shared)}"
    return res


def shared_summary(blocks: list) -> list[dict]:
    """The dataset-level finding behind a per-record shared-block column: each block once, with
    how many records had it cut out, most common first."""
    count: dict[str, int] = {}
    for b in blocks:
        if isinstance(b, str) and b:
            count[b] = count.get(b, 0) + 1
    return sorted(({"text": b, "chars": len(b), "records": k} for b, k in count.items()),
                  key=lambda r: (-r["records"], -r["chars"]))


@register_check("max_eval_leakage", needs=("leakage",), fix="drop")
def max_eval_leakage(signals, ctx, *, max_count: int = 0) -> CheckResult:
    """At most `max_count` training records have a prompt that (nearly) appears in an eval/test set."""
    checked = [getattr(d, "name", str(d)) for d in (getattr(ctx, "eval_sets", None) or [])]
    if not checked:
        raise SkipCheck("no eval/test set given: pass --eval FILE to check for leakage")
    leaks = _col(signals, "leaks_into")
    n = len(signals)
    flagged, evidence, table = [], {}, []
    for rid, lst in zip(signals["id"], leaks):
        if not is_set(lst):
            continue
        lst = list(lst)
        flagged.append(rid)
        first = lst[0]
        sim = float(first["similarity"])
        how = "identical after normalisation" if sim >= 1.0 else f"Jaccard {_fmt_j(sim)}"
        more = f" and {len(lst) - 1} more" if len(lst) > 1 else ""
        evidence[rid] = f"prompt appears in eval set {first['set']} as {first['id']} ({how}){more}"
        table += [{"train_id": rid, "set": d["set"], "eval_id": d["id"], "similarity": float(d["similarity"])}
                  for d in lst]
    scope = f"eval sets: {', '.join(checked)}"
    return CheckResult(value=len(flagged), passed=n > 0 and len(flagged) <= max_count, threshold=max_count,
                       flagged=flagged, evidence=evidence, details={"table": table, "eval_sets": checked},
                       message=f"{len(flagged)} of {n} training records leak into an eval set "
                               f"(max {max_count}; {scope})")


@register_check("max_conflicting_answers", needs=("dedup",))
def max_conflicting_answers(signals, ctx, *, max_count: int = 0) -> CheckResult:
    """At most `max_count` records share a (near-)identical prompt with a record answering or labelling it otherwise."""
    conf = _col(signals, "conflicts_with")
    n = len(signals)
    labels = {}
    if ctx is not None and getattr(ctx, "dataset", None) is not None:
        labels = {r["id"]: r.get("label") for r in ctx.dataset.records}
    flagged, evidence, table, seen = [], {}, [], set()
    for rid, lst in zip(signals["id"], conf):
        if not is_set(lst):
            continue
        lst = list(lst)
        flagged.append(rid)
        c = lst[0]
        more = f"; {len(lst) - 1} more" if len(lst) > 1 else ""
        same = "same prompt" if float(c["prompt_jaccard"]) >= 1.0 else f"prompt Jaccard {_fmt_j(c['prompt_jaccard'])}"
        if c.get("label") is not None:
            evidence[rid] = f"labelled {labels.get(rid, '?')}, but {c['id']} has {c['label']} ({same}){more}"
        else:
            evidence[rid] = (f"answers differently from {c['id']} ({same}, "
                             f"answer Jaccard {_fmt_j(c['answer_jaccard'])}){more}")
        for e in lst:
            key = tuple(sorted((rid, e["id"])))
            if key not in seen:
                seen.add(key)
                row = {"a": key[0], "b": key[1], "prompt_jaccard": float(e["prompt_jaccard"])}
                if e.get("label") is not None:
                    row["labels"] = f"{labels.get(key[0], '?')} / {labels.get(key[1], '?')}"
                else:
                    row["answer_jaccard"] = float(e["answer_jaccard"])
                table.append(row)
    return CheckResult(value=len(flagged), passed=n > 0 and len(flagged) <= max_count, threshold=max_count,
                       flagged=flagged, evidence=evidence, details={"table": table, "pairs": len(table)},
                       message=f"{len(flagged)} of {n} records conflict with another record's answer "
                               f"({len(table)} pairs; max {max_count})")
