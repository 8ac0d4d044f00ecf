"""`curate dedup DATA --calibrate`: see where real duplicates stop before choosing a threshold.

Verified pairs are collected down to Jaccard `floor` (0.5) and grouped into similarity bands
(0.5-0.6, ..., 0.9-1.0); a few pairs per band (seeded sample) are printed with their differing
words, next to how many records each candidate threshold would remove. A threshold set too low
silently deletes distinct records that share a template; this table makes that visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.dedup.cluster import Edges, clusters, keep_rank
from curate.dedup.config import DedupConfig
from curate.dedup.exact import best_of_group, combine, label_keys
from curate.dedup.minhash import shingle_sets
from curate.dedup.pairs import similar_pairs
from curate.dedup.stage import record_texts

BANDS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


@dataclass
class Calibration:
    bands: list[dict]  # {lo, hi, pairs, examples: [(id_a, id_b, jaccard)]}
    removed: list[dict]  # {threshold, removed, clusters}
    texts: dict  # id -> record text, for printing the examples


def calibrate(batch: dict, config: DedupConfig, *, floor: float = 0.5, per_band: int = 3, seed: int = 0) -> Calibration:
    ids = list(batch["id"])
    n = len(ids)
    texts = record_texts(batch)
    sets = shingle_sets(texts, shingle=config.shingle, ngram=config.ngram)
    rank = keep_rank("first", n=n)
    # classification: like the stage, only records with the same label are duplicates
    labels = label_keys(batch["label"]) if "classification" in set(batch["format"]) else np.zeros(n, np.uint64)
    rep = best_of_group(combine(sets.doc_keys, labels), rank, sets.sizes > 0)
    reps = np.flatnonzero(rep == np.arange(n))
    found = similar_pairs(sets, threshold=floor, num_perm=config.num_perm, seed=config.seed, recall=config.recall,
                          active=reps)
    same = labels[found.pairs[:, 0]] == labels[found.pairs[:, 1]]
    found.pairs, found.jaccard = found.pairs[same], found.jaccard[same]
    rng = np.random.default_rng(seed)
    bands = []
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        idx = np.flatnonzero((found.jaccard >= lo) & (found.jaccard < hi))
        pick = rng.choice(idx, size=min(per_band, len(idx)), replace=False) if len(idx) else []
        bands.append({"lo": lo, "hi": min(hi, 1.0), "pairs": int(len(idx)),
                      "examples": [(ids[found.pairs[k, 0]], ids[found.pairs[k, 1]], float(found.jaccard[k]))
                                   for k in pick]})
    copies = np.flatnonzero((rep >= 0) & (rep != np.arange(n)))
    removed = []
    for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        e = Edges().add(copies, rep[copies], 1.0, "exact")
        keep = found.jaccard >= t
        e.add(found.pairs[keep, 0], found.pairs[keep, 1], found.jaccard[keep], "minhash")
        cl, kept = clusters(n, e, rank)
        removed.append({"threshold": t, "removed": int(((cl >= 0) & (kept != np.arange(n))).sum()),
                        "clusters": int(cl.max() + 1) if (cl >= 0).any() else 0})
    return Calibration(bands, removed, dict(zip(ids, texts)))
