"""`curate split`: seeded train/validation/test splits that keep duplicate clusters together.

A near-duplicate pair split across train and test is leakage you made yourself, so whole clusters
(exact and near duplicates, from the dedup stage) are assigned to one split. With labels, groups
are assigned label by label so every split keeps the label proportions.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict


def duplicate_groups(ids: list[str], signals) -> list[list[int]]:
    """Positions grouped by union-find over exact_dup_of / near_dup_of / near_dup_cluster."""
    parent = list(range(len(ids)))
    pos = {i: n for n, i in enumerate(ids)}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for col in ("exact_dup_of", "near_dup_of"):
        if col in signals.columns:
            for n, other in enumerate(signals[col]):
                if isinstance(other, str) and other in pos:
                    union(n, pos[other])
    if "near_dup_cluster" in signals.columns:
        first: dict = {}
        for n, c in enumerate(signals["near_dup_cluster"]):
            if c is not None and c == c and c != -1:
                union(n, first.setdefault(c, n))
    groups = defaultdict(list)
    for n in range(len(ids)):
        groups[find(n)].append(n)
    return list(groups.values())


def assign_splits(groups: list[list[int]], labels: list | None, ratios: dict[str, float], seed: int) -> dict[int, str]:
    """Greedy: shuffle groups (seeded), give each to the split furthest below its target, per label."""
    rng = random.Random(seed)
    names = list(ratios)
    by_label = defaultdict(list)
    for g in groups:
        key = Counter(labels[i] for i in g).most_common(1)[0][0] if labels else None
        by_label[key].append(g)
    out: dict[int, str] = {}
    for key in sorted(by_label, key=str):
        gs = by_label[key]
        rng.shuffle(gs)
        total = sum(len(g) for g in gs)
        filled = dict.fromkeys(names, 0)
        for g in gs:
            # the split with the largest missing share of its target takes the group
            name = max(names, key=lambda s: (ratios[s] * total - filled[s]) / max(ratios[s], 1e-9) if ratios[s] > 0 else -1e18)
            filled[name] += len(g)
            for i in g:
                out[i] = name
    return out
