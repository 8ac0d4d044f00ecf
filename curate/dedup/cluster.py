"""Duplicate clusters: union-find over verified pairs, one kept record per cluster.

Edges come from exact-duplicate groups and from verified MinHash pairs; the embedding stage
(semantic duplicates, later) adds its own verified pairs through the same `Edges` with
method="embedding", so every kind of duplicate lands in one cluster structure with one kept
record and the same evidence columns.

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


def clusters(n: int, edges: Edges, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union-find over the edges. Returns (cluster id per record or -1, kept record per record or -1).

    Cluster ids are 0, 1, ... in the order of their kept records, so they are stable for the same
    data and configuration.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    i, j, _, _ = edges.arrays()
    cluster = np.full(n, -1, dtype=np.int64)
    kept = np.full(n, -1, dtype=np.int64)
    if len(i) == 0 or n == 0:
        return cluster, kept
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    in_cluster = size[comp] > 1
    # kept record of each component: the member with the lowest rank
    order = np.lexsort((rank, comp))
    first = np.concatenate([[True], comp[order][1:] != comp[order][:-1]])
    best_of_comp = np.full(comp.max() + 1, -1, dtype=np.int64)
    best_of_comp[comp[order][first]] = order[first]
    kept[in_cluster] = best_of_comp[comp[in_cluster]]
    heads = np.unique(kept[in_cluster])  # sorted by position: cluster 0 is the earliest kept record
    cluster[in_cluster] = np.searchsorted(heads, kept[in_cluster])
    return cluster, kept
