"""Gaps: the reference topics training does not cover or covers thinly, as a labelling queue.

The groups and their status are exactly those of the coverage check (curate/embed/coverage.py):
reference labels when both sides have labels, else clusters of the reference. For every group that
is uncovered or thin, the reference records least covered by training come first (lowest cosine to
their nearest training record), each with that nearest training record, so a person sees what is
asked and what training has closest to it, and a suggested label:
- grouped by label: the group's label;
- grouped by cluster: the reference records' majority label when the reference has labels, else the
  majority label of the nearest training records that are at least `similarity` close; none when no
  training record is that close, or no side has labels (the queue shows the cluster's characteristic
  words instead).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from curate.embed.coverage import CoverageConfig, coverage_report, nearest
from curate.embed.encode import dataset_texts, embed_texts

QUEUE_COLUMNS = ("topic", "status", "reference_records", "training_supply", "reference_id", "reference_text",
                 "nearest_training_id", "nearest_training_text", "nearest_similarity", "suggested_label",
                 "suggested_label_source")


def suggest_label(how: str, name: str, ref_labels: list, train_labels: list, near_sim: np.ndarray,
                  similarity: float) -> tuple[str, str]:
    """(label, where it comes from) for one reference group."""
    if how == "label":
        return name, "the group's label"
    ref_known = [str(x) for x in ref_labels if x is not None]
    if ref_known:
        lab, c = Counter(ref_known).most_common(1)[0]
        return lab, f"reference label of {c} of {len(ref_labels)} records"
    if not any(lab is not None for lab in train_labels):
        return "", f"none: neither side has labels; name it from: {name}"
    close = [str(lab) for lab, s in zip(train_labels, near_sim) if lab is not None and s >= similarity]
    if close:
        lab, c = Counter(close).most_common(1)[0]
        return lab, f"label of {c} of {len(close)} nearest training records at cosine >= {similarity:g}"
    return "", f"none: no training record at cosine >= {similarity:g}; a new label named from: {name}"


def find_gaps(train_ds, ref_ds, cfg: CoverageConfig | None = None, *, similarity: float = 0.6,
              per_topic: int = 10, use_cache: bool = True) -> tuple[list[dict], list[dict], dict]:
    """(labelling queue rows, per-group table, summary)."""
    cfg = cfg or CoverageConfig()
    train_texts, ref_texts = dataset_texts(train_ds, cfg.side), dataset_texts(ref_ds, cfg.side)
    tv, rv = embed_texts(train_texts, cfg, use_cache=use_cache), embed_texts(ref_texts, cfg, use_cache=use_cache)
    rep = coverage_report(train_ds, tv, ref_ds, rv, cfg, similarity=similarity)
    near_idx, near_sim = nearest(rv, tv)
    groups = rep["ref_groups"]
    train_labels = [r["label"] for r in train_ds.records]
    ref_labels = [r["label"] for r in ref_ds.records]
    index_of = {row["reference_group"]: g for g, row in rep["groups_by_index"].items()}
    queue, table = [], []
    for row in rep["groups"]:
        supply = row.get("training_records_of_class", row["training_neighbours"])
        table.append({k: v for k, v in row.items() if k != "examples"})
        if row["status"] == "covered":
            continue
        g = index_of[row["reference_group"]]
        members = np.where(groups == g)[0]
        label, source = suggest_label(rep["grouped_by"], row["reference_group"], [ref_labels[i] for i in members],
                                      [train_labels[near_idx[i]] for i in members] if len(tv) else [],
                                      near_sim[members], similarity)
        for i in members[np.argsort(near_sim[members], kind="stable")][:per_topic]:
            has_near = len(tv) > 0
            queue.append({"topic": row["reference_group"], "status": row["status"],
                          "reference_records": row["reference_records"], "training_supply": int(supply),
                          "reference_id": ref_ds.ids[i], "reference_text": ref_texts[i],
                          "nearest_training_id": train_ds.ids[near_idx[i]] if has_near else None,
                          "nearest_training_text": train_texts[near_idx[i]] if has_near else None,
                          "nearest_similarity": round(float(near_sim[i]), 4) if has_near else None,
                          "suggested_label": label, "suggested_label_source": source})
    summary = {"training": train_ds.path, "reference": ref_ds.path, "grouped_by": rep["grouped_by"],
               "groups": len(table), "uncovered": sum(r["status"] == "uncovered" for r in table),
               "thin": sum(r["status"] == "thin" for r in table), "queue_rows": len(queue),
               "record_coverage": round(rep["record_coverage"], 4), "similarity": similarity}
    return queue, table, summary
