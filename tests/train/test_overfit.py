"""Overfitting warnings from metrics.jsonl rows."""

from __future__ import annotations

import pytest

from train.overfit import OverfitConfig, analyse, read_metrics


def rows(train, val, val_acc=None, train_acc=None):
    out = []
    for i, (t, v) in enumerate(zip(train, val)):
        r = {"step": 10 * (i + 1), "train_loss": t, "val_loss": v}
        if val_acc:
            r["val_accuracy"] = val_acc[i]
        if train_acc:
            r["train_accuracy"] = train_acc[i]
        out.append(r)
    return out


@pytest.mark.parametrize("data,needle", [
    pytest.param(rows([2, 1.5, 1.0, 0.6, 0.3, 0.1], [2.1, 1.6, 1.7, 1.8, 1.9, 2.0]),
                 "validation loss rose for 4 evaluations in a row", id="val-rising-train-falling"),
    pytest.param(rows([1, 0.5, 0.1], [1.1, 0.9, 0.95], val_acc=[0.5, 0.6, 0.62], train_acc=[0.7, 0.95, 1.0]),
                 "training accuracy 100.0% is near perfect while validation accuracy is 62.0%", id="accuracy-gap"),
])
def test_overfitting_warns(data, needle):
    got = analyse(data)
    assert any(needle in w for w in got["warnings"]), got["warnings"]


@pytest.mark.parametrize("data", [
    pytest.param(rows([2, 1.5, 1.0, 0.8], [2.1, 1.6, 1.2, 1.0]), id="healthy"),
    pytest.param(rows([2, 1.5, 1.0, 0.8], [2.1, 1.6, 1.7, 1.8]), id="two-rises-below-threshold"),
    pytest.param(rows([1.0, 1.2, 1.4, 1.6, 1.8], [1.0, 1.2, 1.4, 1.6, 1.8]), id="both-rising-is-divergence-not-overfit"),
    pytest.param(rows([1], [1.2]), id="single-eval"),
])
def test_no_warning(data):
    assert analyse(data)["warnings"] == []


def test_gap_and_best_step():
    got = analyse(rows([2, 1.0, 0.5], [2.0, 1.2, 1.3]))
    assert got["best_step"] == 20 and got["best_val_loss"] == 1.2
    assert got["gap"] == pytest.approx(1.3 - (2 + 1.0 + 0.5) / 3)
    assert got["curves"]["val_loss"] == [[10.0, 2.0], [20.0, 1.2], [30.0, 1.3]]


def test_threshold_is_configurable():
    data = rows([2, 1.5, 1.0, 0.8], [2.1, 1.6, 1.7, 1.8])
    assert analyse(data, OverfitConfig(rising_evals=2))["warnings"]


def test_no_validation_rows_says_so(tmp_path):
    assert read_metrics(tmp_path / "missing.jsonl") == []
    got = analyse([{"step": 1, "train_loss": 1.0}])
    assert got["warnings"] == [] and "cannot be judged" in got["note"]


def test_broken_metrics_line_names_file_and_line(tmp_path):
    from curate.errors import DataError

    p = tmp_path / "metrics.jsonl"
    p.write_text('{"step": 1}\n{oops\n')
    with pytest.raises(DataError, match="line 2"):
        read_metrics(p)
