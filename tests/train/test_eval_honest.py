"""`curate eval` says what a classifier's score is compared with, and when the training data paraphrases the test set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curate.cli import main
from tests.train import eval_fixtures as F
from train import baselines

TRAIN_ROWS = [{"text": t, "label": lab} for lab, ts in F.INTENTS.items() for t in ts[:4]]  # 12 of the 18 texts


def bag_of_words(texts):
    """A deterministic stand-in for the audit's embedder: unit bag-of-words vectors (identical texts: cosine 1)."""
    vocab = {w: i for i, w in enumerate(sorted({w for ts in F.INTENTS.values() for t in ts for w in t.split()}))}
    out = np.zeros((len(texts), len(vocab) + 1), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in t.split():
            out[i, vocab.get(w, len(vocab))] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_HOME", str(tmp_path / "curate-home"))
    monkeypatch.setattr(baselines, "_embed_texts", bag_of_words)


@pytest.fixture(scope="module")
def run_with_train_file(tmp_path_factory):
    return F.make_classification_run(tmp_path_factory.mktemp("cls"), train_rows=TRAIN_ROWS)


def _eval(run, test, capsys):
    assert main(["eval", str(run), "--data", str(test), "--general", "none", "--bootstrap", "50"]) == 0
    out, err = capsys.readouterr()
    return json.loads((run / "eval" / "eval.json").read_text()), out, err


def test_classifier_is_compared_with_a_probe_on_frozen_features(run_with_train_file, tmp_path, capsys):
    novel = [r for r in F.classification_rows() if r not in TRAIN_ROWS]  # the 6 texts it never saw
    res, out, _ = _eval(run_with_train_file, F.write_jsonl(tmp_path / "test.jsonl", novel), capsys)
    m = res["metrics"]
    assert "logistic regression" in m["probe"]["note"] and "12 training records" in m["probe"]["note"]
    assert m["probe"]["n"] == 6 and 0 <= m["probe"]["accuracy"] <= 1
    assert m["gain_over_probe"]["accuracy"] == pytest.approx(m["tuned"]["accuracy"] - m["probe"]["accuracy"])
    assert "untrained" in m["base"]["note"]
    assert "frozen features + logistic regression" in out and "untrained head (chance)" in out
    assert res["leakage"]["checked"] and res["leakage"]["leaked_test_records"] == 0
    assert "0/6 test records have a training paraphrase" in out
    assert "frozen features + logistic regression" in (run_with_train_file / "eval" / "eval.html").read_text()


def test_paraphrased_test_records_are_reported_next_to_the_score(run_with_train_file, tmp_path, capsys):
    res, out, err = _eval(run_with_train_file, F.write_jsonl(tmp_path / "test.jsonl", F.classification_rows()), capsys)
    leak = res["leakage"]
    assert (leak["leaked_test_records"], leak["test_records"], leak["training_records_paraphrasing"]) == (12, 18, 12)
    assert leak["share"] == pytest.approx(12 / 18)
    assert "66.7% of the test records (12/18) have a paraphrase in the training data" in out.replace("\n", " ")
    assert leak["warning"] in res["warnings"]
    assert {ex["similarity"] for ex in leak["examples"]} == {1.0}  # the evidence is the number compared


def test_without_the_training_file_the_probe_is_skipped_with_the_reason(tmp_path_factory, tmp_path, capsys):
    run = F.make_classification_run(tmp_path_factory.mktemp("nofile"), steps=2)
    res, out, _ = _eval(run, F.write_jsonl(tmp_path / "test.jsonl", F.classification_rows()), capsys)
    assert "probe" not in res["metrics"] and "names no training file" in res["metrics"]["probe_skipped"]
    assert res["leakage"] == {"checked": False, "why": "run.json names no training file"}
    assert "no frozen-feature baseline" in out


@pytest.mark.parametrize("threshold, leaked", [(0.999, 1), (1.01, 0)], ids=["at-threshold-counts", "above-all"])
def test_paraphrase_leakage_threshold_is_inclusive(threshold, leaked):
    r = baselines.paraphrase_leakage(["pay my bill"], ["pay my bill", "hello"], threshold=threshold, embed=bag_of_words)
    assert r["leaked_test_records"] == leaked and r["test_records"] == 2
