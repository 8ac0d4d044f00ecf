"""`curate train` through the real CLI on a tiny saved model: the gate refuses, overrides are
recorded, and `load_trained` gives back the best weights for every method."""

from __future__ import annotations

import csv
import json
import warnings

import pytest
import torch
from tiny_models import tiny_bert, tiny_tokenizer

from curate.cli import main
from curate.load import load_dataset

TEXTS = ["hello now", "hi there", "good morning", "hey thanks", "pay my bill", "send money", "pay now please",
         "money send"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A tiny BERT + tokenizer saved as a model directory, a train and a val CSV; cwd is tmp_path."""
    monkeypatch.chdir(tmp_path)
    tok = tiny_tokenizer()
    tiny_bert(len(tok), ["greet", "pay"]).save_pretrained(tmp_path / "model")
    tok.save_pretrained(tmp_path / "model")
    for name, reps in (("train.csv", 3), ("val.csv", 1)):
        with open(tmp_path / name, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            for r in range(reps):
                for i, t in enumerate(TEXTS):
                    w.writerow([t if r == 0 else f"{t} {'please' if r == 1 else 'now'}", "greet" if i < 4 else "pay"])
    return tmp_path


def write_audit(workdir, passed: bool, fingerprint=None) -> str:
    fp = fingerprint or load_dataset(workdir / "train.csv").fingerprint
    out = workdir / "curate-out" / "train"
    out.mkdir(parents=True, exist_ok=True)
    rules = [{"rule": "max_pii_rate", "check": "max_pii_rate", "severity": "error", "status": "fail",
              "value": 0.25, "threshold": 0.01, "flagged": 6, "message": "PII in 6 records"}]
    from curate.rules import load_rules

    from train.recipe import RULES_FOR_TASK

    # the digest of the rule set `curate train` gates with for this data's task (classification here)
    # only the layout is needed: read tolerantly (some tests plant an invalid row or a latin-1 byte)
    fmt = load_dataset(workdir / "train.csv", skip_invalid=True, encoding="latin-1").format
    task = "classification" if fmt == "classification" else "sft"
    doc = {"dataset": {"fingerprint": fp}, "rules": rules, "rules_digest": load_rules(RULES_FOR_TASK[task]).digest,
           "gate": {"passed": passed, "failed_rules": [] if passed else ["max_pii_rate"]}}
    (out / "audit.json").write_text(json.dumps(doc))
    return str(out / "audit.json")


TRAIN = ["train", "train.csv", "--val", "val.csv", "--model", "model", "--max-steps", "4", "--eval-every", "2",
         "--batch-size", "8", "--lr", "5e-3", "--log-every", "1"]


def test_failed_gate_refuses_with_the_rules(workdir, capsys):
    write_audit(workdir, passed=False)
    assert main(TRAIN + ["--out", "run"]) == 1
    err = capsys.readouterr().err
    assert "gate failed" in err and "max_pii_rate: value 0.25, threshold 0.01, 6 records flagged" in err
    assert not (workdir / "run").exists()


def test_audit_of_other_data_is_rejected(workdir, capsys):
    path = write_audit(workdir, passed=True, fingerprint="0" * 64)
    assert main(TRAIN + ["--out", "run", "--audit", path]) == 2
    assert "audits different data" in capsys.readouterr().err


def test_no_audit_runs_one_with_the_given_rules_and_gates_on_it(workdir, capsys):
    (workdir / "big.yaml").write_text("rules:\n  - {check: min_records, severity: error, params: {min_count: 1000}}\n")
    assert main(TRAIN + ["--out", "run", "--rules", str(workdir / "big.yaml")]) == 1
    err = capsys.readouterr().err
    assert "running `curate audit --rules" in err and "min_records" in err
    (path,) = (workdir / "curate-out").glob("train-*/audit.json")  # where `curate audit train.csv` writes too
    assert path.parent.name == f"train-{load_dataset(workdir / 'train.csv').fingerprint[:8]}"
    doc = json.loads(path.read_text())
    assert doc["rules_file"].endswith("big.yaml") and doc["gate"]["failed_rules"] == ["min_records"]
    assert not (workdir / "run").exists()


@pytest.mark.parametrize("extra, expected", [([], "classification"), (["--rules", "strict"], "strict")],
                         ids=["text+label data gets the classification rules", "--rules wins"])
def test_no_audit_runs_the_rule_set_of_the_task(workdir, monkeypatch, extra, expected):
    import train.gate

    used = []

    def fake_audit(ds, out_dir, rules, log, **kw):
        used.append(rules)
        raise SystemExit(7)  # stop before the audit's models load: only the choice is under test

    monkeypatch.setattr(train.gate, "run_audit_now", fake_audit)
    with pytest.raises(SystemExit):
        main(TRAIN + ["--out", "run", *extra])
    assert used == [expected]


def test_class_weights_and_focal_loss_reach_the_training_loss(workdir, monkeypatch):
    import train.loop

    seen, real = [], train.loop.classification_loss

    def spy(logits, target, **kw):
        seen.append(kw)
        return real(logits, target, **kw)

    monkeypatch.setattr(train.loop, "classification_loss", spy)
    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--class-weights", "balanced", "--loss", "focal", "--focal-gamma", "1.5"]) == 0
    run = json.loads((workdir / "run" / "run.json").read_text())
    assert (run["config"]["class_weights"], run["config"]["loss"], run["config"]["focal_gamma"]) == ("balanced", "focal", 1.5)
    train_calls = [kw for kw in seen if kw.get("focal_gamma")]  # validation calls use plain cross-entropy
    assert train_calls and all(kw["focal_gamma"] == 1.5 and kw["weight"] is not None for kw in train_calls)
    assert any(kw["focal_gamma"] == 0 and kw["weight"] is None for kw in seen)


def test_allow_failed_gate_trains_loudly_and_records_it(workdir, capsys):
    write_audit(workdir, passed=False)
    assert main(TRAIN + ["--out", "run", "--allow-failed-gate", "--eval-at-start"]) == 0
    err = capsys.readouterr().err
    rows = [json.loads(ln) for ln in (workdir / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4] and set(rows[0]) == {"step", "val_loss", "val_accuracy"}
    assert "WARNING: the gate FAILED" in err and "max_pii_rate" in err
    run = json.loads((workdir / "run" / "run.json").read_text())
    assert run["allow_failed_gate"] is True and run["gate_passed"] is False
    assert run["config"]["failed_rules_overridden"] == ["max_pii_rate: value 0.25, threshold 0.01, 6 records "
                                                        "flagged (PII in 6 records)"]
    assert "FAILED (overridden" in (workdir / "run" / "report.md").read_text()


@pytest.mark.parametrize("method", ["lora", "bias", "full"])
def test_load_trained_gives_back_the_best_weights(workdir, method):
    from train.data import encode_classification, epoch_batches
    from train.loop import evaluate
    from train.model import load_trained

    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--method", method] + (["--merge"] if method == "lora" else [])) == 0
    model, tok, manifest = load_trained(workdir / "run")
    if method == "lora":  # --merge: a plain transformers model with the adapter folded in
        from transformers import AutoModelForSequenceClassification

        merged = AutoModelForSequenceClassification.from_pretrained(workdir / "run" / "merged").eval()
        batch = tok(["pay my bill", "hello now"], return_tensors="pt", padding=True)
        with torch.no_grad():
            torch.testing.assert_close(merged(**batch).logits, model(**batch).logits, rtol=1e-4, atol=1e-5)
    assert manifest.method == method and manifest.labels == ["greet", "pay"] and manifest.gate_passed
    assert manifest.data_fingerprint == load_dataset(workdir / "train.csv").fingerprint
    val = encode_classification(load_dataset(workdir / "val.csv").records, tok, {"greet": 0, "pay": 1}, 512)
    batches = epoch_batches(val, seed=0, epoch=0, batch_size=64, pack_tokens=None)
    ev = evaluate(model, val, batches, "classification", "cpu", __import__("contextlib").nullcontext, 0, False)
    assert ev["val_loss"] == pytest.approx(manifest.best_val_loss, rel=1e-5)
    rows = [json.loads(ln) for ln in (workdir / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and all(r["tokens_per_s"] > 0 for r in rows)
    assert {"train_loss", "lr", "mem_mb", "val_loss", "val_accuracy"} <= set(rows[1])
    assert torch.is_grad_enabled()


def test_existing_run_needs_resume(workdir, capsys):
    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run"]) == 0
    assert main(TRAIN + ["--out", "run"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(TRAIN + ["--out", "run", "--resume"]) == 0  # already finished: resumes at step 4 and stops


def test_sweep_runs_every_trial_and_keeps_the_best(workdir):
    from train.model import load_trained

    write_audit(workdir, passed=True)
    (workdir / "sweep.yaml").write_text("# curate train train.csv --out sw --sweep sweep.yaml\n"
                                        "search: grid\nparams:\n  lr: [1e-4, 5e-3]\n  metric: [val_loss]\n")
    assert main(TRAIN + ["--out", "sw", "--sweep", "sweep.yaml"]) == 0
    sweep = json.loads((workdir / "sw" / "sweep.json").read_text())
    results = sweep["results"]
    assert [r["lr"] for r in results] == [1e-4, 5e-3] and sweep["metric"] == "val_loss"
    best = min(results, key=lambda r: r["best"])
    assert sweep["best_trial"] == best["trial"]
    assert "**best**" in (workdir / "sw" / "sweep.md").read_text()
    _, _, manifest = load_trained(workdir / "sw")
    assert manifest.config["lr"] == best["lr"] and manifest.best_val_loss == pytest.approx(best["val_loss"])


def test_sweep_breaks_accuracy_ties_by_validation_loss():
    from train.sweep import pick_best

    results = [{"trial": 0, "best": 0.9373, "val_loss": 0.2302}, {"trial": 1, "best": 0.9373, "val_loss": 0.2257},
               {"trial": 2, "best": 0.9363, "val_loss": 0.1}]
    assert pick_best(results, "val_accuracy")["trial"] == 1
    assert pick_best(results[:1] + [dict(results[1], val_loss=0.2302)], "val_accuracy")["trial"] == 0
    assert pick_best(results, "val_loss")["trial"] == 2


def test_sweep_file_errors_are_reported_together(workdir, capsys):
    write_audit(workdir, passed=True)
    (workdir / "bad.yaml").write_text("serch: grid\nparams:\n  learning_rate: [1]\n  lora_r: []\n")
    assert main(TRAIN + ["--out", "sw", "--sweep", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "did you mean 'search'" in err and "params.learning_rate" in err
    assert "params.lora_r: give a non-empty list" in err


def test_sentence_transformers_mean_pooling_ignores_padding(workdir):
    """A model trained with mean pooling (1_Pooling/config.json) is classified from its masked token mean."""
    from train.model import MeanPooler, load_base

    (workdir / "model" / "1_Pooling").mkdir()
    (workdir / "model" / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    net, tok = load_base(str(workdir / "model"), "classification", ["greet", "pay"])
    net.eval()
    assert isinstance(net.bert.pooler, MeanPooler) and net.config.curate_pooling == "mean"
    with torch.no_grad():
        alone = net(**tok(["pay"], return_tensors="pt")).logits
        padded = net(**tok(["pay", "pay my bill now please"], return_tensors="pt", padding=True)).logits[:1]
        hidden = net.bert(**tok(["pay"], return_tensors="pt")).last_hidden_state
    torch.testing.assert_close(padded, alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(net.classifier(hidden.mean(1)), alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["lora", "full"])
def test_sentence_transformers_models_get_a_cosine_head_that_survives_saving(workdir, method, capsys):
    """The default head for a mean-pooled sentence model: cosine, started at the class means, restored by
    load_trained and by load_base on the merged model."""
    from train.model import CosineHead, load_base, load_trained

    (workdir / "model" / "1_Pooling").mkdir()
    (workdir / "model" / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--method", method, "--eval-at-start", "--lr", "1e-4"]
                + (["--merge"] if method == "lora" else [])) == 0
    assert "head initialised to class means of frozen features" in capsys.readouterr().err
    model, tok, manifest = load_trained(workdir / "run")
    cfg = manifest.config
    assert (cfg["head"], cfg["head_init"], cfg["head_lr"], cfg["head_scale"]) == ("cosine", "prototype", 1e-3, 20.0)
    assert 0 <= cfg["prototype_val_accuracy"] <= 1
    head = model.base_model.model.classifier.modules_to_save["default"] if method == "lora" else model.classifier
    assert isinstance(head, CosineHead)
    batch = tok(["pay my bill", "hello now"], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**batch).logits
    if method == "lora":
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # its [CLS] pooler is not saved and not needed: no warning about it
            merged, _ = load_base(str(workdir / "run" / "merged"), "classification", manifest.labels)
        assert isinstance(merged.classifier, CosineHead)
        with torch.no_grad():
            torch.testing.assert_close(merged.eval()(**batch).logits, logits, rtol=1e-4, atol=1e-5)
    rows = [json.loads(ln) for ln in (workdir / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["step"] == 0 and rows[0]["val_accuracy"] >= 0.5  # the class means already classify


def test_refit_trains_again_on_train_and_validation_to_the_picked_step(workdir, capsys):
    from safetensors.torch import load_file

    from train.model import load_trained

    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--method", "full", "--refit", "--max-steps", "6"]) == 0
    run = json.loads((workdir / "run" / "run.json").read_text())
    refit, best = run["config"]["refit_result"], run["best_step"]
    assert refit["examples"] == 24 + 8 and refit["selected_adapter"] == "selected"
    assert refit["steps"] == round(best * 32 / 24) and refit["of_schedule"] == round(6 * 32 / 24)
    out = capsys.readouterr()
    assert "refit: training again" in out.err and "-> run/selected; refit on train + validation" in out.out
    assert "- refit: `adapter/` was trained again on 32" in (workdir / "run" / "report.md").read_text()
    refit_rows = [json.loads(ln) for ln in (workdir / "run" / "refit" / "metrics.jsonl").read_text().splitlines()]
    assert refit_rows[-1]["step"] == refit["steps"]
    # RUN/adapter is the refit's last step; RUN/selected keeps what validation picked
    adapter = load_file(str(workdir / "run" / "adapter" / "trainable.safetensors"))
    selected = load_file(str(workdir / "run" / "selected" / "trainable.safetensors"))
    assert adapter.keys() == selected.keys()
    assert any(not torch.equal(adapter[k], selected[k]) for k in adapter)
    model, _, _ = load_trained(workdir / "run")
    torch.testing.assert_close(dict(model.named_parameters())["classifier.weight"].detach(), adapter["classifier.weight"])


def test_head_flags_that_do_not_fit_are_refused(workdir, capsys):
    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--head", "linear", "--head-init", "prototype"]) == 2
    assert "prototype does not fit a linear head" in capsys.readouterr().err
    assert main(TRAIN + ["--out", "run", "--head", "cosin"]) == 2
    assert "did you mean 'cosine'" in capsys.readouterr().err
    assert not (workdir / "run").exists()


def test_a_head_init_that_does_not_fit_the_default_head_is_refused_before_any_audit(workdir, capsys):
    (workdir / "model" / "1_Pooling").mkdir()
    (workdir / "model" / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    assert main(TRAIN + ["--out", "run", "--head-init", "probe"]) == 2
    err = capsys.readouterr().err
    assert "does not fit a cosine head (probe: linear, prototype: cosine); model gets a cosine head unless --head" in err
    assert "pair --head linear with --head-init probe" in err
    assert not (workdir / "run").exists() and not (workdir / "curate-out").exists()  # no audit was run


def test_a_fresh_head_loads_quietly_but_other_missing_weights_warn(workdir, caplog):
    """transformers' load report calls the new head MISSING, which reads like a failure; only other
    missing weights deserve a warning."""
    from train.model import load_base

    with caplog.at_level("WARNING"):
        load_base(str(workdir / "model"), "classification", ["greet", "pay"])
    assert not [r for r in caplog.records if "MISSING" in r.getMessage() or "LOAD REPORT" in r.getMessage()]
    tok = tiny_tokenizer()
    net = tiny_bert(len(tok), ["greet", "pay"])
    state = {k: v for k, v in net.state_dict().items() if k != "bert.encoder.layer.0.output.dense.weight"}
    net.save_pretrained(workdir / "holey", state_dict=state)
    tok.save_pretrained(workdir / "holey")
    with pytest.warns(UserWarning, match="1 weights were not in the checkpoint.*layer.0.output.dense.weight"):
        load_base(str(workdir / "holey"), "classification", ["greet", "pay"])


def test_a_validation_label_unknown_to_training_names_the_file_and_record(workdir, capsys):
    write_audit(workdir, passed=True)
    with open(workdir / "val.csv", "a", newline="") as f:
        csv.writer(f).writerow(["close my account", "close"])
    assert main(TRAIN + ["--out", "run"]) == 2
    err = capsys.readouterr().err
    assert "val.csv, record 8:" in err and "labels not seen in the training data: close" in err
    assert "fix: make sure every validation/test label occurs in the training set" in err
    assert not (workdir / "run").exists()


def test_missing_tracker_fails_before_training(workdir, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    write_audit(workdir, passed=True)
    assert main(TRAIN + ["--out", "run", "--log-to", "wandb"]) == 2
    assert "--log-to wandb: not installed" in capsys.readouterr().err
    assert not (workdir / "run").exists()
