"""Split assignment: duplicate groups stay whole, labels keep their proportions, seeded."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from curate.split import assign_splits, duplicate_groups


def test_duplicate_groups_union_exact_and_near_links():
    ids = ["a", "b", "c", "d", "e"]
    sig = pd.DataFrame({"id": ids, "exact_dup_of": [None, "a", None, None, None],
                        "near_dup_of": [None, None, None, "c", None], "near_dup_cluster": [None, None, 7, 7, None]})
    groups = sorted(sorted(g) for g in duplicate_groups(ids, sig))
    assert groups == [[0, 1], [2, 3], [4]]


def test_groups_never_straddle_and_labels_are_stratified():
    groups = [[i, i + 1] for i in range(0, 400, 2)] + [[i] for i in range(400, 1000)]
    labels = ["pos" if i % 4 == 0 else "neg" for i in range(1000)]
    where = assign_splits(groups, labels, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=1)
    for g in groups:
        assert len({where[i] for i in g}) == 1
    sizes = Counter(where.values())
    assert abs(sizes["train"] - 800) <= 10 and abs(sizes["test"] - 100) <= 10
    for split in ("train", "test"):
        share = sum(1 for i, s in where.items() if s == split and labels[i] == "pos") / sizes[split]
        assert 0.2 <= share <= 0.3
    assert where == assign_splits(groups, labels, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=1)
