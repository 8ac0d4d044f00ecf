"""Pairs of records whose vectors are close: every (i, j) with j < i and cosine >= a threshold.

The semantic stage decides duplicates in dataset order over these pairs. Comparing every record
with every earlier one is n^2 work: on this project's 2-core machine 10.6 s at 20k records of 256
dims and 367 s at 100k (bench/neighbors.py), hours at a million. Above `exact_upto` records the
comparison is blocked the way an IVF index (faiss, usearch) does it:

- spherical k-means fits ~sqrt(n) centres on a sample of the vectors (a few Lloyd steps);
- each record lives in the cell of its nearest centre and probes its `probes` nearest cells;
- a record is compared with the members of the cells it probes, and a pair is kept when either
  side's probes reach the other's cell, so two close records are missed only when neither one's
  nearest `probes` centres include the other's home cell.

For near-identical vectors (cosine >= 0.9) that is rare: two such records almost always share a
nearest centre. bench/neighbors.py measures it against the exact pairs: recall 1.0 at 0.95 on
Banking77's MiniLM vectors (3,334 pairs) and on 20k/100k synthetic sets, the same keep-first
decisions; 9.9 s instead of 367 s at 100k. The cost is ~probes x n x (n / cells) x dim, n^1.5
with sqrt(n) cells.

Keys (`same`): a pair counts only between records with equal keys (the semantic stage's number keys),
filtered before pairs are stored, so a long run of templated texts with different numbers does
not fill memory with pairs that can never decide anything.
"""

from __future__ import annotations

import math

import numpy as np

EXACT_UPTO = 50_000  # records; at or below this every pair is compared (the result is exact)


def block_rows(n: int) -> int:
    """Rows compared at once against n others: the block x n float32 similarities stay near 64 MB."""
    return max(64, min(1024, (1 << 24) // max(n, 1)))


def _pairs_in(block: np.ndarray, q_idx: np.ndarray, m_idx: np.ndarray, threshold: float,
              same: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, c = np.nonzero(block >= threshold)
    qi, mj = q_idx[r], m_idx[c]
    keep = qi != mj
    if same is not None:
        keep &= same[qi] == same[mj]
    qi, mj, s = qi[keep], mj[keep], block[r[keep], c[keep]]
    return np.maximum(qi, mj), np.minimum(qi, mj), s


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, steps: int = 8) -> np.ndarray:
    """Spherical k-means: unit centres, each the normalised mean of the points nearest it."""
    centres = x[rng.choice(len(x), size=k, replace=False)].copy()
    for _ in range(steps):
        assign = np.argmax(x @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centres = np.where(empty[:, None], centres, sums / np.maximum(norms, 1e-12))
    return centres.astype(np.float32)


def _top_cells(vecs: np.ndarray, centres: np.ndarray, probes: int, chunk: int = 65536) -> np.ndarray:
    out = np.empty((len(vecs), probes), dtype=np.int32)
    for s in range(0, len(vecs), chunk):
        sims = vecs[s:s + chunk] @ centres.T
        top = np.argpartition(-sims, probes - 1, axis=1)[:, :probes]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        out[s:s + chunk] = np.take_along_axis(top, order, axis=1)
    return out


def _cell_blocks(x: np.ndarray, probes: int, seed: int, rows: int = 4096):
    """(queries, members) row-index blocks of `x`: every record against the members of the cells it probes."""
    rng = np.random.default_rng(seed)
    n = len(x)
    k = max(2, int(math.sqrt(n)))
    centres = _kmeans(x[rng.choice(n, size=min(n, 32 * k), replace=False)], k, rng)
    cells = _top_cells(x, centres, min(probes, k))
    home = cells[:, 0]
    by_home = np.argsort(home, kind="stable")
    starts = np.searchsorted(home[by_home], np.arange(k + 1))
    probe_rows = np.repeat(np.arange(n), cells.shape[1])
    probe_cell = cells.ravel()
    by_probe = np.argsort(probe_cell, kind="stable")
    pstarts = np.searchsorted(probe_cell[by_probe], np.arange(k + 1))
    for c in range(k):
        members = by_home[starts[c]:starts[c + 1]]
        queries = probe_rows[by_probe[pstarts[c]:pstarts[c + 1]]]
        if len(members):
            for s in range(0, len(queries), rows):
                yield queries[s:s + rows], members


def _blocked(vecs: np.ndarray, threshold: float, same: np.ndarray | None, active: np.ndarray,
             probes: int, seed: int):
    x = vecs[active]
    return [_pairs_in(x[q] @ x[m].T, active[q], active[m], threshold, same)
            for q, m in _cell_blocks(x, probes, seed)]


def close_pairs(vecs: np.ndarray, threshold: float, *, same: np.ndarray | None = None,
                active: np.ndarray | None = None, exact_upto: int = EXACT_UPTO, probes: int = 3,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine) for every pair of `active` records (default all) with j < i and cosine >= threshold.

    Sorted by i, then j; each pair once. `vecs` are unit rows. Exact at or below `exact_upto` active
    records; above it, IVF-blocked (see the module docstring), which can miss a pair."""
    vecs = np.asarray(vecs, dtype=np.float32)
    active = np.arange(len(vecs)) if active is None else np.asarray(active, dtype=np.int64)
    if len(active) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float32)
    parts = (_exact_pairs(vecs, threshold, same, active) if len(active) <= exact_upto
             else _blocked(vecs, threshold, same, active, probes, seed))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float32)
    i = np.concatenate([p[0] for p in parts]).astype(np.int64)
    j = np.concatenate([p[1] for p in parts]).astype(np.int64)
    s = np.concatenate([p[2] for p in parts]).astype(np.float32)
    order = np.lexsort((j, i))
    i, j, s = i[order], j[order], s[order]
    first = np.ones(len(i), dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    return i[first], j[first], s[first]


def _exact_pairs(vecs: np.ndarray, threshold: float, same: np.ndarray | None, active: np.ndarray):
    n = len(active)
    block = block_rows(n)
    out = []
    for s in range(0, n, block):
        e = min(n, s + block)
        m = vecs[active[s:e]] @ vecs[active[:e]].T
        m[np.arange(s, e)[:, None] <= np.arange(e)[None, :]] = -2.0  # only earlier records: j < i
        i, j, sim = _pairs_in(m, active[s:e], active[:e], threshold, same)
        out.append((i, j, sim))
    return out


def keep_first(n: int, i: np.ndarray, j: np.ndarray, sim: np.ndarray,
               candidate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Visit records in order over the close pairs (sorted by i, then j): a record is removed for the
    kept earlier record it is closest to, else kept. Returns (kept record each one duplicates or -1,
    cosine to it). Records outside `candidate` are never kept nor removed."""
    dup_of = np.full(n, -1, dtype=np.int64)
    best = np.zeros(n, dtype=np.float64)
    kept = np.ones(n, dtype=bool) if candidate is None else np.asarray(candidate, dtype=bool).copy()
    if not len(i):
        return dup_of, best
    starts = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
    ends = np.r_[starts[1:], len(i)]
    for s, e in zip(starts, ends):
        row = int(i[s])
        if candidate is not None and not candidate[row]:
            continue
        js, ss = j[s:e], sim[s:e]
        ok = kept[js]
        if ok.any():
            k = int(np.argmax(np.where(ok, ss, -np.inf)))
            dup_of[row], best[row] = js[k], float(ss[k])
            kept[row] = False
    return dup_of, best


def close_mask(vecs: np.ndarray, threshold: float, *, same: np.ndarray | None = None,
               active: np.ndarray | None = None, stop_above: int | None = None,
               exact_upto: int = EXACT_UPTO, probes: int = 3, seed: int = 0) -> np.ndarray:
    """Records with another `active` record at cosine >= threshold (and an equal key): a bool per record.

    No pair is stored, so a low threshold on dense data costs no memory. `stop_above`: return as soon
    as more records than this are marked (the caller then treats every record as marked). Exact at
    or below `exact_upto` active records, IVF-blocked above (see the module docstring)."""
    vecs = np.asarray(vecs, dtype=np.float32)
    n = len(vecs)
    act = np.arange(n) if active is None else (np.flatnonzero(active) if np.asarray(active).dtype == bool
                                                else np.asarray(active, dtype=np.int64))
    out = np.zeros(n, dtype=bool)
    if len(act) < 2:
        return out

    def mark(block: np.ndarray, q: np.ndarray, m: np.ndarray) -> bool:
        i, j, _ = _pairs_in(block, q, m, threshold, same)
        out[i] = True
        out[j] = True
        return stop_above is not None and out.sum() > stop_above

    if len(act) <= exact_upto:
        step = block_rows(len(act))
        for s in range(0, len(act), step):
            e = min(len(act), s + step)
            m = vecs[act[s:e]] @ vecs[act[:e]].T
            m[np.arange(s, e)[:, None] <= np.arange(e)[None, :]] = -2.0
            if mark(m, act[s:e], act[:e]):
                break
        return out
    x = vecs[act]
    for q, m in _cell_blocks(x, probes, seed):
        if mark(x[q] @ x[m].T, act[q], act[m]):
            break
    return out
    return out
