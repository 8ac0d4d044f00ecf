"""Close pairs and keep-first over them: the same decisions as the all-pairs scan, exact or blocked."""

from __future__ import annotations

import numpy as np
import pytest

from curate.embed import semantic as semantic_mod
from curate.embed.neighbors import close_pairs, keep_first
from curate.embed.semantic import keep_verified


def _clustered(n_base=1500, n_copies=1000, dim=48, noise=0.15, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_base, dim))
    x = np.concatenate([base, base[rng.integers(0, n_base, n_copies)] + rng.normal(scale=noise, size=(n_copies, dim))])
    x = x[rng.permutation(len(x))].astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), rng


def _brute(x, t):
    m = x @ x.T
    return {(i, j) for i in range(len(x)) for j in range(i) if m[i, j] >= t}


@pytest.mark.parametrize("threshold", [0.9, 0.95])
def test_exact_pairs_are_every_close_earlier_pair(threshold):
    x, _ = _clustered(300, 200)
    i, j, s = close_pairs(x, threshold)
    assert set(zip(i.tolist(), j.tolist())) == _brute(x, threshold)
    assert (j < i).all() and (s >= threshold).all()
    assert (np.diff(i) >= 0).all()  # sorted by i


@pytest.mark.parametrize("keys, drop", [(False, False), (True, False), (True, True)],
                         ids=["plain", "number-keys", "keys-and-non-candidates"])
@pytest.mark.parametrize("exact_upto", [10**9, 0], ids=["exact", "blocked"])
def test_keep_first_matches_keep_verified(keys, drop, exact_upto):
    x, rng = _clustered()
    same = rng.integers(0, 3, len(x)) if keys else None
    cand = rng.random(len(x)) > 0.1 if drop else None
    want = keep_verified(x, 0.92, candidate=cand, same=same)
    i, j, s = close_pairs(x, 0.92, same=same, active=None if cand is None else np.flatnonzero(cand),
                          exact_upto=exact_upto)
    got = keep_first(len(x), i, j, s, candidate=cand)
    assert (got[0] == want[0]).all() and (want[0] >= 0).sum() > 100
    np.testing.assert_allclose(got[1], want[1], atol=1e-6)


def test_blocked_pairs_have_no_false_ones_and_find_the_near_copies():
    x, _ = _clustered(4000, 3000, noise=0.1, seed=1)
    i, j, s = close_pairs(x, 0.95, exact_upto=0)
    exact = close_pairs(x, 0.95)
    found = set(zip(i.tolist(), j.tolist()))
    want = set(zip(exact[0].tolist(), exact[1].tolist()))
    assert found <= want  # every blocked pair is a real one (its cosine was computed)
    assert len(found & want) / len(want) >= 0.99


def test_semantic_decisions_do_not_change_when_the_comparison_is_blocked(monkeypatch):
    x, rng = _clustered(2000, 1500, seed=2)
    same = rng.integers(0, 2, len(x))
    want = keep_verified(x, 0.93, same=same)
    monkeypatch.setattr(semantic_mod, "EXACT_UPTO", 100)  # this set is "large": the blocked path runs
    got = semantic_mod.keep_verified(x, 0.93, same=same)
    assert (got[0] == want[0]).all()


def test_fewer_than_two_records_have_no_pairs():
    i, j, s = close_pairs(np.ones((1, 4), dtype=np.float32) / 2, 0.9)
    assert len(i) == len(j) == len(s) == 0
    assert keep_first(1, i, j, s)[0].tolist() == [-1]


@pytest.mark.parametrize("exact_upto", [10**9, 0], ids=["exact", "blocked"])
def test_close_mask_marks_the_records_of_close_pairs(exact_upto):
    from curate.embed.neighbors import close_mask

    x, rng = _clustered(1500, 1000, seed=3)
    same = rng.integers(0, 2, len(x))
    i, j, _ = close_pairs(x, 0.9, same=same)
    want = np.zeros(len(x), dtype=bool)
    want[i] = want[j] = True
    got = close_mask(x, 0.9, same=same, exact_upto=exact_upto)
    assert (got == want).all() if exact_upto else (got <= want).all() and got.sum() >= 0.99 * want.sum()
    early = close_mask(x, 0.9, same=same, stop_above=10, exact_upto=exact_upto)
    assert 10 < early.sum() < want.sum()  # stopped early: the caller takes every record
