"""`curate train DATA --out RUN --sweep sweep.yaml`: a small grid or random search, picked by the
validation metric (never by a test set). Each trial is a full run in RUN/trials/NN/; the best one's
adapter, run.json, metrics and report are copied to RUN/, and RUN/sweep.md holds the results table.

sweep.yaml:
    # curate train data.csv --out runs/sweep --sweep sweep.yaml
    search: grid          # grid | random
    trials: 6             # random search only
    seed: 0               # random search only
    params:               # TrainConfig fields -> values to try
      lr: [1.0e-4, 3.0e-4]
      method: [lora, full]
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
from dataclasses import fields, replace
from pathlib import Path

from curate.errors import ConfigError, CurateError, did_you_mean
from train.config import TrainConfig


def load_sweep(path) -> tuple[list[dict], dict]:
    """The trials (one dict of overrides each) and the sweep settings; every problem reported at once."""
    from curate.yamlfile import read_yaml

    doc = read_yaml(path, what="--sweep") or {}
    if not isinstance(doc, dict):
        raise CurateError(f"{path}: a sweep file must be a mapping (search, params, trials, seed), "
                          f"not a {type(doc).__name__}", fix="see the example in `curate train --help`")
    problems = [f"unknown key '{k}'{did_you_mean(k, ['search', 'trials', 'seed', 'params'])}"
                for k in doc if k not in ("search", "trials", "seed", "params")]
    search, params = doc.get("search", "grid"), doc.get("params") or {}
    if search not in ("grid", "random"):
        problems.append(f"search '{search}' is not grid or random")
    types = {f.name: type(f.default) for f in fields(TrainConfig) if not callable(f.default_factory)}
    space = {}
    for name, values in params.items():
        if name not in types:
            problems.append(f"params.{name}: not a training setting{did_you_mean(name, types)}")
        elif not isinstance(values, list) or not values:
            problems.append(f"params.{name}: give a non-empty list of values to try")
        else:
            try:  # PyYAML reads 1e-4 as a string: coerce to the field's type
                space[name] = [types[name](v) if types[name] in (int, float) else v for v in values]
            except ValueError as e:
                problems.append(f"params.{name}: {e}")
    if not params:
        problems.append("params: nothing to search (give at least one setting with a list of values)")
    if problems:
        raise ConfigError(path, problems)
    grid = [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    if search == "random":
        rng = random.Random(int(doc.get("seed", 0)))
        grid = rng.sample(grid, min(int(doc.get("trials", 6)), len(grid)))
    return grid, {"search": search, "space": space}


def pick_best(results: list[dict], metric: str) -> dict:
    """The trial with the best validation metric; equal accuracies (a tie on 1,000 records is common)
    go to the lower validation loss, then to the earlier trial."""
    if metric == "val_accuracy":
        return max(results, key=lambda r: (r["best"], -(r["val_loss"] if r["val_loss"] is not None else float("inf"))))
    return min(results, key=lambda r: r["best"])


def run_sweep(base: TrainConfig, inp, path, log=print) -> dict:
    from train.recipe import run_training

    trials, settings = load_sweep(path)
    for t in trials:  # validate every trial's config before training any
        TrainConfig.from_dict(base.to_dict() | t, where=f"{path} trial {t}")
    out = Path(inp.out)
    results = []
    for k, overrides in enumerate(trials):
        log(f"sweep trial {k + 1}/{len(trials)}: {overrides}")
        trial_out = out / "trials" / f"{k:02d}"
        resume = inp.resume and (trial_out / "run.json").exists()
        summary = run_training(replace(base, **overrides), replace(inp, out=str(trial_out), resume=resume), log=log)
        results.append({"trial": k, **overrides, "metric": summary["metric"], "best": summary["best_metric"],
                        "best_step": summary["best_step"], "val_loss": summary["best_val_loss"],
                        "seconds": round(summary["seconds"], 1)})
    metric = results[0]["metric"]
    best = pick_best(results, metric)
    src = out / "trials" / f"{best['trial']:02d}"
    if (out / "adapter").exists():
        shutil.rmtree(out / "adapter")
    shutil.copytree(src / "adapter", out / "adapter")
    for name in ("run.json", "metrics.jsonl", "report.md", "loss.svg"):
        if (src / name).exists():
            shutil.copy2(src / name, out / name)
    (out / "sweep.json").write_text(json.dumps({**settings, "metric": metric, "results": results,
                                                "best_trial": best["trial"]}, indent=2, default=str) + "\n")
    cols = ["trial", *settings["space"], "best", "best_step", "val_loss", "seconds"]
    table = ["| " + " | ".join(c if c != "best" else metric for c in cols) + " |", "|" + "---|" * len(cols)]
    table += ["| " + " | ".join(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |"
              + (" **best**" if r is best else "") for r in results]
    (out / "sweep.md").write_text(f"# sweep ({settings['search']}, picked by {metric})\n\n" + "\n".join(table) + "\n")
    log("\n".join(table))
    return {"metric": metric, "best_metric": best["best"], "best_step": best["best_step"], "sweep": results}
