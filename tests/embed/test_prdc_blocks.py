"""Coverage's k-NN figures are computed in blocks of rows (no n x n matrix): same values as the whole matrix."""

from __future__ import annotations

import numpy as np
import pytest

from curate.embed import coverage
from curate.embed.semantic import keep_verified


def _unit(n, d, seed):
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _whole_prdc(real, fake, k):
    """The figures from the full distance matrices (Naeem et al. 2020), as coverage.py computed them before."""
    def kth(x):
        d = 1.0 - x @ x.T
        np.fill_diagonal(d, np.inf)
        return np.partition(d, k - 1, axis=1)[:, k - 1]
    r_rad, f_rad = kth(real), kth(fake)
    d = 1.0 - real @ fake.T
    inside = d <= r_rad[:, None]
    return {"precision": float(inside.any(0).mean()), "recall": float((d <= f_rad[None, :]).any(1).mean()),
            "density": float(inside.sum() / (k * len(fake))), "coverage": float((d.min(1) <= r_rad).mean())}


@pytest.mark.parametrize("cells", [1, 97, 1 << 24], ids=["one-row-blocks", "odd-blocks", "one-block"])
def test_prdc_in_blocks_matches_the_whole_matrix(monkeypatch, cells):
    real, fake = _unit(60, 8, 0), _unit(150, 8, 1)
    fake[:40] = real[:40] + 0.01 * _unit(40, 8, 2)  # some overlap
    fake /= np.linalg.norm(fake, axis=1, keepdims=True)
    monkeypatch.setattr(coverage, "_BLOCK_CELLS", cells)
    got = coverage.prdc(real, fake, k=5)
    want = _whole_prdc(real, fake, 5)
    assert got == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("block", [None, 1, 7, 4096], ids=["auto", "one-row", "odd", "whole"])
def test_semantic_keep_verified_does_not_depend_on_the_block(block):
    v = _unit(300, 6, 3)
    v[100:140] = v[:40] + 0.02 * _unit(40, 6, 4)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    want = keep_verified(v, 0.95, block=300)
    got = keep_verified(v, 0.95, block=block)
    assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1])
    assert (want[0] >= 0).sum() > 10
