"""`curate eval RUN --data TEST`: did the model learn the task, did it overfit, what did it forget?

The outline (`evaluate`): load the run and its best weights -> score the test set with the tuned
model and with its base (same data, same greedy decoding, same batch size) -> read the training
curves for overfitting -> measure general-text ability before/after -> record the scoring in the
registry (which warns when this test set was already used) -> write RUN/eval/{eval.json,
predictions.jsonl, eval.html}.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from curate.errors import CurateError, DataError
from curate.timing import timed
from train import baselines, forgetting, metrics, overfit, predict, registry
from train.run import RunManifest


@dataclass
class EvalConfig:
    max_new_tokens: int = 128  # generation length cap (fixed so scores are reproducible)
    batch_size: int = 16  # examples per forward pass / generate call, the same for tuned and base
    max_length: int = 512  # tokens per input; longer inputs are truncated
    baseline: bool = True  # also score the base model without the adapter
    general: str | None = None  # general-text file for forgetting; None = the bundled sample; "none" = skip
    max_general: int = 400  # general passages scored (before and after)
    n_bootstrap: int = 1000  # bootstrap resamples for the 95% intervals
    seed: int = 0  # seeds the bootstrap and any freshly initialised head
    n_errors: int = 25  # error examples kept for the report
    max_paraphrase_share: float = 0.01  # above this share of test records with a training paraphrase, the score
    # is printed with a warning (1%: the share at which leakage moves accuracy by about its CI's half-width on 1k records)
    slice_by: tuple = ()  # test-file columns (or "topic": the audit's topics) to report metrics per slice of
    stem: bool = True  # Porter-stem tokens for ROUGE (as the ROUGE-1.5.5 runs in papers do)


# ---------------------------------------------------------------- classification


def score_classification(model, tok, manifest, ds, cfg: EvalConfig, train_recs=None,
                         train_why: str | None = None) -> tuple[dict, list[dict]]:
    labels = list(manifest.labels)
    if not labels:
        raise CurateError(f"run.json of this run has no labels", fix="evaluate a classification run made by `curate train`")
    texts, y_true = [r["prompt"] for r in ds.records], [r["label"] for r in ds.records]
    unseen = sorted(set(y_true) - set(labels))
    ids = predict.predict_classes(model, tok, texts, batch_size=cfg.batch_size, max_length=cfg.max_length)
    y_pred = [labels[i] for i in ids]
    report_labels = labels + unseen  # unseen test labels can never be predicted: they count as errors
    out = {"tuned": _cls_block(y_true, y_pred, report_labels, cfg)}
    base_pred = probe_pred = None
    if cfg.baseline:
        with predict.base_model(model, manifest) as base:
            base_pred = [labels[i] for i in predict.predict_classes(base, tok, texts, batch_size=cfg.batch_size,
                                                                     max_length=cfg.max_length)]
        out["base"] = _cls_block(y_true, base_pred, report_labels, cfg)
        out["base"]["note"] = ("base model with the adapter disabled: its classification head is untrained, so "
                               "this is the chance-level starting point, not a competing model")
        out["gain"] = {k: out["tuned"][k] - out["base"][k] for k in ("accuracy", "macro_f1")}
        if train_recs:
            with predict.base_model(model, manifest) as base:
                probe_pred, n_fit = baselines.probe_baseline(base, tok, train_recs, texts, labels,
                                                             batch_size=cfg.batch_size, max_length=cfg.max_length,
                                                             seed=cfg.seed)
            out["probe"] = _cls_block(y_true, probe_pred, report_labels, cfg)
            out["probe"]["note"] = (f"logistic regression on the frozen base model's mean-pooled features, fitted on "
                                    f"the run's {n_fit} training records: the cheap baseline a fine-tune must beat")
            out["gain_over_probe"] = {k: out["tuned"][k] - out["probe"][k] for k in ("accuracy", "macro_f1")}
        else:
            out["probe_skipped"] = f"no frozen-feature baseline: {train_why}"
    out["chance_accuracy"] = 1 / len(labels)
    if unseen:
        out["unseen_labels"] = unseen
    probe_pred = probe_pred if "probe" in out else None
    preds = [{"id": r["id"], "input": r["prompt"], "reference": t, "prediction": p, "correct": t == p,
              **({"base_prediction": base_pred[i]} if base_pred else {}),
              **({"probe_prediction": probe_pred[i]} if probe_pred else {})}
             for i, (r, t, p) in enumerate(zip(ds.records, y_true, y_pred))]
    return out, preds


def _cls_block(y_true, y_pred, labels, cfg) -> dict:
    m = metrics.classification_metrics(y_true, y_pred, labels)
    m["ci"] = metrics.classification_cis(y_true, y_pred, n_resamples=cfg.n_bootstrap, seed=cfg.seed)
    return m


# ---------------------------------------------------------------- generation


def generation_prompt(rec: dict, tok, source: str = "test data") -> tuple[str, str]:
    """(prompt text, reference answer) laid out exactly as `curate train` trained on it (train/data.py)."""
    from train.data import PLAIN_PROMPT

    msgs = rec["messages"]
    last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=None)
    if last is None or last == 0:
        raise DataError(source, f"record {rec['id']}", "has no assistant answer to compare with",
                        fix="evaluate generation on prompt/answer records (Alpaca, prompt/completion or chat)")
    if getattr(tok, "chat_template", None):
        return tok.apply_chat_template(msgs[:last], add_generation_prompt=True, tokenize=False), msgs[last]["content"]
    return (tok.bos_token or "") + PLAIN_PROMPT.format(prompt=rec["prompt"]), rec["response"]


def score_generation(model, tok, manifest, ds, cfg: EvalConfig) -> tuple[dict, list[dict]]:
    pairs = [generation_prompt(r, tok, ds.path) for r in ds.records]
    prompts, refs = [p for p, _ in pairs], [a for _, a in pairs]

    def run(m) -> tuple[list[str], dict]:
        gens = predict.generate(m, tok, prompts, max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size)
        block = metrics.generation_metrics(gens, refs, stem=cfg.stem, seed=cfg.seed)
        nll = predict.continuation_nll(m, tok, prompts, refs, batch_size=cfg.batch_size,
                                       max_length=cfg.max_length + cfg.max_new_tokens)
        block["answer_perplexity"] = metrics.perplexity(sum(s for s, _ in nll), sum(n for _, n in nll))
        return gens, block

    gens, tuned = run(model)
    out, base_gens = {"tuned": tuned}, None
    if cfg.baseline:
        with predict.base_model(model, manifest) as base:
            base_gens, out["base"] = run(base)
        out["gain"] = {k: out["tuned"][k]["mean"] - out["base"][k]["mean"] for k in ("exact_match", "rouge1", "rouge2", "rougeL")}
        out["gain"]["answer_perplexity"] = out["tuned"]["answer_perplexity"] - out["base"]["answer_perplexity"]
    out["decoding"] = {"strategy": "greedy", "max_new_tokens": cfg.max_new_tokens, "batch_size": cfg.batch_size}
    rl = metrics.rouge_scores(gens, refs, stem=cfg.stem)["rougeL"]
    preds = [{"id": r["id"], "input": r["prompt"], "reference": ref, "prediction": g, "rougeL": round(100 * s, 2),
              "exact_match": bool(metrics.exact_match(g, ref)), **({"base_prediction": base_gens[i]} if base_gens else {})}
             for i, (r, ref, g, s) in enumerate(zip(ds.records, refs, gens, rl))]
    return out, preds


# ---------------------------------------------------------------- the outline


def data_warnings(manifest: RunManifest, ds) -> list[str]:
    w = []
    if ds.fingerprint and ds.fingerprint == manifest.data_fingerprint:
        w.append(f"'{ds.name}' is the training set of this run (same fingerprint): these scores measure memorisation, "
                 "not generalisation; evaluate on held-out data")
    if ds.fingerprint and ds.fingerprint == manifest.val_fingerprint:
        w.append(f"'{ds.name}' is this run's validation set, which chose the best step: its score is optimistic; "
                 "use a separate test set for the final number")
    return w


def paraphrase_check(train_recs, train_why, ds, cfg: EvalConfig) -> dict:
    """Share of test records paraphrased in the training data; a warning when it is above cfg's share."""
    if not train_recs:
        return {"checked": False, "why": train_why}
    try:
        out = baselines.paraphrase_leakage([r["prompt"] for r in train_recs], [r["prompt"] for r in ds.records])
    except CurateError as e:  # the audit's embedding model is not installed here
        return {"checked": False, "why": str(e).splitlines()[0]}
    out["checked"] = True
    for ex in out["examples"]:
        ex["test_id"], ex["train_id"] = ds.records[ex.pop("test_index")]["id"], train_recs[ex.pop("train_index")]["id"]
    if out["share"] > cfg.max_paraphrase_share:
        out["warning"] = (f"{out['share']:.1%} of the test records ({out['leaked_test_records']}/{out['test_records']}) "
                          f"have a paraphrase in the training data (cosine >= {out['threshold']:g}; "
                          f"{out['training_records_paraphrasing']} training records): the score partly measures "
                          f"recall of the training set; the audit's max_semantic_leakage rule only warns: `curate clean DATA --eval TEST --fix-warned` drops them")
    return out


def _fmt_gap(gap: dict, metric: str) -> str:
    pct = metric in ("accuracy", "exact_match")
    f = (lambda v: f"{v:+.1%}") if pct else (lambda v: f"{v:+.2f}")
    return f"{f(gap['value'])}, {gap.get('confidence', 0.95):.1%} CI [{f(gap['ci'][0])}, {f(gap['ci'][1])}]"


def slice_report(field: str, manifest: RunManifest, ds, preds: list[dict], task: dict, train_ds,
                 cfg: EvalConfig) -> dict:
    """Per-slice metrics of the test set, and the training data's label distribution over the same slices."""
    from train import slices

    if field == "topic":
        groups, train_topic = slices.topic_groups(manifest.audit_path, [r["prompt"] for r in ds.records],
                                                  baselines._embed_texts)
        train_groups = [train_topic.get(r["id"], slices.MISSING) for r in train_ds.records] if train_ds else None
    else:
        groups = slices.slice_values(ds, field)
        train_groups = None
        if train_ds is not None:
            try:
                train_groups = slices.slice_values(train_ds, field)
            except DataError:
                train_groups = None  # the training file has no such column: no training-data view
    labels = task["tuned"].get("labels") if manifest.task == "classification" else None
    out = slices.analyse(preds, groups, manifest.task, labels, n_resamples=cfg.n_bootstrap, seed=cfg.seed, field=field)
    if manifest.task == "classification" and train_groups is not None:
        out["training_labels"] = slices.label_distribution(train_ds.records, train_groups)
    if field == "topic":
        # topics are clusters of what the text says, and the label is what the text says: labels follow topics
        # by construction, so parity gaps and label skew across topics are no finding (the per-topic metrics are)
        out.pop("fairness", None)
        if "training_labels" in out:
            out["training_labels"]["skewed"] = False
            out["training_labels"]["note"] = "labels follow topics by construction; not a skew"
    return out


def check_task(manifest: RunManifest, ds) -> None:
    if manifest.task == "classification" and ds.format != "classification":
        raise DataError(ds.path, None, f"is {ds.format} data but the run is a classification run",
                        fix="pass a test file with text and label columns (--text-field/--label-field)")
    if manifest.task == "sft" and ds.format == "classification":
        raise DataError(ds.path, None, "is classification data but the run is an SFT (generation) run",
                        fix="pass prompt/answer or chat records")


def evaluate(run_dir, ds, cfg: EvalConfig = EvalConfig(), *, registry_path=None) -> dict:
    from train.model import load_trained

    run_dir = Path(run_dir)
    manifest = RunManifest.load(run_dir)
    check_task(manifest, ds)
    timings: dict = {}
    torch.manual_seed(cfg.seed)  # an untrained head (classification base) initialises the same way every time
    with timed(timings, "load", digits=2):
        model, tok, manifest = load_trained(run_dir)
    with timed(timings, "task", digits=2):
        train_ds, train_why = baselines.load_training_data(manifest)
        train_recs = train_ds.records if train_ds else None
        if manifest.task == "classification":
            task, preds = score_classification(model, tok, manifest, ds, cfg, train_recs, train_why)
        else:
            task, preds = score_generation(model, tok, manifest, ds, cfg)
    with timed(timings, "leakage", digits=2):
        leakage = paraphrase_check(train_recs, train_why, ds, cfg)
    sliced = {}
    with timed(timings, "slices", digits=2):
        for field in cfg.slice_by:
            sliced[field] = slice_report(field, manifest, ds, preds, task, train_ds, cfg)
    fit = overfit.analyse(overfit.read_metrics(run_dir / "metrics.jsonl"))
    forget = None
    if cfg.general != "none":
        with timed(timings, "forgetting", digits=2):
            forget = forgetting.measure(model, tok, manifest, cfg.general,
                                        forgetting.ForgettingConfig(batch_size=cfg.batch_size,
                                                                    max_passages=cfg.max_general))
    result = {
        "run": str(run_dir), "task": manifest.task, "base_model": manifest.base_model, "method": manifest.method,
        "test": {"path": ds.path, "name": ds.name, "fingerprint": ds.fingerprint, "n": len(ds)},
        "config": asdict(cfg), "metrics": task, "slices": sliced, "leakage": leakage, "overfitting": fit, "forgetting": forget,
        "seconds": timings, "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    warnings = data_warnings(manifest, ds) + fit["warnings"]
    if leakage.get("warning"):
        warnings.append(leakage["warning"])
    for field, sl in sliced.items():
        for r in sl["slices"]:
            if r["significantly_below"]:
                warnings.append(f"slice {field}={r['slice']} ({r['n']} records) is significantly below the rest: "
                                f"{sl['metric']} gap {_fmt_gap(r['gap_to_rest'], sl['metric'])}")
            if r.get("widened"):
                warnings.append(f"slice {field}={r['slice']}: fine-tuning widened its {sl['metric']} gap to the rest "
                                f"compared with the {sl['reference']} ({_fmt_gap(r['gap_change'], sl['metric'])})")
        dist = sl.get("training_labels") or {}
        if dist.get("skewed"):
            o = dist.get("most_over_represented")
            warnings.append(f"training data: labels depend on {field} (chi-square p {dist['p_value']:.2g}, Cramer's V "
                            f"{dist['cramers_v']:.2f})" + (f"; most over-represented: label {o['label']} in {field}="
                            f"{o['slice']} ({o['observed']} records, {o['expected']:.1f} expected)" if o else ""))
    warnings += registry.record_eval(run_dir, manifest, ds, headline(result), path=registry_path)
    result["warnings"] = warnings
    result["errors"] = error_examples(preds, manifest.task, cfg.n_errors)
    write_outputs(run_dir / "eval", result, preds)
    return result


def headline(result: dict) -> dict:
    """The few numbers the registry keeps and `curate runs` prints."""
    m = result["metrics"]
    keys = ("accuracy", "macro_f1") if result["task"] == "classification" else ("rouge1", "rouge2", "rougeL", "exact_match")
    out = {}
    for side in ("tuned", "base", "probe"):
        for k in keys:
            if side in m:
                v = m[side][k]
                out[f"{side}_{k}" if side != "tuned" else k] = v["mean"] if isinstance(v, dict) else v
    return out


def error_examples(preds: list[dict], task: str, n: int) -> list[dict]:
    if task == "classification":
        return [p for p in preds if not p["correct"]][:n]
    return sorted(preds, key=lambda p: p["rougeL"])[:n]


def write_outputs(out_dir: Path, result: dict, preds: list[dict]) -> None:
    from train.eval_report import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    with (out_dir / "predictions.jsonl").open("w", encoding="utf-8") as f:
        for p in preds:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    (out_dir / "eval.html").write_text(render_html(result), encoding="utf-8")
