"""Drift between two datasets (last month's queries vs this month's, or train vs new traffic).

- Domain-classifier AUC: a logistic regression tries to tell OLD from NEW records by their
  embeddings (cross-validated); 0.5 means indistinguishable, near 1.0 means the inputs moved.
- Topic shift: both sets are clustered together; per topic, its share in OLD and in NEW. Topics
  whose NEW share is several times the OLD share (or absent from OLD) are new topics, shown with
  NEW-side examples; topics that shrank are listed too.
"""

from __future__ import annotations

import numpy as np

from curate.embed.topics import TopicsConfig, characteristic_words, cluster


def domain_auc(old: np.ndarray, new: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    x = np.vstack([old, new])
    y = np.r_[np.zeros(len(old)), np.ones(len(new))]
    k = min(folds, len(old), len(new))
    if k < 2:
        return float("nan")
    scores = np.zeros(len(y))
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(x, y):
        scores[te] = LogisticRegression(C=1.0, max_iter=300).fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    return float(roc_auc_score(y, scores))


def topic_shift(old: np.ndarray, new: np.ndarray, old_texts: list[str], new_texts: list[str], new_ids: list[str],
                cfg: TopicsConfig, *, growth: float = 3.0, min_records: int = 3) -> list[dict]:
    """One row per joint topic: old/new counts and shares, change, status (new/grew/shrank/gone/stable)."""
    labels = cluster(np.vstack([old, new]), k=cfg.k, distance_threshold=cfg.distance_threshold, k_min=cfg.k_min,
                     k_max=cfg.k_max, max_points=cfg.max_points, seed=cfg.seed)
    words = characteristic_words(old_texts + new_texts, labels)
    lo, ln = labels[:len(old)], labels[len(old):]
    rows = []
    for c in range(int(labels.max()) + 1 if len(labels) else 0):
        no, nn = int((lo == c).sum()), int((ln == c).sum())
        so, sn = no / max(len(old), 1), nn / max(len(new), 1)
        if nn >= min_records and (no == 0 or sn >= growth * so):
            status = "new" if so < 0.002 or no <= 1 else "grew"
        elif no >= min_records and (nn == 0 or so >= growth * sn):
            status = "gone" if nn == 0 else "shrank"
        else:
            status = "stable"
        ex = [f"{new_ids[i]}: {new_texts[i][:80]}" for i in np.where(ln == c)[0][:3]]
        rows.append({"topic": f"#{c}: {words[c]}", "status": status, "old_records": no, "new_records": nn,
                     "old_share": round(so, 4), "new_share": round(sn, 4), "change": round(sn - so, 4),
                     "new_examples": " | ".join(ex)})
    order = {"new": 0, "grew": 1, "gone": 2, "shrank": 3, "stable": 4}
    return sorted(rows, key=lambda r: (order[r["status"]], -abs(r["change"])))
