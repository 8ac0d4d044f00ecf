"""`curate train DATA --out RUN`: gated LoRA / bias-only / full fine-tuning (classification or SFT).

The data must have passed `curate audit` (found by fingerprint in ./curate-out/*/audit.json or
--audit; run with default rules when missing). A failed gate exits 1 listing the failed rules.
Multi-GPU: torchrun --standalone --nproc_per_node N -m curate train DATA --out RUN
"""

from __future__ import annotations

import os

from curate.cliutil import add_load_args, console, err_console

# flag -> TrainConfig field; flags default to None so a --config YAML value is only overridden when given
FLAGS = {
    "--task": ("task", str, "classification | sft (default: from the data format)"),
    "--model": ("model", str, "hub id or local path (default: MiniLM for classification, Gemma 3 270M for sft)"),
    "--method": ("method", str, "lora (default) | bias | full"),
    "--epochs": ("epochs", float, "passes over the training data (default 3)"),
    "--max-steps": ("max_steps", int, "optimizer steps (overrides --epochs)"),
    "--lr": ("lr", float, "peak learning rate (default: 1e-3 LoRA / 5e-5 full for classification, 2e-4 LoRA for sft)"),
    "--batch-size": ("batch_size", int, "examples per micro-batch (classification, unpacked sft)"),
    "--grad-accum": ("grad_accum", int, "micro-batches per optimizer step"),
    "--lora-r": ("lora_r", int, "LoRA rank (default 16)"),
    "--lora-alpha": ("lora_alpha", int, "LoRA alpha (default 32)"),
    "--lora-dropout": ("lora_dropout", float, "LoRA dropout (default 0.05)"),
    "--target-modules": ("target_modules", str, "'all-linear' (default) or comma-separated module names"),
    "--max-length": ("max_length", int, "tokens per example (default 512)"),
    "--pack-tokens": ("pack_tokens", int, "sft: tokens per packed micro-batch (default 2048)"),
    "--eval-every": ("eval_every", int, "optimizer steps between validations/checkpoints (default 50)"),
    "--log-every": ("log_every", int, "optimizer steps between train-loss lines (default 10)"),
    "--patience": ("patience", int, "validations without improvement before stopping (0: never; default 3)"),
    "--val-fraction": ("val_fraction", float, "seeded holdout when no --val is given (default 0.1)"),
    "--metric": ("metric", str, "val_loss | val_accuracy: what picks the best step"),
    "--seed": ("seed", int, "seed for weights, dropout and data order (default 0)"),
    "--label-smoothing": ("label_smoothing", float, "classification: label smoothing on the training loss (default 0)"),
    "--class-weights": ("class_weights", str, "classification: balanced (default: each class weighted by "
                                               "n / (classes x its count) in the training loss) | none"),
    "--loss": ("loss", str, "classification: ce (default) | focal"),
    "--focal-gamma": ("focal_gamma", float, "focal loss exponent (default 2)"),
    "--head": ("head", str, "classification: linear | cosine (default: cosine for sentence-transformers "
                            "models such as the default MiniLM, else linear)"),
    "--head-scale": ("head_scale", float, "cosine head: logit scale (default 20)"),
    "--head-init": ("head_init", str, "classification: random | probe (logistic regression on frozen features, "
                                      "linear head) | prototype (class means, cosine head; its default)"),
    "--head-lr": ("head_lr", float, "classification: peak lr of the fresh head (default max(lr, 1e-3))"),
    "--warmup-ratio": ("warmup_ratio", float, "fraction of steps warming up (default 0.06)"),
    "--weight-decay": ("weight_decay", float, "AdamW weight decay on matrices (default 0.01)"),
}


def add_parser(sub):
    p = sub.add_parser("train", help="fine-tune on data that passed the audit gate (LoRA by default)",
                       description=__doc__)
    p.add_argument("data", help="training data file")
    p.add_argument("--out", required=True, help="run directory (adapter/, run.json, metrics.jsonl, report.md)")
    p.add_argument("--val", help="validation file (e.g. from `curate split`); default: a --val-fraction holdout")
    p.add_argument("--audit", help="audit.json to gate on (default: found by fingerprint in ./curate-out/)")
    p.add_argument("--rules", default=None,
                   help="rules the audit must have used, and the audit `curate train` runs when it finds none "
                        "(default: the set for the data's task: classification for text + label data, else default; "
                        "with --audit, whatever rules that audit used)")
    p.add_argument("--allow-failed-gate", action="store_true",
                   help="train even though the gate failed or no audit exists (LOUD, recorded in run.json)")
    p.add_argument("--resume", action="store_true", help="continue RUN from its last checkpoint")
    p.add_argument("--config", help="YAML file of TrainConfig fields (flags override it)")
    p.add_argument("--sweep", help="YAML grid/random search; trials go to RUN/trials/, the best is copied to RUN")
    for flag, (_, typ, help_) in FLAGS.items():
        p.add_argument(flag, type=typ, default=None, help=help_)
    p.add_argument("--layers", help="comma-separated layer indices to adapt (default: all)")
    p.add_argument("--no-pack", action="store_true", help="sft: pad batches instead of packing")
    p.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations to save memory")
    p.add_argument("--eval-at-start", action="store_true", help="validate the base model first (logged as step 0)")
    p.add_argument("--mix", action="append", default=None, metavar="FILE:RATIO",
                   help="replay data: add RATIO x len(train) records from FILE (repeatable)")
    p.add_argument("--merge", action="store_true", help="also save the LoRA merged into the base (RUN/merged)")
    p.add_argument("--refit", action="store_true",
                   help="after validation picks the best step, train again on train + validation to that point of "
                        "the schedule (RUN/adapter); the picked weights stay in RUN/selected")
    p.add_argument("--log-to", action="append", default=None, choices=["tensorboard", "wandb", "mlflow"],
                   help="also log metrics to this tracker (repeatable; the package must be installed)")
    p.add_argument("--trust-remote-code", action="store_true", help="allow the model's own Python code to run")
    p.add_argument("--data-fractions", metavar="F1,F2,...",
                   help="learning curve: train the same recipe on nested random subsets of these fractions of the "
                        "training records (e.g. 0.1,0.25,0.5,1.0; stratified by label for classification), all "
                        "validated on the same records; writes RUN/curve.json, curve.svg, report.md")
    p.add_argument("--curve-seeds", type=int, default=1,
                   help="with --data-fractions: subsets and training seeds per size (default 1; 3 gives a spread)")
    add_load_args(p)
    p.set_defaults(run=run)


def config_from_args(args):
    from train.config import TrainConfig

    values = read_config(args.config) if args.config else {}
    for flag, (name, _, _) in FLAGS.items():
        v = getattr(args, flag[2:].replace("-", "_"))
        if v is not None:
            values[name] = v
    if args.layers:
        values["layers"] = parse_layers(args.layers)
    for flag, name in (("no_pack", "pack"), ("gradient_checkpointing", "gradient_checkpointing"),
                       ("merge", "merge"), ("trust_remote_code", "trust_remote_code"),
                       ("eval_at_start", "eval_at_start"), ("refit", "refit")):
        if getattr(args, flag):
            values[name] = flag != "no_pack"
    if args.mix:
        values["mix"] = args.mix
    if args.log_to:
        values["log_to"] = args.log_to
    return TrainConfig.from_dict(values, where=args.config or "command line")


def read_config(path) -> dict:
    """A --config YAML file as a mapping; anything else is a CurateError naming the file and the fix."""
    from curate.errors import CurateError
    from curate.yamlfile import read_yaml

    values = read_yaml(path, what="--config")
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise CurateError(f"{path}: a --config file must be a mapping of TrainConfig fields, "
                          f"not a {type(values).__name__}", fix="write one `field: value` per line, e.g. `epochs: 2`")
    return values


def check_curve_args(args) -> list[float] | None:
    """The --data-fractions list, or None; refused with the fix when it does not fit the other flags."""
    from curate.errors import CurateError

    if args.data_fractions is None:
        if args.curve_seeds != 1:
            raise CurateError("--curve-seeds only applies to a learning curve", fix="add --data-fractions 0.1,0.25,0.5,1.0")
        return None
    from train.curve import parse_fractions

    fractions = parse_fractions(args.data_fractions)
    if args.curve_seeds < 1:
        raise CurateError(f"--curve-seeds {args.curve_seeds}: need at least one seed", fix="e.g. --curve-seeds 3")
    for flag, given in (("--sweep", args.sweep), ("--refit", args.refit)):
        if given:
            raise CurateError(f"--data-fractions and {flag} do not go together: "
                              + ("a curve runs one recipe, not a search" if flag == "--sweep" else
                                 "a refit trains on the validation records every size is scored on"),
                              fix=f"drop {flag} (run the sweep first, then the curve with the best settings)"
                              if flag == "--sweep" else "drop --refit")
    return fractions


def parse_layers(text: str) -> list[int]:
    from curate.errors import CurateError

    try:
        layers = [int(x) for x in text.split(",")]
    except ValueError:
        raise CurateError(f"--layers {text!r}: expected comma-separated layer numbers",
                          fix="e.g. --layers 0,1,2 (layer indices start at 0)") from None
    if any(i < 0 for i in layers):
        raise CurateError(f"--layers {text!r}: layer indices start at 0", fix="e.g. --layers 0,1,2")
    return layers


def run(args) -> int:
    from rich.markup import escape

    from train.recipe import GateFailed, Inputs, run_training

    from curate.cliutil import check_out_dir

    check_out_dir(args.out)
    cfg = config_from_args(args)
    fractions = check_curve_args(args)
    load_kwargs = {k: getattr(args, k) for k in ("format", "text_field", "label_field", "prompt_field",
                                                 "response_field", "messages_field", "id_field", "split",
                                                 "encoding", "skip_invalid")
                   if getattr(args, k) is not None}
    from curate.progress import NullProgress, terminal_progress

    # the audit the gate may run shows its stages; under torchrun only rank 0 draws them
    progress = terminal_progress() if os.environ.get("RANK", "0") == "0" else NullProgress()
    inp = Inputs(data=args.data, out=args.out, val=args.val, audit=args.audit, rules=args.rules,
                 allow_failed_gate=args.allow_failed_gate, resume=args.resume, load_kwargs=load_kwargs,
                 progress=progress)
    say = lambda msg: err_console.print(msg, markup=False, soft_wrap=True)  # noqa: E731
    try:
        if fractions:
            from train.curve import run_curve, table_lines

            curve = run_curve(cfg, inp, fractions, args.curve_seeds, log=say)
        elif args.sweep:
            from train.sweep import run_sweep

            summary = run_sweep(cfg, inp, args.sweep, log=say)
        else:
            summary = run_training(cfg, inp, log=say)
    except GateFailed as e:
        progress.close()
        err_console.print(f"[bold red]gate failed[/bold red] ({escape(str(e.audit_path))}): not training on this data.")
        for line in e.failed_rules:
            err_console.print(f"  - {line}", markup=False)
        err_console.print("  fix: `curate clean` the data and audit again, or pass --allow-failed-gate (recorded)",
                          markup=False)
        return 1
    except BaseException:
        progress.abort()
        raise
    progress.close()
    if os.environ.get("RANK", "0") != "0":  # torchrun: rank 0 speaks for the run
        return 0
    if fractions:
        console.print("\n".join(table_lines(curve)), markup=False, soft_wrap=True)
        console.print(f"{curve['sentence']}.\n  (plot: {args.out}/curve.svg, report: {args.out}/report.md, "
                      f"numbers: {args.out}/curve.json)", markup=False, soft_wrap=True)
        return 0
    if summary.get("refit_steps"):
        console.print(f"best step {summary['best_step']}: {summary['metric']} {summary['best_metric']:.4f} "
                      f"-> {args.out}/selected; refit on train + validation ({summary['refit_steps']} steps) "
                      f"-> {args.out}/adapter  (report: {args.out}/report.md)", markup=False)
    else:
        console.print(f"best step {summary['best_step']}: {summary['metric']} {summary['best_metric']:.4f} "
                      f"-> {args.out}/adapter  (report: {args.out}/report.md)", markup=False)
    return 0
