"""Checks on the embedding signals: reference coverage, long tail, outliers, semantic dups/leakage, label issues.

Each reads the columns of its stage (and, for coverage, the cached vectors of the reference set),
returns a CheckResult with tables and SVG figures in `details` for the report.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from curate.checks.registry import CheckResult, SkipCheck, rate_check, register_check
from curate.dedup.checks import shared_summary
from curate.dedup.shared import describe
from curate.embed import plots
from curate.embed.coverage import CoverageConfig, ExactNeighbours, coverage_report, describe_group
from curate.embed.encode import dataset_texts


def _cfg(ctx, stage: str, cls):
    """The stage's config as it ran; for a stage that did not run, its defaults with the embed stage's
    model and side (the texts a check shows must be the texts that were embedded)."""
    cfg = (ctx.stage_configs or {}).get(stage)
    cfg = cfg if isinstance(cfg, cls) else cls(**(cfg or {}))
    emb = (ctx.artifacts or {}).get("embedding")
    if emb is not None and isinstance(cfg, type(emb.config)):
        cfg = dataclasses.replace(cfg, **{f.name: getattr(emb.config, f.name) for f in dataclasses.fields(emb.config)})
    return cfg


def _short(text: str, n: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[:n - 1] + "…"


@register_check("min_reference_coverage", needs=("embed", "coverage"), choices={"level": ("records", "groups")})
def min_reference_coverage(signals, ctx, *, min_coverage: float = 0.8, level: str = "records",
                           similarity: float = 0.6, thin_ratio: float = 0.25, min_train: int = 3) -> CheckResult:
    """At least `min_coverage` of the reference set (records, or groups with level: groups) has a close training neighbour."""
    if ctx.reference is None:
        raise SkipCheck("no reference set given (--reference FILE)")
    if level not in ("records", "groups"):
        raise ValueError(f"level must be 'records' or 'groups', not '{level}'")
    cfg = _cfg(ctx, "coverage", CoverageConfig)
    train, ref = ctx.embedding.vectors, ctx.embedding.of(ctx.reference)
    exact = ExactNeighbours.of(ctx.embedding, dataset_texts(ctx.dataset, cfg.side), ctx.reference, cfg) \
        if ctx.embedding.static else None  # static vectors retrieve, fp32 decides (curate/embed/coverage.py)
    rep = coverage_report(ctx.dataset, train, ctx.reference, ref, cfg, similarity=similarity, thin_ratio=thin_ratio,
                          min_train=min_train, exact=exact)
    value = rep["record_coverage"] if level == "records" else rep["group_coverage"]
    groups = rep["groups"]
    bad = [g for g in groups if g["status"] != "covered"]
    # uncovered topics (nothing in training) first: they are what a team must write data for
    headline = "; ".join(describe_group(g) for g in sorted(bad, key=lambda g: (g["status"] != "uncovered",
                                                                              -g["reference_records"]))[:3])
    n = len(ref)
    kind = "classes" if rep["grouped_by"] == "label" else "clusters"
    msg = (f"{rep['record_coverage']:.0%} of {n} reference records have a training neighbour >= {similarity} "
           f"({level} coverage {value:.0%}; min {min_coverage:.0%}); {len(bad)} of {len(groups)} reference {kind} "
           f"uncovered or thin, holding {rep['thin_mass']:.0%} of the reference" + (f": {headline}" if headline else ""))
    dist = [{"figure": k, "value": round(v, 4)} for k, v in rep["prdc"].items()]
    dist += [{"figure": "reference mass in thin/uncovered groups", "value": rep["thin_mass"]},
             {"figure": "reference records covered", "value": round(rep["record_coverage"], 4)}]
    # figure captions are sentences a reader can act on (the report shows them under each chart)
    figures = {"Each dot is a training record and each cross a reference record, placed by their embeddings "
               "(PCA to two dimensions) and coloured by reference group: crosses far from any dot are what "
               "users ask and training lacks.": plots.scatter_map(train, rep["train_group"], ref, rep["ref_groups"]),
               f"Per reference group, the share of its records with a training record at cosine >= {similarity:g} "
               "(red below 20%, amber below 80%, green from 80%); the text after each bar gives the group's status, "
               "which also weighs how many training records it has.": plots.coverage_bars(groups),
               f"For each reference record, the cosine similarity of its nearest training record: left of the dashed "
               f"line ({similarity:g}) it counts as uncovered.": plots.histogram(
                   rep["ref_nearest_similarity"], threshold=similarity, title="Reference record -> nearest training record",
                   x_label="cosine similarity", y_label="reference records")}
    train_texts, ref_texts = dataset_texts(ctx.dataset, cfg.side), dataset_texts(ctx.reference, cfg.side)
    sims, idx = rep["ref_nearest_similarity"], rep["ref_nearest_index"]
    nearest_examples = [{"reference_record": f"{ctx.reference.ids[i]}: {_short(ref_texts[i], 160)}",
                         "nearest_training_record": f"{ctx.dataset.ids[idx[i]]}: {_short(train_texts[idx[i]], 160)}"
                         if len(train) else "-", "cosine": round(float(sims[i]), 3)}
                        for i in np.argsort(sims)[:50] if sims[i] < similarity]
    return CheckResult(value=round(value, 4), passed=n > 0 and len(train) > 0 and value >= min_coverage,
                       threshold=min_coverage, message=msg,
                       details={"table": groups, "tables": {"distribution (k-NN precision/recall/density/coverage)": dist},
                                "figures": figures, "grouped_by": rep["grouped_by"], "nearest_examples": nearest_examples})


def _topic_table(signals, texts) -> list[dict]:
    rows = {}
    for i, (c, lab, tail) in enumerate(zip(signals["topic_cluster"], signals["topic_label"], signals["is_long_tail"])):
        r = rows.setdefault(int(c), {"topic": f"#{int(c)}: {lab}", "records": 0, "long_tail": bool(tail), "examples": []})
        r["records"] += 1
        if len(r["examples"]) < 2:
            r["examples"].append(f"{signals['id'][i]}: {_short(texts[i], 70)}")
    n = len(signals)
    out = sorted(rows.values(), key=lambda r: -r["records"])
    for r in out:
        r["share"] = round(r["records"] / n, 4)
        r["examples"] = " | ".join(r["examples"])
    return out


@register_check("max_long_tail_share", needs=("embed", "topics"))
def max_long_tail_share(signals, ctx, *, max_share: float = 0.15, min_ratio: float = 0.25,
                        similarity: float = 0.6) -> CheckResult:
    """With --reference: at most `max_share` of the reference is in topics that training barely covers; flags no record."""
    # A record in a small topic is not a defect: a diverse instruction set is mostly small topics
    # (87% of 200 diverse instructions sat in "long-tail" clusters). The real risk is the other way
    # round: the edge cases users send (often ~15% of traffic) missing from training. So with a
    # reference set this weighs demand against supply per reference topic; without one it only
    # describes the training topics. It never flags training records either way.
    if ctx.reference is not None:
        return _under_supplied_topics(signals, ctx, max_share=max_share, min_ratio=min_ratio, similarity=similarity)
    from curate.embed.topics import TopicsConfig

    cfg = _cfg(ctx, "topics", TopicsConfig)
    texts = dataset_texts(ctx.dataset, cfg.side)
    n = len(signals)
    tail = [bool(t) for t in signals["is_long_tail"]] if n else []
    share = sum(tail) / n if n else 1.0
    table = _topic_table(signals, texts) if n else []
    tail_topics = [r for r in table if r["long_tail"]]
    vecs = ctx.embedding.vectors if n else np.zeros((0, 2))
    figures = {"Training records per topic cluster, largest first; amber bars are small (long-tail) topics.":
               plots.size_bars(table),
               "The small (long-tail) topics and how many records each holds.":
               plots.size_bars(tail_topics, title="Small topics"),
               "Each dot is a training record, placed by its embedding (PCA to two dimensions) and coloured by topic "
               "cluster.": plots.scatter_map(vecs, signals["topic_cluster"] if n else [], title="Topics, PCA of embeddings")
               } if n else {}
    msg = (f"{sum(tail)} of {n} records ({share:.1%}) are in {len(tail_topics)} small topics of {len(table)}"
           + (": " + "; ".join(f"'{r['topic']}' ({r['records']})" for r in tail_topics[:5]) if tail_topics else "")
           + ". A small topic is not a defect; pass --reference FILE (what users send) to find the topics users "
             "ask about that training barely covers")
    return CheckResult(value=round(share, 6), passed=n > 0 and share <= max_share, threshold=max_share, message=msg,
                       details={"table": tail_topics, "tables": {"all topics": table}, "figures": figures})


def _under_supplied_topics(signals, ctx, *, max_share: float, min_ratio: float, similarity: float) -> CheckResult:
    """Demand (a topic's share of the reference) against supply (its share of training), per reference topic."""
    from curate.embed.coverage import reference_groups, training_supply

    cfg = _cfg(ctx, "coverage", CoverageConfig)
    train, ref = ctx.embedding.vectors, ctx.embedding.of(ctx.reference)
    ref_texts = dataset_texts(ctx.reference, cfg.side)
    n_train, n_ref = len(train), len(ref)
    has_labels = n_train > 0 and all(r["label"] is not None for r in ctx.dataset.records)
    exact = ExactNeighbours.of(ctx.embedding, dataset_texts(ctx.dataset, cfg.side), ctx.reference, cfg) \
        if ctx.embedding.static else None  # static vectors retrieve, fp32 decides (curate/embed/coverage.py)
    ref = ref if exact is None else exact.ref
    groups, names, how = reference_groups(ctx.reference, ref, has_labels, cfg)
    supply = training_supply(ctx.dataset, train, ref, groups, names, how, similarity, exact=exact)
    counts = supply["of_class"] if how == "label" else supply["neighbours"]
    # a topic only training has is not a finding: those records land on no reference topic
    training_only = float(np.mean(supply["train_group"] < 0)) if how != "label" and n_train else 0.0
    rows = []
    for g, name in enumerate(names):
        members = np.where(groups == g)[0]
        if not len(members):
            continue
        demand = len(members) / n_ref
        got = int(counts[g]) / max(n_train, 1)
        ratio = got / demand
        rows.append({"reference_topic": name, "status": "under-supplied" if ratio < min_ratio else "supplied",
                     "reference_records": int(len(members)), "reference_share": round(demand, 4),
                     ("training_records_of_class" if how == "label" else "training_neighbours"): int(counts[g]),
                     "training_share": round(got, 4), "supply_ratio": round(ratio, 3),
                     "examples": " | ".join(f"{ctx.reference.ids[i]}: {_short(ref_texts[i], 70)}" for i in members[:2])})
    rows.sort(key=lambda r: (r["supply_ratio"], -r["reference_records"]))
    under = [r for r in rows if r["status"] == "under-supplied"]
    value = sum(r["reference_records"] for r in under) / n_ref if n_ref else 1.0
    kind = "classes" if how == "label" else "topics"
    shown = sorted(under, key=lambda r: -r["reference_records"])[:5]
    msg = (f"{value:.1%} of the reference ({sum(r['reference_records'] for r in under)} of {n_ref} records; max "
           f"{max_share:.0%}) is in {len(under)} of {len(rows)} reference {kind} that training barely covers (training "
           f"share < {min_ratio:g} x reference share)"
           + (": " + "; ".join(f"'{r['reference_topic']}' (reference {r['reference_share']:.1%}, training "
                               f"{r['training_share']:.1%})" for r in shown) if shown else "")
           + (f"; {training_only:.0%} of training is on subjects the reference never asks about (not a finding)"
              if how != "label" else ""))
    bars = [(r["reference_topic"], min(r["supply_ratio"], 2.0), f"{r['supply_ratio']:.2f} ({r['reference_records']} ref)",
             plots.STATUS_COLOUR["uncovered" if r["status"] == "under-supplied" else "covered"]) for r in rows[:30]]
    from curate.report.svg import hbars

    figures = {f"Per reference topic, its share of training divided by its share of the reference: 1 means training "
               f"holds it as often as users ask; red bars are below {min_ratio:g}, bars stop at 2.":
               hbars(bars, title="Training share / reference share, per reference topic", scale=2.0,
                                     legend=f"red: below {min_ratio:g} (training barely covers what users ask)")} if rows else {}
    return CheckResult(value=round(value, 6), passed=n_ref > 0 and n_train > 0 and value <= max_share,
                       threshold=max_share, message=msg,
                       details={"table": under, "tables": {"all reference topics": rows}, "figures": figures,
                                "grouped_by": how})


@register_check("max_outlier_rate", needs=("embed", "topics"))
def max_outlier_rate(signals, ctx, *, max_rate: float = 0.02) -> CheckResult:
    """At most `max_rate` of the records are embedding outliers (far from every main topic centre)."""
    # Shipped as information: on real data an embedding outlier is a record on a rare subject, seldom
    # a defect (sample_data: 0 of 43 outliers were defects of their own; DialogSum dev: a dialogue
    # about scooters). Off-language, garbled or empty records have checks of their own.
    n = len(signals)
    dist = signals["topic_distance"] if n else []
    med = float(np.median(dist)) if n else 0.0
    texts = dataset_texts(ctx.dataset, "prompt")
    ev = [f"cosine distance {d:.2f} to the nearest topic centre (median {med:.2f}): {_short(t, 60)}"
          for d, t in zip(dist, texts)]
    res = rate_check(signals, signals["is_outlier"] if n else [], ev, max_rate=max_rate, message="are embedding outliers")
    res.details = {"figures": {"How far each record lies from its nearest topic centre (cosine distance); outliers sit "
                               "at the far right.": plots.histogram(dist, title="Distance to the nearest topic centre",
                                                                    x_label="cosine distance")}} if n else {}
    return res


def _already_duplicate(signals, i) -> bool:
    for col in ("exact_dup_of", "near_dup_of"):
        if col in signals and signals[col].iloc[i] not in (None, "") and signals[col].iloc[i] == signals[col].iloc[i]:
            return True
    return False


@register_check("max_semantic_duplicate_rate", needs=("embed", "semantic"), fix="drop")
def max_semantic_duplicate_rate(signals, ctx, *, max_rate: float = 0.02) -> CheckResult:
    """At most `max_rate` of the records paraphrase a kept record (cosine >= threshold to it) that MinHash missed."""
    n = len(signals)
    texts = dataset_texts(ctx.dataset, "prompt")
    pos = {rid: k for k, rid in enumerate(signals["id"])}
    mask, ev, caught = [], [], 0
    for i in range(n):
        of = signals["semantic_dup_of"].iloc[i]
        dup = of is not None and of == of
        if dup and _already_duplicate(signals, i):
            caught, dup = caught + 1, False
        mask.append(dup)
        ev.append(f"cosine {signals['semantic_dup_similarity'].iloc[i]:.3f} to {of}: "
                  f"'{_short(texts[pos[of]], 60)}'" if dup else "")
    res = rate_check(signals, mask, ev, max_rate=max_rate, message="semantically duplicate a kept record")
    if caught:
        res.message += f"; {caught} more already reported by the dedup stage"
    shared = shared_summary(list(signals["semantic_shared_block"]) if "semantic_shared_block" in signals else [])
    pairs = [{"record": rid, "duplicate_of": signals["semantic_dup_of"].iloc[pos[rid]],
              "similarity": signals["semantic_dup_similarity"].iloc[pos[rid]], "text": _short(texts[pos[rid]]),
              "original": _short(texts[pos[signals['semantic_dup_of'].iloc[pos[rid]]]])} for rid in res.flagged[:200]]
    res.details = {"table": pairs}
    if shared:
        res.details["shared_blocks"] = shared
        res.details.setdefault("tables", {})["shared text, ignored when comparing"] = shared
        res.message += f"; ignored when comparing, as shared text: {describe(shared)}"
    return res


@register_check("max_semantic_leakage", needs=("embed", "semantic"), fix="drop")
def max_semantic_leakage(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of the records paraphrase an eval record (cosine >= leak_threshold) beyond what MinHash caught."""
    if not ctx.eval_sets:
        raise SkipCheck("no eval set given (--eval FILE)")
    n = len(signals)
    texts = dataset_texts(ctx.dataset, "prompt")
    ev_text = {f"{ev.name}:{rid}": t for ev in ctx.eval_sets for rid, t in zip(ev.ids, dataset_texts(ev, "prompt"))}
    mask, evid, caught = [], [], 0
    for i in range(n):
        of = signals["semantic_leak_of"].iloc[i]
        leak = of is not None and of == of
        known = "leaks_into" in signals and bool(signals["leaks_into"].iloc[i]) if leak else False
        if known:
            caught += 1
        mask.append(leak and not known)
        evid.append(f"cosine {signals['semantic_leak_similarity'].iloc[i]:.3f} to eval {of}: "
                    f"'{_short(ev_text.get(of, ''), 60)}'" if leak else "")
    res = rate_check(signals, mask, evid, max_rate=max_rate, message="paraphrase an eval record")
    if caught:
        res.message += f"; {caught} more already reported by the leakage stage"
    pos = {rid: k for k, rid in enumerate(signals["id"])}
    res.details = {"table": [{"record": rid, "eval_record": signals["semantic_leak_of"].iloc[pos[rid]],
                              "similarity": signals["semantic_leak_similarity"].iloc[pos[rid]],
                              "train_text": _short(texts[pos[rid]]),
                              "eval_text": _short(ev_text.get(signals["semantic_leak_of"].iloc[pos[rid]], ""))}
                             for rid in res.flagged[:200]]}
    return res


@register_check("max_label_issue_rate", needs=("embed", "label_issues"), formats=("classification",), fix="drop")
def max_label_issue_rate(signals, ctx, *, max_rate: float = 0.02) -> CheckResult:
    """At most `max_rate` of the records look mislabelled (cross-validated classifier on embeddings disagrees)."""
    # Shipped as information: it finds planted mislabels, but on Banking77 (160 flags) 17 of 40 read
    # were clear mislabels, 15 sat between near-synonym intents (top_up_failed / top_up_reverted)
    # and 8 had the right label: a list to look through, not a warning at 0.80 precision.
    n = len(signals)
    texts = dataset_texts(ctx.dataset, "prompt")
    labels = [r["label"] for r in ctx.dataset.records]
    ev = [f"labelled '{lab}' (p={pg:.2f}); suggested '{sg}' (p={ps:.2f}): {_short(t, 60)}" if f else ""
          for f, lab, pg, sg, ps, t in zip(signals["label_issue"], labels, signals["label_given_prob"],
                                           signals["label_suggested"], signals["label_suggested_prob"], texts)]
    res = rate_check(signals, signals["label_issue"] if n else [], ev, max_rate=max_rate, message="look mislabelled")
    pos = {rid: k for k, rid in enumerate(signals["id"])}
    rows = sorted(({"record": rid, "text": _short(texts[pos[rid]]), "given_label": labels[pos[rid]],
                    "given_prob": signals["label_given_prob"].iloc[pos[rid]],
                    "suggested_label": signals["label_suggested"].iloc[pos[rid]],
                    "suggested_prob": signals["label_suggested_prob"].iloc[pos[rid]]} for rid in res.flagged),
                  key=lambda r: r["given_prob"])
    per_class: dict[str, int] = {}
    for r in rows:
        per_class[r["given_label"]] = per_class.get(r["given_label"], 0) + 1
    res.details = {"table": rows[:200], "tables": {"issues per given label": [
        {"label": k, "issues": v} for k, v in sorted(per_class.items(), key=lambda kv: -kv[1])]}}
    return res
