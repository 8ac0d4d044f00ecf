"""Self-contained SVG charts for the embedding audits: a 2-D map, coverage bars, a similarity histogram.

Plain SVG strings (no scripts, fonts or links to fetch), every piece of dataset text escaped, so a
report that embeds them stays one safe file.
"""

from __future__ import annotations

import numpy as np

from curate.report.svg import frame, hbars
from curate.report.svg import histogram as svg_histogram

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"]
STATUS_COLOUR = {"uncovered": "#d62728", "thin": "#f2a93b", "covered": "#59a14f"}


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
    # the legend has a line of its own under the title (it overlapped a long title), and names the
    # reference only when one was drawn: "reference (0)" read as "no reference was given"
    shown = f" (showing {len(ti):,})" if len(ti) < len(train) else ""
    key = f"● training records ({len(train):,}{shown})" + (f"   ✕ reference records ({len(ref):,})" if len(ref) else "")
    legend = f'<text x="8" y="32" fill="#555">{key}</text>'
    return frame(width, height + 16, f'<g transform="translate(0 16)">{"".join(parts)}</g>' + legend, title)


def coverage_bars(rows: list[dict], title: str = "Reference groups by training coverage", max_rows: int = 30,
                  width: int = 640) -> str:
    """One bar per reference group: share of its reference records with a close training neighbour."""
    # One colour rule for the bar's own length: colouring by the group's status (which also weighs how
    # many training records it has) made a 50% bar green in one row and amber in the next.
    items = [(r["reference_group"], float(r["covered_share"]),
              f'{float(r["covered_share"]):.0%} · {r["status"]} · '
              + (f'{int(r["training_records_of_class"])} train of class' if "training_records_of_class" in r
                 else f'{int(r["training_neighbours"])} train nearby') + f' / {int(r["reference_records"])} ref',
              share_colour(float(r["covered_share"]))) for r in rows[:max_rows]]
    return hbars(items, title=title, width=width, scale=1.0,
                 legend="bar: share of the group's reference records with a close training record; "
                        "red < 20%, amber < 80%, green >= 80%")


def share_colour(share: float) -> str:
    """The report's one colour rule for a covered share: red below 20%, amber below 80%, green from 80%."""
    return STATUS_COLOUR["uncovered"] if share < 0.2 else STATUS_COLOUR["thin"] if share < 0.8 else STATUS_COLOUR["covered"]


def histogram(values, title: str = "Nearest-neighbour cosine similarity", threshold: float | None = None,
              bins: int = 30, width: int = 520, height: int = 220, lo: float = 0.0, hi: float = 1.0,
              x_label: str = "", y_label: str = "records") -> str:
    """Histogram of values in [lo, hi], with an optional vertical threshold line."""
    return svg_histogram(values, title=title, threshold=threshold, bins=bins, width=width, height=height, lo=lo, hi=hi,
                         x_label=x_label, y_label=y_label)


def size_bars(rows: list[dict], title: str = "Topic clusters by size", max_rows: int = 30, width: int = 640) -> str:
    """Horizontal bars of cluster sizes, long-tail clusters in amber."""
    items = [(r["topic"], int(r["records"]), int(r["records"]), "#f2a93b" if r.get("long_tail") else "#4e79a7")
             for r in rows[:max_rows]]
    return hbars(items, title=title, width=width)
