"""Self-contained SVG charts for every report (no scripts, fonts or links to fetch).

Every piece of text is escaped, so a chart that shows dataset text stays safe inside report.html.
"""

from __future__ import annotations

from html import escape

import numpy as np


def frame(width: int, height: int, body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" font-family="sans-serif" font-size="11"><title>{escape(title)}</title>'
            f'<rect width="{width}" height="{height}" fill="#fff"/>'
            f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>{body}</svg>')


def histogram(values, *, title: str, bins: int = 30, width: int = 520, height: int = 200,
              lo: float | None = None, hi: float | None = None, threshold: float | None = None,
              log_x: bool = False) -> str:
    """Histogram over [lo, hi] (default: the data's range), optional threshold line, optional log10(x+1) axis."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if log_x:
        v = np.log10(v + 1)
    lo = float(v.min()) if lo is None and v.size else (lo or 0.0)
    hi = float(v.max()) if hi is None and v.size else (1.0 if hi is None else hi)
    hi = hi if hi > lo else lo + 1.0
    counts, _ = np.histogram(np.clip(v, lo, hi), bins=bins, range=(lo, hi))
    top, bottom, left, right = 28, height - 28, 40, width - 12
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    bw = (right - left) / bins

    def label(t):
        return f"{10 ** t - 1:.0f}" if log_x else (f"{t:.2f}" if hi - lo <= 10 else f"{t:.0f}")

    def x_of(t):
        return left + (t - lo) / (hi - lo) * (right - left)

    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>']
    for i, c in enumerate(counts):
        h = (bottom - top) * c / peak
        parts.append(f'<rect x="{left + i * bw:.1f}" y="{bottom - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
                     f'fill="#4e79a7"><title>{int(c)}</title></rect>')
    for t in (lo, (lo + hi) / 2, hi):
        parts.append(f'<text x="{x_of(t):.1f}" y="{bottom + 14}" text-anchor="middle">{label(t)}</text>')
    if threshold is not None:
        x = x_of(threshold)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#d62728" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3:.1f}" y="{top + 10}" fill="#d62728">{threshold:.2f}</text>')
    parts.append(f'<text x="{right}" y="{top - 8}" text-anchor="end" fill="#555">n = {v.size}</text>')
    return frame(width, height, "".join(parts), title)


def hbars(items: list[tuple], *, title: str, width: int = 640, label_w: int = 260, scale: float | None = None,
          legend: str = "") -> str:
    """Labelled horizontal bars. items: (label, value, text after the bar, colour); scale: the value of a full bar."""
    bar_h, top = 16, 28
    height = top + bar_h * len(items) + (24 if legend else 10)
    peak = scale or max([float(v) for _, v, *_ in items] + [1e-9])
    room = width - label_w - 120
    parts = []
    for i, (lab, value, text, colour) in enumerate(items):
        y = top + i * bar_h
        w = room * float(value) / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(_cut(str(lab), 42))}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 4}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" fill="#333">{escape(str(text))}</text>')
    if legend:
        parts.append(f'<text x="{label_w}" y="{height - 8}" fill="#555">{escape(legend)}</text>')
    return frame(width, height, "".join(parts), title)


def _cut(text: str, n: int) -> str:
    """Cut with a visible ellipsis: the PII sanitiser recognises a value cut next to one."""
    return text if len(text) <= n else text[:n - 1] + "…"
