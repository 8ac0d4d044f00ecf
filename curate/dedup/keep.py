"""Which record a near-duplicate is removed for: one that is KEPT, verified, never a chain.

Union-find over verified pairs chains: A~B and B~C puts A, B, C in one cluster under one kept
record although A and C may share half their text (issue 13: clusters of 729 records whose
members sit at Jaccard 0.49-0.59 to the record they were "near-duplicates" of). Here, as in
SemHash, records are visited best first (cluster.keep_rank) and a record is removed only when its
exact Jaccard to an already *kept* record is >= the threshold; it then names that record and that
Jaccard. Otherwise it is kept, and later records are compared with it. A paraphrase of a
paraphrase is caught only when it is itself close enough to a kept record.

Candidates come from the MinHash LSH buckets (lsh.py): the kept records sharing a band bucket with
the record. Every candidate is verified with its exact Jaccard (verify.py); when more than
MAX_CANDIDATES kept records share buckets with one record (a template-flooded bucket), the ones
sharing the most bands (the MinHash estimate of Jaccard) are verified first. The candidates of
CHUNK records at a time are verified in one vectorised call, then the decisions are taken in order.
Given a `Sketch` instead of the sets, each chunk rebuilds the sets of the records it verifies.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.lsh import band_keys, lsh_params
from curate.dedup.minhash import ShingleSets, Sketch, signatures
from curate.dedup.verify import jaccard_pairs

MAX_CANDIDATES = 64
CHUNK = 2048  # records whose candidates are verified together


def keep_verified(sets: ShingleSets | Sketch, order: np.ndarray, *, threshold: float, num_perm: int, seed: int = 1,
                  recall: float = 0.99, same: np.ndarray | None = None, buckets=None) -> tuple[np.ndarray, np.ndarray]:
    """Visit documents `order` (best first); returns (kept document each one duplicates or -1, its Jaccard).

    Empty documents are never duplicates. `same`: a key per document (e.g. the label); only
    documents with equal keys can duplicate each other. `buckets`: what finds the LSH buckets,
    `band_buckets` (the Ray engine passes its own, which must return the same buckets).
    """
    n = len(sets)
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float64)
    order = np.asarray(order, dtype=np.int64)
    order = order[sets.sizes[order] > 0]
    if len(order) < 2:
        return dup_of, sim
    bands, rows = lsh_params(threshold, num_perm, recall)
    bucket, shared = (buckets or band_buckets)(sets, order, bands, rows, seed)
    kept_in: dict[int, list[int]] = {}  # bucket -> positions in `order` of the kept documents in it
    is_kept = np.zeros(len(order), dtype=bool)
    active = np.flatnonzero(shared.any(axis=0))  # positions in `order`, so best first
    for c0 in range(0, len(active), CHUNK):
        # candidates of a whole chunk are verified in one jaccard_pairs call; the decisions are then
        # taken in order, so a record can also be removed for one kept earlier in the same chunk
        chunk = active[c0:c0 + CHUNK].tolist()
        in_chunk: dict[int, list[int]] = {}
        buckets_of, pa, pb = {}, [], []
        for a in chunk:
            bs = bucket[shared[:, a], a].tolist()
            buckets_of[a] = bs
            lists = [x for bid in bs for x in (kept_in.get(bid), in_chunk.get(bid)) if x]
            for bid in bs:
                in_chunk.setdefault(bid, []).append(a)
            cand = _top_voted(lists)
            if same is not None:
                cand = [p for p in cand if same[order[p]] == same[order[a]]]
            pa += [a] * len(cand)
            pb += cand
        # from a Sketch, jaccard_pairs rebuilds the sets of this chunk's records and candidates only
        jac = jaccard_pairs(sets, np.stack([order[pa], order[pb]], axis=1)) if pa else np.zeros(0)
        close: dict[int, list] = {}
        for a, p, j in zip(pa, pb, jac.tolist()):
            if j >= threshold:
                close.setdefault(a, []).append((j, p))
        for a in chunk:
            best = max(((j, -p) for j, p in close.get(a, ()) if is_kept[p]), default=None)  # ties: best rank
            if best is not None:
                dup_of[order[a]], sim[order[a]] = order[-best[1]], best[0]
                continue
            is_kept[a] = True
            for bid in buckets_of[a]:
                kept_in.setdefault(bid, []).append(a)
    return dup_of, sim


def band_buckets(sets: ShingleSets | Sketch, order: np.ndarray, bands: int, rows: int, seed: int):
    """(bucket id, shared) per (band, position in `order`): documents with equal band keys share a
    bucket id; `shared` is True where the bucket holds another document too. Only the ids of
    shared buckets are read, so any numbering that groups the same documents gives the same result."""
    sig = sets.signatures(bands * rows, seed) if isinstance(sets, Sketch) else \
        signatures(sets, bands * rows, seed=seed, only=order)
    keys = band_keys(sig[:, order], bands, rows)
    bucket = np.empty(keys.shape, dtype=np.int64)  # a global bucket id per (band, document)
    shared = np.empty(keys.shape, dtype=bool)  # the bucket holds another document too
    offset = 0
    for b in range(bands):
        _, inv, cnt = np.unique(keys[b], return_inverse=True, return_counts=True)
        bucket[b] = inv + offset
        shared[b] = cnt[inv] > 1
        offset += len(cnt)
    return bucket, shared


def _top_voted(lists: list[list[int]]) -> list[int]:
    """The candidates in `lists`, at most MAX_CANDIDATES: those listed in the most band buckets."""
    if sum(len(x) for x in lists) <= MAX_CANDIDATES:
        return list(dict.fromkeys(x for lst in lists for x in lst))
    pos, votes = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in lists]), return_counts=True)
    if len(pos) > MAX_CANDIDATES:
        pos = pos[np.sort(np.argsort(-votes, kind="stable")[:MAX_CANDIDATES])]
    return pos.tolist()
