"""`curate train` as an outline of named phases: gate -> data -> model -> loop -> outputs.

    from train.recipe import run_training
    from train.config import TrainConfig
    summary = run_training(TrainConfig(epochs=2), "train.csv", "runs/intents")
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from curate.errors import CurateError, DataError
from train.config import DEFAULT_LR, TrainConfig
from train.run import RunManifest


# The rule set `curate train` audits with when it finds no audit and --rules is not given: the one
# written for the task. default.yaml's checks are about prompt/answer data; classification.yaml
# adds conflicting labels, label noise and balance, and makes test-set leakage an error.
RULES_FOR_TASK = {"classification": "classification", "sft": "default"}


class GateFailed(Exception):
    """The audit's gate failed and --allow-failed-gate was not given: exit 1."""

    def __init__(self, audit_path: str, failed_rules: list[str]):
        self.audit_path, self.failed_rules = audit_path, failed_rules
        super().__init__(f"{audit_path}: the gate failed")


@dataclass
class Inputs:
    data: str  # training data file
    out: str  # run directory
    val: str | None = None  # validation file (else a seeded --val-fraction holdout)
    audit: str | None = None  # explicit audit.json (else found by fingerprint, or run)
    rules: str | None = None  # rules the audit must use / the audit run when none is found; None = the set for the
    # task (RULES_FOR_TASK), or, with an explicit --audit, whatever rules it used
    allow_failed_gate: bool = False  # train even though the gate failed (recorded in run.json)
    resume: bool = False  # continue from RUN/checkpoint
    load_kwargs: dict = field(default_factory=dict)  # format/field overrides for load_dataset
    progress: object = None  # a curate.progress.Progress told the phases of an audit the gate runs (None: silent)
    # learning curve (train/curve.py): train on a nested random `fraction` of the training records
    fraction: float = 1.0  # share of the training records used (1.0: all)
    subset_seed: int = 0  # seed of the subset's order (nested across fractions for one seed)
    holdout_seed: int | None = None  # seed of the --val-fraction holdout (None: cfg.seed); fixed across a curve
    score_val: bool = False  # score every validation record with the best weights (summary["val_records"])


_INVALID = {"training": "invalid.jsonl", "validation": "val_invalid.jsonl"}  # --skip-invalid quarantines in RUN/


def _mix_spec(spec: str):
    """'FILE:RATIO' -> (file, ratio, its dataset), refused with the fix when either part is wrong."""
    from curate.load import load_dataset

    path, _, ratio = spec.rpartition(":")
    try:
        r = float(ratio)
    except ValueError:
        r = None
    if not path or r is None or not 0 < r < float("inf"):
        raise CurateError(f"--mix {spec}: expected FILE:RATIO with a RATIO > 0", fix="write --mix general.jsonl:0.1")
    return path, r, load_dataset(path)


def run_training(cfg: TrainConfig, inp: Inputs, log=print) -> dict:
    from curate import __version__
    from curate.load import load_dataset
    from train import data as D
    from train.gate import check_gate
    from train.loop import pick_device, train
    from train.model import apply_method, default_head, default_model, load_base
    from train.report import check_trackers, open_trackers, write_report

    t0 = time.perf_counter()
    out = Path(inp.out)
    main_proc = os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 writes the run directory
    check_trackers(cfg.log_to)
    if (out / "run.json").exists() and not inp.resume:
        raise CurateError(f"{out} already holds a training run", fix="pass --resume to continue it, or another --out")

    # -- task and settings: every refusal here comes before the audit, which can take minutes ----
    ds = load_dataset(inp.data, **inp.load_kwargs)
    log(f"{ds.name}: {ds.mapping.explain()}")  # a missing label column turns classification data into text
    task = cfg.task or ("classification" if ds.format == "classification" else "sft")
    if task == "classification" and ds.format != "classification":
        raise DataError(inp.data, None, f"task 'classification' needs text + label records; this file is {ds.format}",
                        fix="pass --text-field and --label-field, or --task sft")
    if task == "sft" and ds.format == "classification":
        raise DataError(inp.data, None, "task 'sft' needs prompt/response, chat or text records; this file is "
                        "classification data", fix="drop --task sft")
    if not cfg.lr:
        cfg = replace(cfg, lr=DEFAULT_LR[(task, cfg.method)])
    # the default SFT model is converted from its GGUF on first use (tens of seconds): only after the gate
    base = cfg.model or (default_model(task) if task == "classification" else "")
    if task == "classification":  # resolve the head's defaults so run.json records what was trained
        asked, head = cfg.head, cfg.head or default_head(base)
        cfg = replace(cfg, head=head, head_lr=cfg.head_lr or max(cfg.lr, 1e-3),
                      head_init=cfg.head_init or ("prototype" if head == "cosine" else "random"))
        problems = cfg.problems()
        if problems:
            model = cfg.model or "the default all-MiniLM-L6-v2"
            why = "" if asked else f"; {model} gets a {head} head unless --head says otherwise"
            raise CurateError(f"train config: {problems[0]}{why}",
                              fix="pair --head linear with --head-init probe, or --head cosine with prototype")
    elif cfg.head or cfg.head_init:
        raise CurateError("--head and --head-init are for classification", fix="drop them for sft")
    elif cfg.loss != "ce":
        raise CurateError(f"--loss {cfg.loss} is for classification",
                          fix="drop it for sft (its loss is over answer tokens, not classes)")

    # the validation and replay files are read now too: a bad one is refused before the audit
    val_ds = load_dataset(inp.val, **inp.load_kwargs) if inp.val else None
    extras = [(spec, *_mix_spec(spec)) for spec in cfg.mix]
    for what, d in (("training", ds), ("validation", val_ds)):
        if d is not None and d.invalid:
            log(f"{len(d.invalid)} invalid {what} record(s) skipped (--skip-invalid); with reasons in "
                f"{out / _INVALID[what]} once training starts")

    # -- gate ------------------------------------------------------------------------------------
    rules = inp.rules if inp.audit else (inp.rules or RULES_FOR_TASK[task])  # an explicit audit is taken as it is
    gate = check_gate(ds, audit=inp.audit, rules=rules, allow_failed=inp.allow_failed_gate, log=log,
                      progress=inp.progress)
    if gate.passed is False and not inp.allow_failed_gate:
        raise GateFailed(gate.audit_path, gate.failed_rules)
    base = base or default_model(task)
    if main_proc:
        from curate.load import write_invalid

        for what, d in (("training", ds), ("validation", val_ds)):
            if d is not None and d.invalid:
                write_invalid(d, out / _INVALID[what])

    # -- data ------------------------------------------------------------------------------------
    holdout_seed = cfg.seed if inp.holdout_seed is None else inp.holdout_seed
    train_recs, val_recs = (ds.records, val_ds.records) if val_ds else D.holdout(ds.records, cfg.val_fraction, holdout_seed)
    if inp.fraction < 1:
        from train.curve import nested_subset

        full = len(train_recs)
        train_recs = nested_subset(train_recs, inp.fraction, inp.subset_seed, stratify=task == "classification")
        log(f"learning curve: {len(train_recs)} of {full} training records (fraction {inp.fraction:g}, "
            f"subset seed {inp.subset_seed})")
    mixed = []
    for spec, path, r, extra in extras:
        train_recs = D.mix_in(train_recs, extra.records, r, cfg.seed)
        mixed.append({"path": path, "ratio": r, "fingerprint": extra.fingerprint})
    labels = sorted({r["label"] for r in train_recs}) if task == "classification" else []

    # -- model -----------------------------------------------------------------------------------
    on_gpu = pick_device().type == "cuda"
    # LoRA on a GPU keeps the frozen base in bf16 (half the memory); trainable weights stay fp32.
    dtype = torch.bfloat16 if (on_gpu and cfg.bf16 and cfg.method == "lora") else torch.float32

    def base_model():
        return load_base(base, task, labels, dtype=dtype, trust_remote_code=cfg.trust_remote_code,
                         head=cfg.head or "linear", head_scale=cfg.head_scale)

    def prepare(net, tok, head_examples, val_examples=None, init_head=True):
        """Initialise the head from `head_examples` (cfg.head_init), then apply the method (LoRA, ...)."""
        fitted = {}
        if init_head and cfg.head_init in ("probe", "prototype"):
            from train.probe import fit_head, fit_prototypes

            fit = fit_head if cfg.head_init == "probe" else fit_prototypes
            fitted = fit(net, head_examples, tok.pad_token_id, val_examples=val_examples, log=log)
        return apply_method(net, task, cfg), fitted

    net, tok = base_model()
    if task == "classification":
        l2i = {lab: i for i, lab in enumerate(labels)}
        train_ex = D.encode_classification(train_recs, tok, l2i, cfg.max_length, inp.data)
        val_ex = D.encode_classification(val_recs, tok, l2i, cfg.max_length, inp.val or "--val-fraction holdout")
    else:
        train_ex = D.encode_sft(train_recs, tok, cfg.max_length, inp.data)
        val_ex = D.encode_sft(val_recs, tok, cfg.max_length, inp.val or "--val-fraction holdout")
    resuming = inp.resume and (out / "checkpoint").exists()
    net, probe = prepare(net, tok, train_ex, val_ex, init_head=not resuming)
    if resuming and (out / "run.json").exists():  # keep the head initialisation's accuracies in run.json
        probe = {k: v for k, v in RunManifest.load(out).config.items() if k.startswith(("probe_", "prototype_"))}
    n_train = sum(p.numel() for p in net.parameters() if p.requires_grad)
    log(f"{task}: {len(train_ex)} train / {len(val_ex)} val examples, method {cfg.method}, "
        f"{n_train:,} trainable parameters")

    manifest = RunManifest(task=task, base_model=base,
                           method=cfg.method, data_path=str(inp.data), data_fingerprint=ds.fingerprint,
                           val_path=inp.val, val_fingerprint=val_ds.fingerprint if val_ds else None,
                           audit_path=gate.audit_path, gate_passed=gate.passed,
                           allow_failed_gate=inp.allow_failed_gate, labels=labels,
                           config=cfg.to_dict() | probe | {"mix_sources": mixed, "load_kwargs": inp.load_kwargs,
                                                   "failed_rules_overridden":
                                                   gate.failed_rules if inp.allow_failed_gate else []},
                           curate_version=__version__)
    if main_proc:
        manifest.save(out)

    # -- loop ------------------------------------------------------------------------------------
    trackers = open_trackers(cfg.log_to, out, cfg.to_dict()) if main_proc else None
    summary = train(cfg, net, tok.pad_token_id, task, train_ex, val_ex, out, resume=inp.resume, log=log,
                    on_metrics=trackers)

    summary["train_examples"] = len(train_ex)
    if inp.score_val:  # the learning curve's per-record results, from the best weights the loop left in `net`
        from train.curve import score_records

        summary["val_records"] = score_records(net, val_ex, task, tok.pad_token_id,
                                                batch_size=cfg.batch_size * 2 if task == "classification" else 8)
        summary["val_ids"] = [e["id"] for e in val_ex]
        summary["labels"] = labels

    # -- refit on train + validation, to the step validation picked ------------------------------
    manifest.best_step, manifest.best_val_loss = summary["best_step"], summary["best_val_loss"]
    if cfg.refit and summary["best_step"]:
        # The same schedule stretched to the larger data, stopped at the same point of it. The
        # validation numbers it logs are on data it trained on: only the selection run's count.
        scale = (len(train_ex) + len(val_ex)) / len(train_ex)
        stop = round(summary["best_step"] * scale)
        log(f"refit: training again from the base on {len(train_ex)} + {len(val_ex)} train + validation "
            f"examples for {stop} steps (best step {summary['best_step']} x {scale:.3f})")
        del net
        net, tok = base_model()
        net, _ = prepare(net, tok, train_ex + val_ex, init_head=not (inp.resume and (out / "refit" / "checkpoint").exists()))
        refit_cfg = replace(cfg, max_steps=round(summary["total_steps"] * scale), patience=0, eval_every=stop)
        done = train(refit_cfg, net, tok.pad_token_id, task, train_ex + val_ex, val_ex, out / "refit",
                     resume=inp.resume, log=log, stop_at=stop)
        if main_proc:  # the refit weights become RUN/adapter; the validation-picked ones move to RUN/selected
            import shutil

            if not (out / "selected").exists():
                (out / "adapter").rename(out / "selected")
            shutil.rmtree(out / "adapter", ignore_errors=True)
            shutil.copytree(out / "refit" / "adapter", out / "adapter")
        manifest.config["refit_result"] = {"examples": len(train_ex) + len(val_ex), "steps": done["steps"],
                                           "of_schedule": refit_cfg.max_steps, "selected_adapter": "selected"}
        summary["refit_steps"] = done["steps"]
    elif cfg.refit:
        log("refit skipped: the best validation step was the base model (step 0)")

    # -- outputs ---------------------------------------------------------------------------------
    summary["seconds"] = time.perf_counter() - t0
    summary["trainable_parameters"] = n_train
    if not main_proc:
        return summary
    manifest.save(out)
    if cfg.merge and cfg.method == "lora":
        merged = net.merge_and_unload()
        merged.save_pretrained(out / "merged")
        tok.save_pretrained(out / "merged")
    write_report(out, manifest, summary, {"train/val examples": f"{len(train_ex)} / {len(val_ex)}"})
    return summary
