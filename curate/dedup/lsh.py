"""LSH banding over a signature matrix, in numpy: bands/rows from the threshold, candidate pairs.

Bands and rows come from the user's Jaccard threshold and `num_perm`. datasketch's
`MinHashLSH` minimises the (weighted) false-positive plus false-negative area; at threshold 0.8
and 128 permutations that gives 9 bands x 13 rows, which finds a pair of Jaccard exactly 0.8
with probability 0.40 and one of 0.85 with 0.69: a quarter of the true duplicates near the
threshold are silently lost. Every candidate here is verified with its exact Jaccard
(verify.py), so a false positive costs one set intersection while a false negative loses a
duplicate. `lsh_params` therefore picks, among all bands x rows <= num_perm, the one with the
smallest false-positive area (datasketch's integral) whose probability of catching a pair *at*
the threshold is at least `recall` (0.99): 16 x 6 at 0.8/128. Only bands x rows permutations are
computed, so the unused ones cost nothing.

The index itself is one sort per band (np.argsort of a 64-bit band key per document) instead
of a Python dict per band: documents with equal keys form a bucket, and each bucket emits
the pairs (first, member) and (previous, member), enough for union-find to join the bucket
while keeping the number of pairs linear in its size.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from curate.dedup.minhash import fmix64

U64 = np.uint64


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with the least false-positive area that catches a pair at `threshold` w.p. >= recall."""
    from datasketch.lsh import _false_positive_probability

    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1 (exclusive), not {threshold}")
    best = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            if 1 - (1 - threshold ** r) ** b < recall:
                continue
            area = _false_positive_probability(threshold, b, r)
            if best is None or area < best[0]:
                best = (area, b, r)
    if best is None:  # too few permutations for that recall: take the most permissive banding
        return num_perm, 1
    return best[1], best[2]


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    return 1 - (1 - similarity ** rows) ** bands


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A 64-bit key per (band, document): shape (bands, documents)."""
    keys = np.empty((bands, sig.shape[1]), dtype=np.uint64)
    for band in range(bands):
        h = np.full(sig.shape[1], U64(band + 1), dtype=np.uint64)
        for row in sig[band * rows:(band + 1) * rows]:
            h = fmix64(h ^ row.astype(np.uint64))
        keys[band] = h
    return keys


def candidate_pairs(sig: np.ndarray, bands: int, rows: int, *, active: np.ndarray | None = None,
                    group: np.ndarray | None = None) -> np.ndarray:
    """Unique candidate pairs (i < j), shape (P, 2), of documents sharing at least one band bucket.

    `active`: indices of the documents to index (e.g. non-empty, one per exact-duplicate group).
    `group`: per-document set id; when given, only pairs across different sets are returned
    (training vs eval for leakage).
    """
    n = sig.shape[1]
    active = np.arange(n) if active is None else np.asarray(active, dtype=np.int64)
    if len(active) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    keys = band_keys(sig[:, active], bands, rows)
    out = []
    for band in range(bands):
        order = np.argsort(keys[band], kind="stable")
        k = keys[band][order]
        docs = active[order]
        same = k[1:] == k[:-1]  # docs[i+1] shares docs[i]'s bucket
        if not same.any():
            continue
        # first member of each bucket, for the star edges
        head = np.maximum.accumulate(np.where(np.concatenate([[True], ~same]), np.arange(len(k)), 0))
        idx = np.flatnonzero(same) + 1
        out.append(np.stack([docs[idx - 1], docs[idx]], axis=1))  # chain
        star = idx[head[idx] != idx - 1]
        if len(star):
            out.append(np.stack([docs[head[star]], docs[star]], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(out)
    pairs = np.sort(pairs, axis=1)
    if group is not None:
        group = np.asarray(group)
        pairs = pairs[group[pairs[:, 0]] != group[pairs[:, 1]]]
    code = np.unique(pairs[:, 0].astype(np.uint64) * U64(n) + pairs[:, 1].astype(np.uint64))
    return np.stack([(code // U64(n)).astype(np.int64), (code % U64(n)).astype(np.int64)], axis=1)
