"""Tiny self-contained SVG charts for the report (no JavaScript, no external files)."""

from __future__ import annotations

from html import escape


def histogram(values, *, title: str, bins: int = 30, width: int = 520, height: int = 180, log_x: bool = False) -> str:
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return ""
    if log_x:
        v = np.log10(v + 1)
    counts, edges = np.histogram(v, bins=bins)
    top = counts.max() or 1
    pad, bw = 30, (width - 40) / bins
    bars = "".join(
        f'<rect x="{pad + i * bw:.1f}" y="{height - 25 - c / top * (height - 50):.1f}" width="{bw - 1:.1f}" '
        f'height="{c / top * (height - 50):.1f}" fill="#4a7bd0"><title>{_edge(edges[i], log_x)}–'
        f'{_edge(edges[i + 1], log_x)}: {int(c)}</title></rect>' for i, c in enumerate(counts))
    axis = (f'<text x="{pad}" y="{height - 8}" font-size="11">{_edge(edges[0], log_x)}</text>'
            f'<text x="{width - 10}" y="{height - 8}" font-size="11" text-anchor="end">{_edge(edges[-1], log_x)}</text>'
            f'<text x="{pad}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>'
            f'<text x="{width - 10}" y="14" font-size="11" text-anchor="end">max bin {int(top)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">{bars}{axis}</svg>'


def _edge(x, log_x):
    return f"{10 ** x - 1:.0f}" if log_x else f"{x:.0f}"


def bar_chart(items: list[tuple[str, float]], *, title: str, width: int = 520, bar_h: int = 16) -> str:
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    label_w = 210
    height = 24 + bar_h * len(items) + 6
    rows = "".join(
        f'<text x="{label_w - 6}" y="{24 + i * bar_h + bar_h - 4}" font-size="11" text-anchor="end">{escape(str(k)[:34])}</text>'
        f'<rect x="{label_w}" y="{24 + i * bar_h + 2}" width="{(width - label_w - 50) * v / top:.1f}" height="{bar_h - 4}" fill="#4a7bd0"/>'
        f'<text x="{label_w + (width - label_w - 50) * v / top + 4:.1f}" y="{24 + i * bar_h + bar_h - 4}" font-size="11">{v:g}</text>'
        for i, (k, v) in enumerate(items))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
            f'<text x="4" y="14" font-size="12" font-weight="bold">{escape(title)}</text>{rows}</svg>')
