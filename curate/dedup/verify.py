"""Exact Jaccard of candidate pairs, on their shingle sets: the similarity we report is measured.

Each document's unique shingle hashes are sorted (minhash.ShingleSets), so the whole corpus is
one sorted array of (document << 40 | hash) keys. For a pair (a, b) the smaller set's keys are
re-tagged with the other document and looked up with one vectorised `np.searchsorted`: the
intersection size is the number of hits, |A ∪ B| = |A| + |B| - |A ∩ B|. All pairs go through
one call, so verifying 100k candidates costs a few numpy passes, not 100k Python loops.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.minhash import _HASH_BITS, ShingleSets, Sketch

U64 = np.uint64
_MASK = U64((1 << _HASH_BITS) - 1)


def jaccard_pairs(sets: ShingleSets | Sketch, pairs: np.ndarray, *, chunk: int = 1 << 20) -> np.ndarray:
    """Exact Jaccard similarity of each (i, j) row of `pairs`; two empty sets score 0.
    From a `Sketch`, the sets of the documents in `pairs` are rebuilt first."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if isinstance(sets, Sketch):
        sub, pos = sets.sets_of(pairs.ravel())
        return jaccard_pairs(sub, pos[pairs], chunk=chunk)
    out = np.zeros(len(pairs), dtype=np.float64)
    if len(pairs) == 0:
        return out
    keys = sets.keys
    sizes = sets.sizes
    a, b = pairs[:, 0], pairs[:, 1]
    swap = sizes[a] > sizes[b]  # look up the smaller set in the larger one
    small, big = np.where(swap, b, a), np.where(swap, a, b)
    n_small = sizes[small]
    inter = np.zeros(len(pairs), dtype=np.int64)
    # split the pairs so that one lookup array stays near `chunk` elements (see minhash.py on
    # why big temporary arrays are slow here)
    cum = np.cumsum(n_small)
    edges = np.unique(np.concatenate([[0], np.searchsorted(cum, np.arange(chunk, cum[-1], chunk), side="right"),
                                      [len(pairs)]]))
    for lo, hi in zip(edges[:-1], edges[1:]):
        sm, bg, ns = small[lo:hi], big[lo:hi], n_small[lo:hi]
        total = int(ns.sum())
        if not total:
            continue
        pair_of = np.repeat(np.arange(hi - lo), ns)
        first = np.concatenate([[0], np.cumsum(ns)[:-1]])
        elem = sets.offsets[sm][pair_of] + (np.arange(total) - first[pair_of])
        probe = (bg[pair_of].astype(np.uint64) << U64(_HASH_BITS)) | (keys[elem] & _MASK)
        pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
        hit = keys[pos] == probe
        inter[lo:hi] = np.bincount(pair_of, weights=hit, minlength=hi - lo).astype(np.int64)
    union = sizes[a] + sizes[b] - inter
    np.divide(inter, union, out=out, where=union > 0)
    return out
