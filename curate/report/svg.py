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


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(n - 1, 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = np.ceil(lo / step) * step
    return [float(t) for t in np.arange(first, hi + step * 1e-9, step)]


def _tick_text(t: float, step: float) -> str:
    if abs(t) >= 10_000:
        return f"{t / 1000:.0f}k"
    return f"{t:.0f}" if step >= 1 else f"{t:.{max(0, int(-np.floor(np.log10(step))))}f}"


def histogram(values, *, title: str, bins: int = 30, width: int = 520, height: int = 220,
              lo: float | None = None, hi: float | None = None, threshold: float | None = None,
              log_x: bool = False, x_label: str = "", y_label: str = "records") -> str:
    """Histogram over [lo, hi] (default: the data's range) with labelled axes and round ticks.

    log_x: bins are equal on a log10(x + 1) scale, and the axis says so: its ticks are labelled
    with the real values (1, 10, 100, ...) at their log positions, never a linear-looking 0 / 62 / 3949.
    """
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if log_x:
        v = np.log10(np.clip(v, 0, None) + 1)
    lo = float(v.min()) if lo is None and v.size else (lo or 0.0)
    hi = float(v.max()) if hi is None and v.size else (1.0 if hi is None else hi)
    hi = hi if hi > lo else lo + 1.0
    counts, _ = np.histogram(np.clip(v, lo, hi), bins=bins, range=(lo, hi))
    top, bottom, left, right = 34, height - 40, 52, width - 14
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    bw = (right - left) / bins

    def x_of(t):
        return left + (t - lo) / (hi - lo) * (right - left)

    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333"/>']
    for t in _nice_ticks(0, peak, 4):  # y axis: record counts, linear from 0
        y = bottom - (bottom - top) * t / peak
        parts.append(f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>'
                     f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{_tick_text(t, 1)}</text>')
    for i, c in enumerate(counts):
        h = (bottom - top) * c / peak
        a, b = lo + (hi - lo) * i / bins, lo + (hi - lo) * (i + 1) / bins
        rng = f"{10 ** a - 1:.0f}-{10 ** b - 1:.0f}" if log_x else f"{a:.3g}-{b:.3g}"
        parts.append(f'<rect x="{left + i * bw:.1f}" y="{bottom - h:.1f}" width="{max(bw - 1, 0.5):.1f}" height="{h:.1f}" '
                     f'fill="#4e79a7"><title>{rng}: {int(c)}</title></rect>')
    if log_x:  # real values 0, 1, 10, 100, ... placed on the log axis
        ticks = [(np.log10(t + 1), f"{t:,}") for t in [0] + [10 ** k for k in range(0, 9)] if lo <= np.log10(t + 1) <= hi]
    else:
        raw = _nice_ticks(lo, hi, 6)
        step = raw[1] - raw[0] if len(raw) > 1 else 1.0
        ticks = [(t, _tick_text(t, step)) for t in raw]
    for t, text in ticks:
        x = x_of(t)
        parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 3}" stroke="#333"/>'
                     f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{text}</text>')
    axis = (x_label or title) + (" (log scale)" if log_x else "")
    parts.append(f'<text x="{(left + right) / 2:.0f}" y="{height - 8}" text-anchor="middle" fill="#333">{escape(axis)}</text>'
                 f'<text transform="translate(12 {(top + bottom) / 2:.0f}) rotate(-90)" text-anchor="middle" '
                 f'fill="#333">{escape(y_label)}</text>')
    if threshold is not None:
        x = x_of(np.log10(threshold + 1) if log_x else threshold)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#d62728" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3:.1f}" y="{top - 4}" fill="#d62728">threshold {threshold:g}</text>')
    parts.append(f'<text x="{width - 8}" y="16" text-anchor="end" fill="#555">n = {v.size:,}</text>')
    return frame(width, height, "".join(parts), title)


def hbars(items: list[tuple], *, title: str, width: int = 640, label_w: int = 260, scale: float | None = None,
          legend: str = "") -> str:
    """Labelled horizontal bars. items: (label, value, text after the bar, colour); scale: the value of a full bar."""
    bar_h, top = 16, 28
    lines = [x for x in legend.split("; ") if x] if legend else []  # one line per clause: no text past the edge
    height = top + bar_h * len(items) + 10 + 15 * len(lines)
    peak = scale or max([float(v) for _, v, *_ in items] + [1e-9])
    # the text after the longest bar must still fit inside the figure (about 6 px a character at 11 px)
    room = max(width - label_w - 8 - 6.2 * max([len(str(t)) for _, _, t, _ in items] + [0]), 80)
    parts = []
    for i, (lab, value, text, colour) in enumerate(items):
        y = top + i * bar_h
        w = room * float(value) / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(_cut(str(lab), 42))}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 4}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" fill="#333">{escape(str(text))}</text>')
    for k, line in enumerate(lines):
        parts.append(f'<text x="8" y="{height - 8 - 15 * (len(lines) - 1 - k)}" fill="#555">{escape(line)}</text>')
    return frame(width, height, "".join(parts), title)


def _cut(text: str, n: int) -> str:
    """Cut with a visible ellipsis: the PII sanitiser recognises a value cut next to one."""
    return text if len(text) <= n else text[:n - 1] + "…"
