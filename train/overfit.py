"""Overfitting from a run's metrics.jsonl: the loss curves, the train/validation gap, and warnings.

Two patterns are reported, because each has a cause a user can act on:
- validation loss rose for `rising_evals` evaluations in a row while training loss fell: the model
  is memorising the training set (fewer epochs, more data, more dropout, or trust early stopping);
- training accuracy is near perfect while validation accuracy lags far behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from curate.errors import DataError


@dataclass
class OverfitConfig:
    rising_evals: int = 3  # consecutive validations with higher loss (while train loss fell) that warn
    near_perfect: float = 0.99  # training accuracy counted as memorised
    max_acc_gap: float = 0.10  # train - val accuracy above this (with near-perfect train) warns


def read_metrics(path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataError(path, f"line {n}", f"not JSON ({e.msg})",
                            fix="metrics.jsonl is written by `curate train`; delete the broken line") from None
    return rows


def curves(rows: list[dict]) -> dict[str, list[tuple[float, float]]]:
    """(step, value) series for every metric logged: train_loss, val_loss, val_accuracy, train_accuracy."""
    out: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        for key in ("train_loss", "val_loss", "val_accuracy", "train_accuracy"):
            if r.get(key) is not None and r.get("step") is not None:
                out.setdefault(key, []).append((float(r["step"]), float(r[key])))
    return out


def _train_loss_at(train: list[tuple[float, float]], step: float) -> float | None:
    """Mean of the train losses logged in the window ending at `step` (up to 3 points): one log line is noisy."""
    before = [v for s, v in train if s <= step]
    return sum(before[-3:]) / len(before[-3:]) if before else None


def analyse(rows: list[dict], cfg: OverfitConfig = OverfitConfig()) -> dict:
    c = curves(rows)
    train, val = c.get("train_loss", []), c.get("val_loss", [])
    out: dict = {"curves": {k: [list(p) for p in v] for k, v in c.items()}, "warnings": [], "gap": None}
    if not val:
        out["note"] = "no validation losses logged: overfitting cannot be judged"
        return out
    best_step, best_val = min(val, key=lambda p: p[1])
    last_step, last_val = val[-1]
    last_train = _train_loss_at(train, last_step)
    out.update(best_step=best_step, best_val_loss=best_val, last_step=last_step, last_val_loss=last_val,
               last_train_loss=last_train)
    if last_train is not None:
        out["gap"] = last_val - last_train  # validation minus training loss at the last evaluation

    # longest run of consecutive validation-loss increases, and what training loss did meanwhile
    run_start, best_run = 0, (0, 0)
    for i in range(1, len(val)):
        if val[i][1] <= val[i - 1][1]:
            run_start = i
        elif i - run_start > best_run[1] - best_run[0]:
            best_run = (run_start, i)
    rises = best_run[1] - best_run[0]
    if rises >= cfg.rising_evals:
        s0, s1 = val[best_run[0]][0], val[best_run[1]][0]
        t0, t1 = _train_loss_at(train, s0), _train_loss_at(train, s1)
        if t0 is not None and t1 is not None and t1 < t0:
            out["warnings"].append(
                f"overfitting: validation loss rose for {rises} evaluations in a row (step {s0:g}: "
                f"{val[best_run[0]][1]:.4f} -> step {s1:g}: {val[best_run[1]][1]:.4f}) while training loss fell "
                f"({t0:.4f} -> {t1:.4f}); the best validation loss was at step {best_step:g}. Train for fewer steps, "
                "add data or regularisation, or keep early stopping on.")

    tr_acc, va_acc = c.get("train_accuracy", []), c.get("val_accuracy", [])
    if tr_acc and va_acc:
        ta, vacc = tr_acc[-1][1], va_acc[-1][1]
        out.update(last_train_accuracy=ta, last_val_accuracy=vacc)
        if ta >= cfg.near_perfect and ta - vacc > cfg.max_acc_gap:
            out["warnings"].append(
                f"overfitting: training accuracy {ta:.1%} is near perfect while validation accuracy is {vacc:.1%} "
                f"({ta - vacc:.1%} behind); the model memorises the training set.")
    return out
