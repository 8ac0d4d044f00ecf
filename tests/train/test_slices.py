"""Per-slice evaluation: slice metrics against hand-computed values, flags, fairness gaps, training label skew, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curate.cli import main
from curate.errors import DataError
from tests.train import eval_fixtures as F
from train import baselines, slices
from train.metrics import macro_f1


def _preds(rows):
    """rows: (slice, reference, prediction[, probe prediction])."""
    out = [{"reference": t, "prediction": p, **({"probe_prediction": r[3]} if len(r) > 3 else {})}
           for r in rows for t, p in [(r[1], r[2])]]
    return out, [r[0] for r in rows]


def test_slice_metrics_are_the_metrics_of_the_slice():
    preds, groups = _preds([("a", "x", "x"), ("a", "y", "x"), ("a", "y", "y"), ("b", "x", "x"), ("b", "y", "y")])
    res = slices.analyse(preds, groups, "classification", ["x", "y"], n_resamples=200)
    a = next(r for r in res["slices"] if r["slice"] == "a")
    assert a["n"] == 3 and a["metrics"]["accuracy"]["mean"] == pytest.approx(2 / 3)
    assert a["metrics"]["macro_f1"]["mean"] == pytest.approx(macro_f1(["x", "y", "y"], ["x", "x", "y"]))
    lo, hi = a["metrics"]["accuracy"]["ci"]
    assert 0 <= lo <= 2 / 3 <= hi <= 1
    assert a["gap_to_rest"]["value"] == pytest.approx(2 / 3 - 1)
    assert res["worst"] == {"slice": "a", "value": pytest.approx(2 / 3), "gap_to_rest": pytest.approx(-1 / 3)}
    # per-label rates: in slice a, label x is predicted 2/3 of the time, TPR(x) = 1, FPR(x) = 1/2
    assert a["rates"]["x"] == {"predicted_rate": pytest.approx(2 / 3), "tpr": 1.0, "fpr": 0.5}


def test_vectorised_macro_f1_matches_the_reference_implementation():
    rng = np.random.default_rng(1)
    t, p = rng.integers(0, 4, 60), rng.integers(0, 5, 60)  # 4 = a prediction outside the labels
    idx = rng.integers(0, 60, size=(20, 60))
    labels = ["a", "b", "c", "d"]
    name = lambda v: labels[v] if v < 4 else "invented"  # noqa: E731
    expected = [macro_f1([name(v) for v in t[i]], [name(v) for v in p[i]]) for i in idx]
    # metrics.macro_f1 averages over labels present in y_true: the same definition
    assert slices.macro_f1_resampled(t, p, idx, 4) == pytest.approx(expected)


@pytest.mark.parametrize("bad_n, flagged", [(40, ["bad"]), (3, [])], ids=["clear-gap-flagged", "tiny-slice-not-flagged"])
def test_a_slice_far_below_the_rest_is_flagged(bad_n, flagged):
    rows = [("good", "x", "x")] * 200 + [("bad", "x", "x")] * (bad_n // 4) + [("bad", "x", "y")] * (bad_n - bad_n // 4)
    preds, groups = _preds(rows)
    res = slices.analyse(preds, groups, "classification", ["x", "y"], n_resamples=300)
    assert res["flagged"] == flagged
    assert res["confidence_for_flags"] == pytest.approx(1 - 0.05 / (2 if bad_n >= 5 else 1))


def test_a_slice_ahead_of_the_rest_whose_lead_shrinks_has_not_widened_a_gap():
    # the probe is perfect on 'a' and poor on 'b'; the fine-tune is good on both: 'a' leads by less
    # fine-tune: a 0.95, b 0.75 (a leads by 0.20); probe: a 1.00, b 0.25 (a led by 0.75)
    rows = ([("a", "x", "x", "x")] * 76 + [("a", "x", "y", "x")] * 4
            + [("b", "x", "x", "y")] * 60 + [("b", "x", "y", "x")] * 20)
    res = slices.analyse(*_preds(rows), "classification", ["x", "y"], n_resamples=300)
    a = next(r for r in res["slices"] if r["slice"] == "a")
    assert a["gap_to_rest"]["value"] > 0 and a["gap_change"]["value"] < 0
    assert "a" not in res["widened"]


def test_equal_slices_are_not_flagged_and_parity_gap_is_zero():
    rows = [(s, "x", "x") for s in "ab" for _ in range(30)] + [(s, "y", "x") for s in "ab" for _ in range(10)]
    res = slices.analyse(*_preds(rows), "classification", ["x", "y"], n_resamples=200)
    assert res["flagged"] == [] and res["fairness"]["demographic_parity"] == {"gap": 0.0}


def test_fine_tuning_that_widens_a_gap_is_reported():
    # the probe is equally good on both slices; the fine-tune is perfect on 'a' and poor on 'b'
    rows = [("a", "x", "x", "x")] * 60 + [("a", "y", "y", "x")] * 20 + [("b", "x", "y", "x")] * 60 + [("b", "y", "y", "x")] * 20
    res = slices.analyse(*_preds(rows), "classification", ["x", "y"], n_resamples=300)
    assert res["reference"] == "frozen-feature probe" and res["widened"] == ["b"]
    b = next(r for r in res["slices"] if r["slice"] == "b")
    assert b["reference_gap"] == pytest.approx(0.0) and b["gap_change"]["value"] == pytest.approx(0.25 - 1.0)


def test_training_label_skew_is_measured():
    recs = [{"label": "refund"}] * 40 + [{"label": "card"}] * 10 + [{"label": "refund"}] * 10 + [{"label": "card"}] * 40
    groups = ["de"] * 50 + ["fr"] * 50
    d = slices.label_distribution(recs, groups)
    assert d["counts"] == [[10, 40], [40, 10]] and d["skewed"] and d["p_value"] < 1e-6
    assert d["most_over_represented"]["observed"] == 40
    even = slices.label_distribution(recs[:50] + recs[:50], groups)
    assert not even["skewed"] and even["p_value"] == pytest.approx(1.0)


def test_unknown_slice_column_is_a_data_error_with_suggestion(tmp_path):
    from curate.load import load_dataset

    ds = load_dataset(F.write_jsonl(tmp_path / "t.jsonl", [{"text": "a b", "label": "x", "region": "eu"}] * 1))
    with pytest.raises(DataError, match="did you mean 'region'"):
        slices.slice_values(ds, "regoin")
    assert slices.slice_values(ds, "region") == ["eu"]


@pytest.fixture
def offline(tmp_path, monkeypatch):
    from tests.train.test_eval_honest import bag_of_words

    monkeypatch.setenv("CURATE_HOME", str(tmp_path / "curate-home"))
    monkeypatch.setattr(baselines, "_embed_texts", bag_of_words)


def test_eval_slice_by_a_column_end_to_end(offline, tmp_path_factory, tmp_path, capsys):
    train_rows = [{**r, "channel": "app" if i % 3 else "web"} for i, r in enumerate(F.classification_rows())]
    run = F.make_classification_run(tmp_path_factory.mktemp("sl"), train_rows=train_rows, steps=10)
    test_rows = [{**r, "channel": ["app", "web"][i % 2]} for i, r in enumerate(F.classification_rows())]
    test = F.write_jsonl(tmp_path / "test.jsonl", test_rows)
    assert main(["eval", str(run), "--data", str(test), "--general", "none", "--bootstrap", "100",
                 "--slice-by", "channel"]) == 0
    out = capsys.readouterr().out
    res = json.loads((run / "eval" / "eval.json").read_text())
    sl = res["slices"]["channel"]
    assert {r["slice"]: r["n"] for r in sl["slices"]} == {"app": 9, "web": 9}
    assert sl["reference"] == "frozen-feature probe" and sl["training_labels"]["slices"] == ["app", "web"]
    assert "per channel" in out and "worst channel" in out
    html = (run / "eval" / "eval.html").read_text()
    assert "Per channel" in html and 'aria-label="accuracy per slice"' in html and "labels per channel" in html
    assert main(["eval", str(run), "--data", str(test), "--slice-by", "chanel"]) == 2
    assert "did you mean 'channel'" in capsys.readouterr().err


def test_generation_slices_use_rouge_l_and_the_base_model_as_reference():
    preds = [{"reference": "blue sky", "prediction": "blue sky", "base_prediction": "red"}] * 6 + \
            [{"reference": "four legs", "prediction": "two", "base_prediction": "two"}] * 6
    res = slices.analyse(preds, ["colour"] * 6 + ["count"] * 6, "sft", n_resamples=100)
    assert res["metric"] == "rougeL" and res["reference"] == "base model" and "fairness" not in res
    count = next(r for r in res["slices"] if r["slice"] == "count")
    assert count["metrics"]["rougeL"]["mean"] == 0.0 and count["metrics"]["exact_match"]["mean"] == 0.0
    assert res["flagged"] == ["count"] and res["overall"]["rougeL"] == pytest.approx(50.0)


def test_topic_slices_read_the_audits_embedding_matrix_file(tmp_path):
    """The audit keeps its embedding matrix out of signals.parquet, in embeddings.npy (a row per record)."""
    import pandas as pd

    pd.DataFrame({"id": ["0", "1", "2"], "topic_cluster": [0, 0, 1], "topic_label": ["refund", "refund", "card"]}
                 ).to_parquet(tmp_path / "signals.parquet")
    np.save(tmp_path / "embeddings.npy", np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32))
    embed = lambda texts: np.array([[1.0, 0.0] if "money" in t else [0.0, 1.0] for t in texts])  # noqa: E731
    test, train = slices.topic_groups(str(tmp_path / "audit.json"), ["money back", "card lost"], embed)
    assert test == ["#0: refund", "#1: card"] and train["2"] == "#1: card"


def test_topic_slices_follow_the_audits_topic_centroids(tmp_path, monkeypatch):
    import pandas as pd

    pd.DataFrame({"id": ["0", "1", "2"], "embedding": [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]],
                  "topic_cluster": [0, 0, 1], "topic_label": ["refund", "refund", "card"]}
                 ).to_parquet(tmp_path / "signals.parquet")
    embed = lambda texts: np.array([[1.0, 0.0] if "money" in t else [0.0, 1.0] for t in texts])  # noqa: E731
    test, train = slices.topic_groups(str(tmp_path / "audit.json"), ["money back", "card lost"], embed)
    # labels follow topics by construction: no parity gap or label-skew finding for topic slices
    from types import SimpleNamespace

    from train.evaluate import EvalConfig, slice_report
    import train.slices as S

    train_ds = SimpleNamespace(records=[{"id": str(i), "label": lab} for i, lab in enumerate(["r", "r", "c"])] * 1)
    orig_topic_groups = S.topic_groups
    monkeypatch.setattr(S, "topic_groups", lambda *a: (test, train))
    preds = [{"reference": "r", "prediction": "r"}, {"reference": "c", "prediction": "c"}]
    rep = slice_report("topic", SimpleNamespace(audit_path="x", task="classification"),
                       SimpleNamespace(records=[{"prompt": "money back"}, {"prompt": "card lost"}]), preds,
                       {"tuned": {"labels": ["c", "r"]}}, train_ds, EvalConfig(n_bootstrap=20))
    assert "fairness" not in rep and rep["training_labels"]["skewed"] is False
    assert test == ["#0: refund", "#1: card"] and train == {"0": "#0: refund", "1": "#0: refund", "2": "#1: card"}
    from curate.errors import CurateError

    with pytest.raises(CurateError, match="needs the run's audit signals"):
        orig_topic_groups(None, ["x"], embed)
