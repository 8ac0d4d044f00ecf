"""Facility location picks representatives, not near-copies; quotas share the budget and respect capacity."""

from __future__ import annotations

import numpy as np
import pytest

from curate.select.facility import facility_location
from curate.select.quota import allocate


def unit(rows):
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# two tight clusters, the first with 4 near-copies, the second with 2
X = unit([[1, 0.01, 0], [1, 0.02, 0], [1, 0, 0.01], [1, 0.01, 0.01], [0, 1, 0.01], [0, 1, 0.02]])


def test_two_picks_cover_both_clusters_not_two_near_copies():
    picks, gains = facility_location(X, X, 2)
    assert sorted(p >= 4 for p in picks) == [False, True]  # one pick from each cluster
    assert gains[0] >= gains[1] > 0  # greedy: gains never grow


def test_usefulness_near_zero_moves_the_pick_to_a_useful_neighbour():
    u = np.ones(len(X))
    first, _ = facility_location(X, X, 1)
    u[first[0]] = 1e-3
    picks, _ = facility_location(X, X, 1, usefulness=u)
    assert picks[0] != first[0] and picks[0] < 4  # still the big cluster, another member of it


@pytest.mark.parametrize("k,expected", [(0, 0), (6, 6), (10, 6)], ids=["zero", "all", "more-than-candidates"])
def test_pick_count(k, expected):
    picks, _ = facility_location(X, X, k)
    assert len(picks) == expected and len(set(picks)) == expected


@pytest.mark.parametrize("budget,demand,capacity,expected", [
    (9, [1, 1, 1], [10, 10, 10], [3, 3, 3]),
    (10, [1, 1, 1], [10, 10, 10], [4, 3, 3]),  # remainder to the lowest index on a tie
    (9, [1, 1, 1], [1, 10, 10], [1, 4, 4]),  # a small group's unused share goes to the others
    (30, [1, 1, 1], [1, 2, 3], [1, 2, 3]),  # budget above what exists: everything eligible
    (10, [3, 1, 0], [10, 10, 10], [8, 2, 0]),  # reference demand; no demand, no records
    (10, [0, 0, 0], [5, 5, 0], [5, 5, 0]),  # no demand anywhere: equal over groups with records
    (2, [1, 1, 1, 1], [5, 5, 5, 5], [1, 1, 0, 0]),  # fewer records than groups
], ids=["equal", "remainder", "capped", "over-budget", "demand", "no-demand", "tiny-budget"])
def test_allocate(budget, demand, capacity, expected):
    got = allocate(budget, np.array(demand), np.array(capacity))
    assert got.tolist() == expected
    assert (got <= np.array(capacity)).all()
