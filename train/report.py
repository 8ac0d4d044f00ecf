"""The run report (report.md + loss.svg from metrics.jsonl) and optional experiment trackers."""

from __future__ import annotations

import json
from pathlib import Path


def read_metrics(run_dir) -> list[dict]:
    p = Path(run_dir) / "metrics.jsonl"
    return [json.loads(ln) for ln in p.read_text().splitlines() if ln.strip()] if p.exists() else []


def loss_svg(rows: list[dict], width: int = 560, height: int = 240) -> str:
    """Train and validation loss against step, as a dependency-free SVG."""
    series = {k: [(r["step"], r[k]) for r in rows if r.get(k) is not None] for k in ("train_loss", "val_loss")}
    pts = [p for s in series.values() for p in s]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    pad = 36

    def xy(x, y):
        sx = pad + (x - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad)
        sy = height - pad - (y - y0) / max(y1 - y0, 1e-9) * (height - 2 * pad)
        return f"{sx:.1f},{sy:.1f}"

    colours = {"train_loss": "#1f77b4", "val_loss": "#d62728"}
    lines = [f'<polyline fill="none" stroke="{colours[k]}" stroke-width="2" points="{" ".join(xy(*p) for p in s)}"/>'
             for k, s in series.items() if s]
    labels = [f'<text x="{pad}" y="14" font-size="12">loss {y0:.3f} .. {y1:.3f}, steps {x0} .. {x1}: '
              f'<tspan fill="#1f77b4">train</tspan> / <tspan fill="#d62728">validation</tspan></text>']
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<rect width="100%" height="100%" fill="white"/>{"".join(labels + lines)}</svg>\n')


def write_report(run_dir, manifest, summary: dict, extra: dict | None = None) -> Path:
    run_dir = Path(run_dir)
    rows = read_metrics(run_dir)
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
