"""Exact duplicates after normalisation (normalize.py), per record and per field.

Every text gets a 64-bit key of its normalised token sequence (minhash.ShingleSets.doc_keys);
records are grouped by key with one sort, and each record points at the best-ranked member of
its group (see cluster.keep_rank). Three questions are answered per field:

  same prompt, same answer      the record is an exact duplicate   -> exact_dup_of
  same prompt, different answer the answers conflict               -> same_prompt_as
  same answer, different prompt a canned/templated answer          -> same_response_as
"""

from __future__ import annotations

import numpy as np

from curate.dedup.minhash import fmix64

U64 = np.uint64


def combine(*keys: np.ndarray) -> np.ndarray:
    """One key for a tuple of per-field keys (order matters: (prompt, answer) != (answer, prompt))."""
    out = np.zeros(len(keys[0]), dtype=np.uint64)
    for k in keys:
        out = fmix64(out * U64(0x9E3779B97F4A7C15) + np.asarray(k, dtype=np.uint64))
    return out


def label_keys(labels: list) -> np.ndarray:
    """Small integer keys for label values (None is its own label)."""
    _, inv = np.unique(np.array(["\x00none" if v is None else str(v) for v in labels], dtype=object),
                       return_inverse=True)
    return inv.astype(np.uint64) + U64(1)


def best_of_group(keys: np.ndarray, rank: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """For each row, the best-ranked row with the same key (itself when it is the best); -1 where
    `mask` is False (e.g. empty texts, which are not duplicates of each other)."""
    n = len(keys)
    out = np.full(n, -1, dtype=np.int64)
    rows = np.arange(n) if mask is None else np.flatnonzero(mask)
    if len(rows) == 0:
        return out
    order = rows[np.lexsort((rank[rows], keys[rows]))]
    k = keys[order]
    new = np.concatenate([[True], k[1:] != k[:-1]])
    head = order[np.flatnonzero(new)[np.cumsum(new) - 1]]
    out[order] = head
    return out
