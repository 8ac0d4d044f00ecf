"""Texts -> verified similar pairs: shingles, signatures, LSH candidates, exact Jaccard.

The one place that runs the MinHash phases in order; dedup, leakage, conflicts and calibration
all call it with their own texts and thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.dedup.lsh import candidate_pairs, lsh_params
from curate.dedup.minhash import ShingleSets, Sketch, signatures
from curate.dedup.verify import jaccard_pairs


@dataclass
class SimilarPairs:
    pairs: np.ndarray  # (P, 2) int64 document indices, i < j
    jaccard: np.ndarray  # (P,) exact Jaccard of their shingle sets, all >= the threshold
    candidates: int  # LSH candidates before verification (the rest were false positives)
    bands: int
    rows: int


def similar_pairs(sets: ShingleSets | Sketch, *, threshold: float, num_perm: int, seed: int = 1, recall: float = 0.99,
                  active: np.ndarray | None = None, group: np.ndarray | None = None) -> SimilarPairs:
    """Pairs of documents whose exact shingle Jaccard is >= threshold (found through MinHash LSH).

    `active` limits the index to some documents (one per exact-duplicate group, non-empty);
    `group` keeps only pairs across groups (training vs eval sets).
    """
    bands, rows = lsh_params(threshold, num_perm, recall)
    nonempty = np.flatnonzero(sets.sizes > 0)
    active = nonempty if active is None else np.intersect1d(np.asarray(active, dtype=np.int64), nonempty)
    # a sketch holds every document's signature; candidate_pairs indexes `active` only
    sig = sets.signatures(bands * rows, seed) if isinstance(sets, Sketch) else \
        signatures(sets, bands * rows, seed=seed, only=active)
    cand = candidate_pairs(sig, bands, rows, active=active, group=group)
    jac = jaccard_pairs(sets, cand)
    ok = jac >= threshold
    return SimilarPairs(cand[ok], jac[ok], len(cand), bands, rows)

