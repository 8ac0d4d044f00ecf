"""The run report (report.md + loss.svg from metrics.jsonl) and optional experiment trackers."""

from __future__ import annotations

from pathlib import Path

from train.overfit import read_metrics


def loss_svg(rows: list[dict]) -> str:
    """Train and validation loss against step (the same chart `curate eval` shows), or "" if none."""
    from train.eval_report import curves_svg
    from train.overfit import curves

    c = curves(rows)
    return curves_svg(c) + "\n" if c.get("train_loss") or c.get("val_loss") else ""


def write_report(run_dir, manifest, summary: dict, extra: dict | None = None) -> Path:
    run_dir = Path(run_dir)
    rows = read_metrics(run_dir / "metrics.jsonl")
    svg = loss_svg(rows)
    if svg:
        (run_dir / "loss.svg").write_text(svg)
    gate = ("PASSED" if manifest.gate_passed else "FAILED (overridden with --allow-failed-gate)"
            if manifest.gate_passed is False else "NO AUDIT (overridden with --allow-failed-gate)")
    lines = [f"# curate train: {Path(manifest.data_path).name}", "",
             f"- task: {manifest.task}, method: {manifest.method}, base model: `{manifest.base_model}`",
             f"- data fingerprint: `{manifest.data_fingerprint}`; gate: {gate} ({manifest.audit_path})",
             f"- steps: {summary['steps']} of {summary['total_steps']}"
             + (" (stopped early)" if summary["stopped_early"] else ""),
             f"- best step: {summary['best_step']}, {summary['metric']} {summary['best_metric']}, "
             f"val loss {summary['best_val_loss']}", f"- device: {summary['device']}, bf16: {summary['bf16']}, "
             f"processes: {summary['world_size']}, wall time: {summary.get('seconds', 0):.0f} s"]
    refit = manifest.config.get("refit_result")
    if refit:
        lines.append(f"- refit: `adapter/` was trained again on {refit['examples']} train + validation examples for "
                     f"{refit['steps']} of {refit['of_schedule']} steps; the weights validation picked are in "
                     f"`{refit['selected_adapter']}/`")
    for k, v in (extra or {}).items():
        lines.append(f"- {k}: {v}")
    if svg:
        lines += ["", "![loss curves](loss.svg)"]
    evals = [r for r in rows if "val_loss" in r]
    if evals:
        lines += ["", "| step | train loss | val loss | val accuracy |", "|---:|---:|---:|---:|"]
        for r in evals:
            lines.append(f"| {r['step']} | {r.get('train_loss', float('nan')):.4f} | {r['val_loss']:.4f} | "
                         + (f"{r['val_accuracy']:.4f}" if "val_accuracy" in r else "") + " |")
    p = run_dir / "report.md"
    p.write_text("\n".join(lines) + "\n")
    return p


TRACKER_MODULES = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


def check_trackers(names: list[str]) -> None:
    """Fail before any work when a requested tracker's package is missing."""
    import importlib.util

    from curate.errors import CurateError

    missing = [n for n in names if importlib.util.find_spec(TRACKER_MODULES[n]) is None]
    if missing:
        raise CurateError(f"--log-to {', '.join(missing)}: not installed",
                          fix=f"pip install {' '.join(missing)}, or drop --log-to {missing[0]}")


def open_trackers(names: list[str], run_dir, config: dict):
    """A function that sends each metrics row to the trackers the user asked for; each must be installed."""
    from curate.errors import CurateError

    sinks = []
    for name in names:
        try:
            if name == "tensorboard":
                from torch.utils.tensorboard import SummaryWriter

                w = SummaryWriter(str(Path(run_dir) / "tensorboard"))
                sinks.append(lambda row, w=w: [w.add_scalar(k, v, row["step"]) for k, v in row.items() if k != "step"])
            elif name == "wandb":
                import wandb

                wandb.init(project="curate", dir=str(run_dir), config=config)
                sinks.append(lambda row: wandb.log(row, step=row["step"]))
            elif name == "mlflow":
                import mlflow

                mlflow.start_run()
                mlflow.log_params({k: str(v) for k, v in config.items()})
                sinks.append(lambda row: mlflow.log_metrics({k: v for k, v in row.items() if k != "step"},
                                                            step=row["step"]))
        except ImportError:
            raise CurateError(f"--log-to {name}: the {name} package is not installed",
                              fix=f"pip install {name}, or drop --log-to {name}") from None
    return (lambda row: [s(row) for s in sinks]) if sinks else None
