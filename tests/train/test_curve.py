"""`curate train --data-fractions`: nested stratified subsets, one validation set for every size,
intervals, the fitted curve and its doubling sentence, and the refusals (exit 2) of bad lists."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_cli import TRAIN, workdir, write_audit  # noqa: F401  (workdir is a fixture)

from curate.cli import main
from curate.errors import CurateError
from train.curve import nested_subset, parse_fractions
from train.curve_fit import fit_curve, macro_f1, predict, summarise


# ---------------------------------------------------------------- the fractions list

def test_fractions_parse():
    assert parse_fractions("0.1, 0.25,0.5,1.0") == [0.1, 0.25, 0.5, 1.0]


@pytest.mark.parametrize("text,says", [
    ("0,0.5,1", "outside 0 < f <= 1"),
    ("0.5,1.5", "outside 0 < f <= 1"),
    ("-0.1,1", "outside 0 < f <= 1"),
    ("nan,1", "outside 0 < f <= 1"),
    ("0.5,0.25,1", "not in ascending order"),
    ("0.5,0.5,1", "repeated 0.5"),
    ("0.1,half", "'half' is not a number"),
    ("1.0", "at least two sizes"),
], ids=["zero", "above-one", "negative", "nan", "unsorted", "repeated", "not-a-number", "one-size"])
def test_bad_fractions_are_refused_with_the_fix(text, says):
    with pytest.raises(CurateError) as e:
        parse_fractions(text)
    assert says in e.value.message and "--data-fractions 0.1,0.25,0.5,1.0" in e.value.fix


@pytest.mark.parametrize("extra,says", [
    (["--data-fractions", "0.5,0.25"], "not in ascending order"),
    (["--data-fractions", "0.5,1", "--refit"], "--refit"),
    (["--curve-seeds", "3"], "only applies to a learning curve"),
    (["--data-fractions", "0.5,1", "--curve-seeds", "0"], "at least one seed"),
], ids=["unsorted", "with-refit", "seeds-without-curve", "zero-seeds"])
def test_cli_refuses_before_any_work(workdir, capsys, extra, says):  # noqa: F811
    assert main(TRAIN + ["--out", "c"] + extra) == 2
    assert says in capsys.readouterr().err
    assert not (workdir / "c").exists() and not (workdir / "curate-out").exists()  # no audit, no training


# ---------------------------------------------------------------- nested, stratified subsets

RECS = [{"id": f"r{i}", "label": "a" if i < 60 else "b" if i < 90 else "c"} for i in range(100)]  # 60 / 30 / 10


def test_subsets_are_nested_stratified_and_seeded():
    ids = {f: {r["id"] for r in nested_subset(RECS, f, seed=3, stratify=True)} for f in (0.1, 0.25, 0.5, 1.0)}
    assert ids[0.1] <= ids[0.25] <= ids[0.5] <= ids[1.0] and len(ids[1.0]) == 100
    counts = {lab: sum(1 for r in RECS if r["id"] in ids[0.1] and r["label"] == lab) for lab in "abc"}
    assert counts == {"a": 6, "b": 3, "c": 1}  # every label keeps its share, and at least one record
    tiny = nested_subset(RECS, 0.01, seed=3, stratify=True)
    assert sorted(r["label"] for r in tiny) == ["a", "b", "c"]  # 0.01 x 10 rounds to 0: still one of each
    other = {r["id"] for r in nested_subset(RECS, 0.1, seed=4, stratify=True)}
    assert other != ids[0.1]
    assert ids[0.1] == {r["id"] for r in nested_subset(RECS, 0.1, seed=3, stratify=True)}
    plain = nested_subset(RECS, 0.25, seed=0, stratify=False)
    assert len(plain) == 25 and {r["id"] for r in nested_subset(RECS, 0.1, 0, stratify=False)} <= {r["id"] for r in plain}


# ---------------------------------------------------------------- statistics and the fit

def test_vectorised_macro_f1_matches_the_reference():
    from train.metrics import macro_f1 as reference

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 300), rng.integers(0, 6, 300)
    idx = rng.integers(0, 300, 300)
    got = macro_f1({"y_true": t, "y_pred": p}, idx)
    assert got == pytest.approx(reference([str(v) for v in t[idx]], [str(v) for v in p[idx]]))


def test_the_power_law_is_recovered_and_doubling_follows_it():
    n = np.array([100, 250, 500, 1000, 2000])
    y = 0.9 - 2.0 * n ** -0.5
    fit = fit_curve(n, y, "accuracy")
    assert fit["kind"] == "power"
    assert predict(fit, [4000])[0] == pytest.approx(0.9 - 2.0 * 4000 ** -0.5, abs=1e-4)


def test_without_scipy_the_fit_is_log_linear_and_says_so():
    n = np.array([100, 200, 400])
    y = np.array([0.5, 0.6, 0.7])  # +0.1 per doubling
    fit = fit_curve(n, y, "accuracy", allow_scipy=False)
    assert fit["kind"] == "loglinear" and "log-linear" in fit["formula"]
    assert float(predict(fit, 800) - predict(fit, 400)) == pytest.approx(0.1)


def _cls_records(acc: float, n: int = 400, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, n)
    right = rng.random(n) < acc
    return {"y_true": t.tolist(), "y_pred": np.where(right, t, (t + 1) % 4).tolist()}


def test_summary_intervals_cover_the_value_and_the_sentence_states_the_gain():
    sizes = [100, 200, 400, 800]
    accs = [0.6, 0.7, 0.78, 0.84]
    c = summarise(sizes, [[_cls_records(a, seed=s) for s in range(2)] for a in accs], ["accuracy", "macro_f1"])
    for p in c["points"]:
        r = p["metrics"]["accuracy"]
        assert r["ci"][0] <= r["value"] <= r["ci"][1] and len(r["seeds"]) == 2 and r["seed_sd"] is not None
    d = c["doubling"]
    assert d["from"] == 800 and d["to"] == 1600 and d["ci"][0] <= d["gain"] <= d["ci"][1]
    assert 0 < d["gain"] < 0.1  # a flattening curve adds less than its last doubling did (+0.06)
    assert c["sentence"].startswith(f"doubling the data from 800 to 1,600 training records is likely to add "
                                    f"{100 * d['gain']:+.1f} points of accuracy (95% interval")


def test_fit_on_the_first_sizes_reports_the_held_out_prediction():
    sizes = [100, 200, 400, 800]
    recs = [[_cls_records(a)] for a in (0.6, 0.7, 0.78, 0.84)]
    c = summarise(sizes, recs, ["accuracy"], fit_on=3)
    assert c["fit"]["on_sizes"] == [100, 200, 400] and c["doubling"]["from"] == 400
    assert [h["n"] for h in c["held_out"]] == [800]
    h = c["held_out"][0]
    assert h["measured"] == c["points"][3]["metrics"]["accuracy"]["value"] and h["ci"][0] <= h["predicted"] <= h["ci"][1]


def test_sft_curve_is_validation_loss_falling():
    sizes = [50, 100, 200]
    recs = [[{"nll": [v * 10] * 30, "tokens": [10] * 30}] for v in (2.0, 1.7, 1.5)]
    c = summarise(sizes, recs, ["val_loss"])
    assert c["points"][0]["metrics"]["val_loss"]["value"] == pytest.approx(2.0)
    assert c["doubling"]["gain"] < 0 and "change validation loss (per answer token; lower is better) by -" in c["sentence"]


# ---------------------------------------------------------------- end to end through the CLI

def test_curve_end_to_end(workdir, capsys):  # noqa: F811
    write_audit(workdir, passed=True)
    args = ["train", "train.csv", "--model", "model", "--max-steps", "2", "--eval-every", "2", "--batch-size", "4",
            "--lr", "5e-3", "--val-fraction", "0.25", "--out", "c", "--data-fractions", "0.5,1", "--curve-seeds", "2"]
    assert main(args) == 0
    out = capsys.readouterr()
    c = json.loads((workdir / "c" / "curve.json").read_text())
    assert [p["n"] for p in c["points"]] == [8, 18]  # 24 - a 0.25 holdout = 9 per label; round(4.5) = 4 of each
    assert c["validation_records"] == 6 and c["seeds"] == 2 and len(c["runs"]) == 4
    for s in range(2):  # the smaller subset lies inside the larger one, for each seed
        small = json.loads((workdir / "c" / "sizes" / f"s{s}-f0.5" / "point.json").read_text())
        big = json.loads((workdir / "c" / "sizes" / f"s{s}-f1" / "point.json").read_text())
        assert small["val_ids"] == big["val_ids"] and small["n_train"] == 8
        assert not (workdir / "c" / "sizes" / f"s{s}-f0.5" / "checkpoint").exists()
    svg = (workdir / "c" / "curve.svg").read_text()
    assert svg.startswith("<svg") and "training records (log scale)" in svg and "validation accuracy (%)" in svg
    report = (workdir / "c" / "report.md").read_text()
    assert "![learning curve](curve.svg)" in report and "Doubling the data from 18 to 36" in report
    assert "doubling the data from 18 to 36 training records" in out.out and "c/curve.svg" in out.out
    # the curve's sizes all gated on one audit: the one found for the whole file
    runs = [json.loads((workdir / "c" / "sizes" / d / "run.json").read_text()) for d in ("s0-f0.5", "s1-f1")]
    assert runs[0]["audit_path"] == runs[1]["audit_path"] and runs[0]["gate_passed"] is True
    assert main(args) == 2 and "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0  # every size is reused from its point.json
    assert "learning curve: seed" not in capsys.readouterr().err


# ---------------------------------------------------------------- per-record scores = the loop's validation

@pytest.mark.parametrize("task", ["sft", "classification"])
def test_per_record_scores_add_up_to_the_loops_validation(task):
    import contextlib

    from tiny_models import cls_record, sft_record, tiny_bert, tiny_llama, tiny_tokenizer

    from train.curve import score_records
    from train.data import encode_classification, encode_sft, epoch_batches
    from train.loop import evaluate

    tok = tiny_tokenizer()
    if task == "sft":  # answers of 1, 6 and 2 words: a per-record mean would differ from the token-weighted one
        net = tiny_llama(len(tok))
        exs = encode_sft([sft_record("short", "what is two plus two", "four"),
                          sft_record("long", "hello", "hi good morning thanks a b"),
                          sft_record("mid", "pay bill now", "send money")], tok, max_length=64)
    else:
        net = tiny_bert(len(tok), ["greet", "pay"])
        exs = encode_classification([cls_record(f"r{i}", t, "greet" if i % 2 else "pay")
                                     for i, t in enumerate(["hello now", "pay my bill", "hi there", "send money"])],
                                    tok, {"greet": 0, "pay": 1}, 16)
    net.eval()
    ev = evaluate(net, exs, epoch_batches(exs, seed=0, epoch=0, batch_size=2, pack_tokens=None), task, "cpu",
                  contextlib.nullcontext, 0, False)
    got = score_records(net, exs, task, pad_id=0, batch_size=2)
    if task == "sft":
        assert len(got["nll"]) == 3 and got["tokens"] == [2, 7, 3]  # answer words + <eos>
        assert sum(got["nll"]) / sum(got["tokens"]) == pytest.approx(ev["val_loss"], rel=1e-5)
    else:
        correct = sum(t == p for t, p in zip(got["y_true"], got["y_pred"]))
        assert got["y_true"] == [1, 0, 1, 0] and correct / 4 == pytest.approx(ev["val_accuracy"])


def test_a_ceiling_fitted_onto_its_bound_is_said():
    # straight in log n: the power law can only follow it by pushing its ceiling a to 100%
    c = summarise([100, 200, 400], [[_cls_records(a)] for a in (0.6, 0.75, 0.9)], ["accuracy"])
    assert c["fit"]["kind"] == "power" and c["fit"]["a_at_bound"] and "sits at its bound" in c["sentence"]
    c = summarise([100, 200, 400, 800], [[_cls_records(a)] for a in (0.6, 0.7, 0.76, 0.79)], ["accuracy"])
    assert not c["fit"]["a_at_bound"] and "bound" not in c["sentence"]
