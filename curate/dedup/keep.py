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
sharing the most bands (the MinHash estimate of Jaccard) are verified first.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.lsh import band_keys, lsh_params
from curate.dedup.minhash import ShingleSets, signatures
from curate.dedup.verify import jaccard_pairs

MAX_CANDIDATES = 64


def keep_verified(sets: ShingleSets, order: np.ndarray, *, threshold: float, num_perm: int, seed: int = 1,
                  recall: float = 0.99, same: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Visit documents `order` (best first); returns (kept document each one duplicates or -1, its Jaccard).

    Empty documents are never duplicates. `same`: a key per document (e.g. the label); only
    documents with equal keys can duplicate each other.
    """
    n = len(sets)
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float64)
    order = np.asarray(order, dtype=np.int64)
    order = order[sets.sizes[order] > 0]
    if len(order) < 2:
        return dup_of, sim
    bands, rows = lsh_params(threshold, num_perm, recall)
    sig = signatures(sets, bands * rows, seed=seed, only=order)
    keys = band_keys(sig[:, order], bands, rows)
    bucket = np.empty(keys.shape, dtype=np.int64)  # a global bucket id per (band, document)
    shared = np.empty(keys.shape, dtype=bool)  # the bucket holds another document too
    offset = 0
    for b in range(bands):
        _, inv, cnt = np.unique(keys[b], return_inverse=True, return_counts=True)
        bucket[b] = inv + offset
        shared[b] = cnt[inv] > 1
        offset += len(cnt)
    kept_in: dict[int, list[int]] = {}  # bucket -> positions in `order` of the kept documents in it
    for a in np.flatnonzero(shared.any(axis=0)):  # positions in `order`, so best first
        bs = bucket[shared[:, a], a]
        cand = [x for bid in bs for x in kept_in.get(int(bid), ())]
        if cand:
            pos, votes = np.unique(np.asarray(cand, dtype=np.int64), return_counts=True)
            if same is not None:
                ok = same[order[pos]] == same[order[a]]
                pos, votes = pos[ok], votes[ok]
            if len(pos) > MAX_CANDIDATES:
                top = np.sort(np.argsort(-votes, kind="stable")[:MAX_CANDIDATES])
                pos = pos[top]
            if len(pos):
                doc = order[a]
                j = jaccard_pairs(sets, np.stack([np.full(len(pos), doc), order[pos]], axis=1))
                best = int(np.argmax(j))  # ties go to the best-ranked kept record (pos is sorted)
                if j[best] >= threshold:
                    dup_of[doc], sim[doc] = order[pos[best]], j[best]
                    continue
        for bid in bs:
            kept_in.setdefault(int(bid), []).append(int(a))
    return dup_of, sim
