"""Semantic near-duplicates and semantic leakage: paraphrases MinHash cannot see.

Word-shingle MinHash (the dedup stage) catches copies with small edits; two records that ask the
same thing in other words share few 5-grams but sit at cosine >= ~0.95 in MiniLM space. Pairs above
`threshold` are joined into clusters (union-find), with the same shape as the dedup stage's
near-duplicate columns: a cluster id, the record each one duplicates (the cluster's first record,
which is kept) and the evidence similarity. The check leaves out pairs the dedup stage already
reported, so the two findings do not double count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts, record_texts
from curate.stages import register_stage


@dataclass
class SemanticConfig(EmbedConfig):
    threshold: float = 0.95  # cosine at or above which two training records are semantic duplicates
    leak_threshold: float = 0.95  # cosine at or above which a training record leaks an eval record


def similar_pairs(vecs: np.ndarray, threshold: float, block: int = 1024) -> list[tuple[int, int, float]]:
    """(i, j, cosine) with i < j and cosine >= threshold, blockwise so memory stays O(block x n)."""
    out = []
    for s in range(0, len(vecs), block):
        m = vecs[s:s + block] @ vecs.T
        rows, cols = np.nonzero(m >= threshold)
        for r, c in zip(rows, cols):
            if s + r < c:
                out.append((int(s + r), int(c), float(m[r, c])))
    return out


def clusters_from_pairs(n: int, pairs) -> np.ndarray:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)  # the root is the earliest record: the one that is kept
    return np.array([find(i) for i in range(n)])


def semantic_columns(vecs: np.ndarray, ids: list[str], eval_sets: list, eval_vecs: list, cfg: SemanticConfig) -> dict:
    n = len(ids)
    pairs = similar_pairs(vecs, cfg.threshold)
    roots = clusters_from_pairs(n, pairs)
    best = {}  # record -> best similarity to any member of its cluster
    for i, j, s in pairs:
        best[i], best[j] = max(best.get(i, 0), s), max(best.get(j, 0), s)
    sizes = np.bincount(roots, minlength=n)
    cluster_id = {r: c for c, r in enumerate(sorted({int(r) for r in roots if sizes[r] > 1}))}
    cols = {"semantic_dup_cluster": [cluster_id.get(int(r), -1) for r in roots],
            "semantic_dup_of": [ids[r] if r != i else None for i, r in enumerate(roots)],
            "semantic_dup_similarity": [round(best[i], 4) if i in best else None for i in range(n)]}
    leak_of, leak_sim = [None] * n, [None] * n
    for ev, ev_vecs in zip(eval_sets, eval_vecs):
        if not len(ev_vecs) or not n:
            continue
        m = vecs @ ev_vecs.T
        j, s = m.argmax(1), m.max(1)
        for i in np.nonzero(s >= cfg.leak_threshold)[0]:
            if leak_sim[i] is None or s[i] > leak_sim[i]:
                leak_of[i], leak_sim[i] = f"{ev.name}:{ev.ids[j[i]]}", round(float(s[i]), 4)
    cols.update({"semantic_leak_of": leak_of, "semantic_leak_similarity": leak_sim})
    return cols


@register_stage("semantic", config=SemanticConfig, inputs=("eval",), version="1",
                columns=("semantic_dup_cluster", "semantic_dup_of", "semantic_dup_similarity", "semantic_leak_of",
                         "semantic_leak_similarity"))
def semantic(batch: dict[str, list], *, config: SemanticConfig, eval: list | None = None) -> dict[str, list]:
    """Semantic near-duplicates (cosine >= threshold) within training, and semantic leakage into eval sets."""
    vecs = embed_texts(record_texts(batch, config.side), config)
    eval_sets = list(eval or [])
    eval_vecs = [embed_texts(dataset_texts(ev, config.side), config) for ev in eval_sets]
    return semantic_columns(vecs, list(batch["id"]), eval_sets, eval_vecs, config)
