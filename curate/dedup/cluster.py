"""Which record of a duplicate group is kept (`keep_rank`), and the decisions as edges.

There is no union-find here on purpose: joining verified pairs transitively chains A~B~C into one
cluster under a kept record that C may barely resemble (issue 13). A duplicate is decided against
a kept record instead (keep.py); `Edges` records those decisions (exact copy -> the best identical
record, near-duplicate -> the kept record, with the similarity), which bench/dedup.py scores.

Kept-record policy (`keep`):
  first    the earliest record in dataset order (stable, what most dedup tools do)
  longest  the record with the longest answer (or text), ties to the earliest
  score    the highest externally given quality score (e.g. a reward model), ties to the earliest
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KEEP_POLICIES = ("first", "longest", "score")


@dataclass
class Edges:
    """Verified duplicate pairs, with how they were found and how similar they are."""

    i: list = field(default_factory=list)  # arrays of document indices
    j: list = field(default_factory=list)
    similarity: list = field(default_factory=list)
    method: list = field(default_factory=list)  # one label per added block: "exact", "minhash", "embedding"

    def add(self, i, j, similarity, method: str) -> "Edges":
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        self.i.append(i)
        self.j.append(j)
        self.similarity.append(np.broadcast_to(np.asarray(similarity, dtype=np.float64), i.shape))
        self.method.append(np.full(len(i), method, dtype=object))
        return self

    def arrays(self):
        if not self.i:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0), np.zeros(0, dtype=object)
        return (np.concatenate(self.i), np.concatenate(self.j), np.concatenate(self.similarity),
                np.concatenate(self.method))


def keep_rank(policy: str, *, lengths=None, scores=None, n: int) -> np.ndarray:
    """Lower rank = kept first. Ties always go to the earlier record."""
    order = np.arange(n)
    if policy == "first":
        return order
    if policy == "longest":
        return np.lexsort((order, -np.asarray(lengths))).argsort()
    if policy == "score":
        if scores is None:
            raise ValueError("keep='score' needs a quality score per record")
        return np.lexsort((order, -np.asarray(scores, dtype=np.float64))).argsort()
    raise ValueError(f"keep must be one of {KEEP_POLICIES}, not {policy!r}")
