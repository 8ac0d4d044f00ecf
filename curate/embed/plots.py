"""Self-contained SVG charts for the embedding audits: a 2-D map, coverage bars, a similarity histogram.

Plain SVG strings (no scripts, fonts or links to fetch), every piece of dataset text escaped, so a
report that embeds them stays one safe file.
"""

from __future__ import annotations

from html import escape

import numpy as np

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"]
STATUS_COLOUR = {"uncovered": "#d62728", "thin": "#f2a93b", "covered": "#59a14f"}


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" font-family="sans-serif" font-size="11"><title>{escape(title)}</title>'
            f'<rect width="{width}" height="{height}" fill="#fff"/>'
            f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>{body}</svg>')


def pca_2d(x: np.ndarray) -> np.ndarray:
    if len(x) < 2:
        return np.zeros((len(x), 2))
    c = x - x.mean(0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    return c @ vt[:2].T if vt.shape[0] >= 2 else np.hstack([c @ vt[:1].T, np.zeros((len(x), 1))])


def scatter_map(train: np.ndarray, train_groups, ref: np.ndarray | None = None, ref_groups=None,
                title: str = "Training (dots) vs reference (crosses), PCA of embeddings", max_points: int = 3000,
                width: int = 560, height: int = 420) -> str:
    """2-D PCA map: training points as dots, reference points as crosses, coloured by group."""
    ref = ref if ref is not None and len(ref) else np.zeros((0, train.shape[1] if train.ndim == 2 else 0))
    rng = np.random.default_rng(0)
    ti = rng.permutation(len(train))[:max_points]
    ri = rng.permutation(len(ref))[:max_points]
    both = np.vstack([train[ti], ref[ri]]) if len(ref) else train[ti]
    xy = pca_2d(both) if len(both) else np.zeros((0, 2))
    lo, hi = (xy.min(0), xy.max(0)) if len(xy) else (np.zeros(2), np.ones(2))
    span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
    px = 30 + (xy - lo) / span * np.array([width - 60, height - 60]) + np.array([0, 0])
    px[:, 1] = height - 20 - (px[:, 1] - 30)
    parts = []
    tg = np.asarray(train_groups)[ti] if len(ti) else []
    for (x, y), g in zip(px[:len(ti)], tg):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{PALETTE[int(g) % len(PALETTE)] if int(g) >= 0 else "#999"}" fill-opacity="0.55"/>')
    rg = np.asarray(ref_groups)[ri] if ref_groups is not None and len(ri) else [0] * len(ri)
    for (x, y), g in zip(px[len(ti):], rg):
        c = PALETTE[int(g) % len(PALETTE)]
        parts.append(f'<path d="M{x - 3:.1f} {y - 3:.1f}L{x + 3:.1f} {y + 3:.1f}M{x - 3:.1f} {y + 3:.1f}L{x + 3:.1f} {y - 3:.1f}" '
                     f'stroke="{c}" stroke-width="1.4"/>')
    legend = f'<text x="{width - 250}" y="16" fill="#555">● training ({len(train)})  ✕ reference ({len(ref)})</text>'
    return _svg(width, height, "".join(parts) + legend, title)


def coverage_bars(rows: list[dict], title: str = "Reference groups by training coverage", max_rows: int = 30,
                  width: int = 640) -> str:
    """One bar per reference group: share of its reference records with a close training neighbour."""
    rows = rows[:max_rows]
    bar_h, top, label_w = 16, 28, 260
    height = top + bar_h * len(rows) + 24
    parts = []
    for i, r in enumerate(rows):
        y = top + i * bar_h
        w = (width - label_w - 120) * float(r["covered_share"])
        parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(str(r["reference_group"])[:42])}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 4}" '
                     f'fill="{STATUS_COLOUR.get(r["status"], "#888")}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" fill="#333">{float(r["covered_share"]):.0%} · '
                     f'{int(r["training_records"])} train / {int(r["reference_records"])} ref</text>')
    parts.append(f'<text x="{label_w}" y="{height - 8}" fill="#555">red: uncovered · amber: thin · green: covered</text>')
    return _svg(width, height, "".join(parts), title)


def histogram(values, title: str = "Nearest-neighbour cosine similarity", threshold: float | None = None,
              bins: int = 30, width: int = 520, height: int = 220, lo: float = 0.0, hi: float = 1.0) -> str:
    """Histogram of values in [lo, hi], with an optional vertical threshold line."""
    v = np.clip(np.asarray([x for x in values if x is not None], dtype=float), lo, hi)
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    top, bottom, left, right = 28, height - 28, 40, width - 12
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    bw = (right - left) / bins
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>']
    for i, c in enumerate(counts):
        h = (bottom - top) * c / peak
        parts.append(f'<rect x="{left + i * bw:.1f}" y="{bottom - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" fill="#4e79a7"/>')
    for t in (lo, (lo + hi) / 2, hi):
        x = left + (t - lo) / (hi - lo) * (right - left)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{t:.2f}</text>')
    if threshold is not None:
        x = left + (threshold - lo) / (hi - lo) * (right - left)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#d62728" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3:.1f}" y="{top + 10}" fill="#d62728">{threshold:.2f}</text>')
    parts.append(f'<text x="{right}" y="{top - 8}" text-anchor="end" fill="#555">n = {len(v)}</text>')
    return _svg(width, height, "".join(parts), title)


def size_bars(rows: list[dict], title: str = "Topic clusters by size", max_rows: int = 30, width: int = 640) -> str:
    """Horizontal bars of cluster sizes, long-tail clusters in amber."""
    rows = rows[:max_rows]
    peak = max([int(r["records"]) for r in rows] + [1])
    bar_h, top, label_w = 16, 28, 260
    height = top + bar_h * len(rows) + 10
    parts = []
    for i, r in enumerate(rows):
        y = top + i * bar_h
        w = (width - label_w - 60) * int(r["records"]) / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(str(r["topic"])[:42])}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 4}" '
                     f'fill="{"#f2a93b" if r.get("long_tail") else "#4e79a7"}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 11}">{int(r["records"])}</text>')
    return _svg(width, height, "".join(parts), title)
