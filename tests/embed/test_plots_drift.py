"""SVG pictures are self-contained and escape dataset text; `curate drift` finds a new topic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curate.cli import main
from curate.embed import plots
from tests.embed.helpers import prompts_file, texts

EVIL = '<script>alert(1)</script> & "quotes"'


@pytest.mark.parametrize("svg", [
    plots.coverage_bars([{"reference_group": EVIL, "status": "thin", "covered_share": 0.5, "training_neighbours": 2,
                          "reference_records": 4}]),
    plots.size_bars([{"topic": EVIL, "records": 3, "long_tail": True}]),
    plots.histogram([0.1, 0.5, 0.9, None], title=EVIL, threshold=0.6),
    plots.scatter_map(np.eye(4, dtype=np.float32), [0, 1, 2, 3], np.eye(4, dtype=np.float32)[:2], [0, 1], title=EVIL),
    plots.histogram([], title="empty"),
], ids=["coverage-bars", "size-bars", "histogram", "map", "empty-histogram"])
def test_figures_are_self_contained_and_escaped(svg):
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg and "href" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_drift_reports_a_new_topic_with_examples_and_gates_on_auc(tmp_path, capsys):
    old = prompts_file(tmp_path / "old.jsonl", texts("password", 20) + texts("card", 20), prefix="o")
    new = prompts_file(tmp_path / "new.jsonl", texts("password", 10, 2) + texts("card", 10, 2) + texts("crypto", 20), prefix="n")
    rc = main(["drift", str(old), str(new), "--model", "hashing", "--distance-threshold", "0.8", "--json",
               "--max-auc", "0.6", "--out", str(tmp_path / "out")])
    report = json.loads(capsys.readouterr().out)
    assert rc == 1 and report["domain_classifier_auc"] > 0.6
    new_topics = [t for t in report["topics"] if t["status"] == "new"]
    assert new_topics and any("bitcoin" in t["topic"] or "crypto" in t["topic"] for t in new_topics)
    assert "crypto" in new_topics[0]["new_examples"]
    assert (tmp_path / "out" / "map.svg").read_text().startswith("<svg")


def test_drift_of_a_dataset_against_itself_passes(tmp_path, capsys):
    same = prompts_file(tmp_path / "a.jsonl", texts("password", 20) + texts("card", 20))
    rc = main(["drift", str(same), str(same), "--model", "hashing", "--max-auc", "0.7"])
    assert rc == 0 and "AUC" in capsys.readouterr().out
