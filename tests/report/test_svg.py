"""Charts a person reads at a glance: labelled axes, honest scales, one colour rule, no overlapping text."""

from __future__ import annotations

import re

import numpy as np
import pytest

from curate.embed import plots
from curate.report.svg import hbars, histogram


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_a_log_axis_says_so_and_labels_real_values():
    svg = histogram([1, 5, 30, 80, 400, 3949], title="Answer length", x_label="answer length (words)", log_x=True)
    t = texts(svg)
    assert "answer length (words) (log scale)" in t and "records" in t
    assert {"1", "10", "100", "1,000"} <= set(t)  # real values at their log positions, never 0 / 62 / 3949
    assert "62" not in t and "3949" not in t


@pytest.mark.parametrize("values, expected, not_shown", [
    ([0, 37, 101], {"0", "50", "100"}, "101"),
    ([0.05, 0.61, 0.97], {"0.2", "0.4", "0.6", "0.8"}, "0.97"),
], ids=["words", "similarities"])
def test_a_linear_axis_has_round_ticks(values, expected, not_shown):
    t = set(texts(histogram(values, title="t", x_label="x")))
    assert expected <= t and not_shown not in t


def test_the_threshold_label_sits_above_the_bars():
    svg = histogram([0.2, 0.5, 0.7], title="t", lo=0, hi=1, threshold=0.6)
    y = float(re.search(r'<text x="[\d.]+" y="([\d.]+)" fill="#d62728">threshold 0.6</text>', svg).group(1))
    top = min(float(v) for v in re.findall(r'<rect x="[\d.]+" y="([\d.]+)"', svg)[1:])  # [0] is the background
    assert y < top


def test_one_colour_means_one_covered_share_whatever_the_status():
    rows = [{"reference_group": "a", "status": "covered", "covered_share": 0.5, "training_neighbours": 20, "reference_records": 4},
            {"reference_group": "b", "status": "thin", "covered_share": 0.5, "training_neighbours": 1, "reference_records": 4},
            {"reference_group": "c", "status": "thin", "covered_share": 1.0, "training_neighbours": 1, "reference_records": 1}]
    fills = re.findall(r'<rect x="260"[^>]*fill="(#[0-9a-f]+)"', plots.coverage_bars(rows))
    assert fills[0] == fills[1] == plots.STATUS_COLOUR["thin"]  # 50%: amber in every row
    assert fills[2] == plots.STATUS_COLOUR["covered"]  # 100%: green


def test_bar_text_stays_inside_the_figure():
    items = [("group", 1.0, "100% · covered · 123 train nearby / 45 ref", "#59a14f")]
    svg = hbars(items, title="t", width=640, scale=1.0)
    x = float(re.search(r'<text x="([\d.]+)" y="[\d.]+" fill="#333">100%', svg).group(1))
    assert x + 6.2 * len(items[0][2]) <= 640


def test_a_map_without_a_reference_does_not_claim_one_and_its_legend_has_its_own_line():
    svg = plots.scatter_map(np.eye(4, dtype=np.float32), [0, 1, 2, 3], title="Topics, PCA of embeddings")
    assert "reference" not in " ".join(texts(svg)) and "training records (4)" in " ".join(texts(svg))
    legend_y = [float(y) for y, t in re.findall(r'<text x="8" y="([\d.]+)"[^>]*>([^<]*)</text>', svg) if "training" in t]
    assert legend_y and legend_y[0] > 16 + 10  # below the title line, never on it
    with_ref = plots.scatter_map(np.eye(4, dtype=np.float32), [0, 1, 2, 3], np.eye(4, dtype=np.float32)[:2], [0, 1])
    assert "reference records (2)" in " ".join(texts(with_ref))
