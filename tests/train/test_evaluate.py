"""`curate eval` end to end on tiny in-process runs: outputs, base comparison, registry warnings, HTML."""

from __future__ import annotations

import json

import pytest

from curate.cli import main
from tests.train import eval_fixtures as F


@pytest.fixture(scope="module")
def cls_run(tmp_path_factory):
    return F.make_classification_run(tmp_path_factory.mktemp("cls"))


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory):
    return F.make_sft_run(tmp_path_factory.mktemp("sft"))


@pytest.fixture(autouse=True)
def registry_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_HOME", str(tmp_path / "curate-home"))
    return tmp_path / "curate-home"



def _txt(tmp_path):
    p = tmp_path / "general.txt"
    p.write_text("The river carries sand to the sea.\nBread rises because yeast makes gas.\n"
                 "Owls hunt at night and hear very well.\nA map always simplifies the world.\n")
    return p


def test_classification_eval_writes_metrics_predictions_and_html(cls_run, tmp_path, capsys):
    test = F.write_jsonl(tmp_path / "test.jsonl", F.classification_rows(extra_text="<script>alert(1)</script> refund"))
    assert main(["eval", str(cls_run), "--data", str(test), "--general", str(_txt(tmp_path)),
                 "--bootstrap", "200"]) == 0
    res = json.loads((cls_run / "eval" / "eval.json").read_text())
    m = res["metrics"]
    assert m["tuned"]["n"] == 19 and m["tuned"]["accuracy"] >= 0.9  # trained on these texts
    lo, hi = m["tuned"]["ci"]["accuracy"]
    assert lo <= m["tuned"]["accuracy"] <= hi
    assert "untrained" in m["base"]["note"] and m["gain"]["accuracy"] == pytest.approx(
        m["tuned"]["accuracy"] - m["base"]["accuracy"])
    assert len(m["tuned"]["confusion"]) == 3 and sum(map(sum, m["tuned"]["confusion"])) == 19
    preds = [json.loads(x) for x in (cls_run / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 19 and {"id", "input", "reference", "prediction", "base_prediction", "correct"} <= set(preds[0])
    f = res["forgetting"]
    assert f["metric"] == "representation_drift" and f["n_passages"] == 4 and -1 <= f["mean_cosine_base_vs_tuned"] <= 1
    assert res["overfitting"]["gap"] == pytest.approx(0.5 - (1.0 + 0.6 + 0.3) / 3)
    html = (cls_run / "eval" / "eval.html").read_text()
    assert "<svg" in html and "confusion matrix" in html and "per-class" in html
    assert "<script>" not in html  # the record's markup is escaped wherever it appears
    out = capsys.readouterr().out
    assert "accuracy" in out and "wrote" in out


def test_scoring_a_test_set_twice_warns_and_runs_lists_both(cls_run, tmp_path, tmp_path_factory, capsys):
    test = F.write_jsonl(tmp_path / "test.jsonl", F.classification_rows())
    args = ["--data", str(test), "--general", "none", "--no-baseline", "--bootstrap", "50"]
    assert main(["eval", str(cls_run), *args]) == 0
    assert "warning" not in capsys.readouterr().err
    other = F.make_classification_run(tmp_path_factory.mktemp("cls2"), steps=20)  # a new hyperparameter choice
    assert main(["eval", str(other), *args]) == 0
    err = capsys.readouterr().err
    assert "already scored for 1 other run(s)" in err and "validation set" in err
    assert json.loads((other / "eval" / "eval.json").read_text())["warnings"]
    assert main(["runs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["run_path"].split("/")[-1] for e in listed] == ["cls-run", "cls-run"]  # both dirs are named cls-run
    assert len({e["run_path"] for e in listed}) == 2 and all(e["times_scored"] == 2 for e in listed)
    assert main(["runs"]) == 0
    assert "scored more than once" in capsys.readouterr().out


def test_sft_eval_reports_rouge_perplexity_and_forgetting(sft_run, tmp_path):
    test = F.write_jsonl(tmp_path / "qa.jsonl", F.qa_rows())
    assert main(["eval", str(sft_run), "--data", str(test), "--general", str(_txt(tmp_path)),
                 "--max-new-tokens", "4", "--batch-size", "4", "--bootstrap", "100"]) == 0
    res = json.loads((sft_run / "eval" / "eval.json").read_text())
    tuned, base = res["metrics"]["tuned"], res["metrics"]["base"]
    assert {"rouge1", "rouge2", "rougeL", "exact_match", "answer_perplexity"} <= set(tuned)
    # the adapter memorised the six answers; the random base did not
    assert tuned["answer_perplexity"] < base["answer_perplexity"]
    assert tuned["rouge1"]["mean"] > base["rouge1"]["mean"]
    assert res["metrics"]["decoding"] == {"strategy": "greedy", "max_new_tokens": 4, "batch_size": 4}
    f = res["forgetting"]
    assert f["metric"] == "perplexity" and f["before"] > 1 and f["after"] > 1 and f["n_passages"] == 4
    preds = [json.loads(x) for x in (sft_run / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert preds[0]["reference"] == "blue" and "base_prediction" in preds[0]


def test_greedy_eval_is_reproducible(sft_run, tmp_path):
    test = F.write_jsonl(tmp_path / "qa.jsonl", F.qa_rows())
    args = ["eval", str(sft_run), "--data", str(test), "--general", "none", "--max-new-tokens", "3", "--no-baseline"]
    outs = []
    for _ in range(2):
        assert main(args) == 0
        outs.append((sft_run / "eval" / "predictions.jsonl").read_text())
    assert outs[0] == outs[1]


@pytest.mark.parametrize("rows,needle", [
    pytest.param(F.qa_rows(), "is prompt_completion data but the run is a classification run", id="wrong-task"),
    pytest.param(None, "not a curate run directory", id="not-a-run"),
])
def test_bad_input_exits_2_with_the_fix(cls_run, tmp_path, capsys, rows, needle):
    test = F.write_jsonl(tmp_path / "t.jsonl", rows or F.classification_rows())
    run = cls_run if rows else tmp_path
    assert main(["eval", str(run), "--data", str(test), "--general", "none"]) == 2
    assert needle in capsys.readouterr().err


def test_evaluating_on_the_training_set_warns(cls_run, tmp_path):
    from curate.load import load_dataset
    from train.evaluate import data_warnings
    from train.run import RunManifest

    ds = load_dataset(F.write_jsonl(tmp_path / "t.jsonl", F.classification_rows()))
    m = RunManifest.load(cls_run)
    m.data_fingerprint = ds.fingerprint
    assert "memorisation" in data_warnings(m, ds)[0]
    m.data_fingerprint, m.val_fingerprint = "x", ds.fingerprint
    assert "validation set" in data_warnings(m, ds)[0]
