"""`curate dedup DATA --calibrate`: see where real duplicates stop before choosing a threshold.

Verified pairs are collected down to Jaccard `floor` (0.5) and grouped into similarity bands
(0.5-0.6, ..., 0.9-1.0); a few pairs per band (seeded sample) are printed with their differing
words, next to how many records each candidate threshold would remove. A threshold set too low
silently deletes distinct records that share a template; this table makes that visible.

The removal counts run the stage's own code (stage.prepare + stage.near_duplicates, the same
texts, shared-text removal, keep policy and LSH banding per threshold), so the number printed for
a threshold is exactly what `--threshold T` (or the stage) then removes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.dedup.config import DedupConfig
from curate.dedup.pairs import similar_pairs
from curate.dedup.stage import compared_texts, near_duplicates, prepare

BANDS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Calibration:
    bands: list[dict]  # {lo, hi, pairs, examples: [(id_a, id_b, jaccard)]}
    removed: list[dict]  # {threshold (None: exact copies only), removed, exact, near, clusters}
    texts: dict  # id -> compared text (shared blocks cut out), for printing the examples
    shared: list[dict]  # the shared blocks cut out before comparing: {text, chars, records}


def calibrate(batch: dict, config: DedupConfig, *, floor: float = 0.5, per_band: int = 3, seed: int = 0) -> Calibration:
    ids = list(batch["id"])
    n = len(ids)
    if n == 0:
        compared_texts(batch, config.fields)
        return Calibration([], [], {}, [])
    c = prepare(batch, config)
    copies = int(((c.rep >= 0) & (c.rep != np.arange(n))).sum())
    removed = [{"threshold": None, "removed": copies, "exact": copies, "near": 0, "clusters": None}]
    for t in sorted(set(THRESHOLDS) | {config.threshold}):
        dup_of, _ = near_duplicates(c, config, t)
        near = int((dup_of >= 0).sum())
        kept_of = np.where(dup_of >= 0, dup_of, np.arange(n))[np.maximum(c.rep, 0)]
        heads = np.unique(kept_of[(c.rep >= 0) & ((c.rep != np.arange(n)) | (dup_of >= 0))])
        removed.append({"threshold": t, "removed": copies + near, "exact": copies, "near": near,
                        "clusters": int(len(heads))})
    reps = np.flatnonzero(c.rep == np.arange(n))
    found = similar_pairs(c.near_sets, threshold=floor, num_perm=config.num_perm, seed=config.seed,
                          recall=config.recall, active=reps)
    same = c.lkey[found.pairs[:, 0]] == c.lkey[found.pairs[:, 1]]  # classification: only equal labels
    pairs, jac = found.pairs[same], found.jaccard[same]
    rng = np.random.default_rng(seed)
    bands = []
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        idx = np.flatnonzero((jac >= lo) & (jac < hi))
        pick = rng.choice(idx, size=min(per_band, len(idx)), replace=False) if len(idx) else []
        bands.append({"lo": lo, "hi": min(hi, 1.0), "pairs": int(len(idx)),
                      "examples": [(ids[pairs[k, 0]], ids[pairs[k, 1]], float(jac[k])) for k in pick]})
    return Calibration(bands, removed, dict(zip(ids, c.shared.texts)), c.shared.blocks)
