"""`curate train DATA --out RUN --data-fractions 0.1,0.25,0.5,1.0 [--curve-seeds 3]`: a learning curve.

The same recipe (every flag of `curate train`) runs once per fraction and seed on nested random
subsets of the training records: for one seed, each smaller subset lies inside the larger one, and
classification subsets keep every label's share (at least one record per label, so every size
trains the same head). The gate (the audit of the whole file) and the validation records are the
same for every size: the holdout is drawn with the base --seed, only the subset and the training
seed change with the curve seed. Every run's best weights score the validation records one by
one, which gives the bootstrap intervals and the fit (train/curve_fit.py).

RUN/
  sizes/s{seed}-f{fraction}/   one ordinary training run per size (adapter/, run.json, report.md,
                               point.json: its per-record validation results)
  curve.json                   sizes, metric per size with intervals, the fit, the doubling estimate
  curve.svg, report.md         the plot (log x axis) and the report with the plain sentence
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from curate.errors import CurateError


def parse_fractions(text: str) -> list[float]:
    """'0.1,0.25,0.5,1.0' -> [0.1, 0.25, 0.5, 1.0]; every problem with the list reported at once."""
    fix = "e.g. --data-fractions 0.1,0.25,0.5,1.0 (each above 0 and at most 1, ascending, no repeats)"
    parts = [p.strip() for p in str(text).split(",")]
    try:
        fr = [float(p) for p in parts]
    except ValueError:
        bad = [p for p in parts if not _is_number(p)]
        raise CurateError(f"--data-fractions {text!r}: {', '.join(repr(b) for b in bad)} is not a number",
                          fix=fix) from None
    problems = []
    out = [f for f in fr if not 0 < f <= 1]  # also catches nan
    if out:
        problems.append(f"{', '.join(f'{f:g}' for f in out)} outside 0 < f <= 1")
    if len(set(fr)) < len(fr):
        problems.append(f"repeated {', '.join(sorted({f'{f:g}' for f in fr if fr.count(f) > 1}))}")
    elif fr != sorted(fr):
        problems.append("not in ascending order")
    if len(fr) < 2:
        problems.append("a curve needs at least two sizes")
    if problems:
        raise CurateError(f"--data-fractions {text!r}: " + "; ".join(problems), fix=fix)
    return fr


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def nested_subset(records: list[dict], fraction: float, seed: int, *, stratify: bool) -> list[dict]:
    """The first `fraction` of one seeded order of the records, so a smaller fraction's subset is a
    prefix of (inside) a larger one's. Stratified: per label, round(fraction x its count), at least one."""
    if fraction >= 1:
        return list(records)
    groups: dict = {}
    for i, r in enumerate(records):
        groups.setdefault(r["label"] if stratify else None, []).append(i)
    rng = random.Random(seed)
    keep = []
    for key in sorted(groups, key=str):
        idx = groups[key][:]
        rng.shuffle(idx)
        keep += idx[:max(1, round(fraction * len(idx)))]
    return [records[i] for i in sorted(keep)]


@torch.no_grad()
def score_records(net, val_ex: list[dict], task: str, pad_id: int, batch_size: int = 16) -> dict:
    """Per-record validation results of the model as it is: classification {y_true, y_pred} (class
    indices), sft {nll, tokens} (summed answer-token loss and its token count), in val_ex order."""
    import contextlib

    from train.data import IGNORE, collate

    device = next(net.parameters()).device
    bf16 = device.type == "cuda" and any(p.dtype == torch.bfloat16 for p in net.parameters())
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    was_training = net.training
    net.eval()
    out = {"y_true": [], "y_pred": []} if task == "classification" else {"nll": [], "tokens": []}
    with ctx:
        for s in range(0, len(val_ex), batch_size):
            idx = list(range(s, min(s + batch_size, len(val_ex))))
            b = {k: v.to(device) for k, v in collate(val_ex, idx, packed=False, pad_id=pad_id).items()}
            if task == "classification":
                logits = net(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
                out["y_true"] += b["labels"].tolist()
                out["y_pred"] += logits.argmax(-1).tolist()
                continue
            keep = b["targets"] != IGNORE
            logits = net(input_ids=b["input_ids"], attention_mask=b["attention_mask"], logits_to_keep=keep,
                         use_cache=False).logits.float()
            logits = logits.reshape(-1, logits.shape[-1])
            loss = torch.nn.functional.cross_entropy(logits, b["targets"][keep], reduction="none")
            row = keep.nonzero()[:, 0]
            for r in range(len(idx)):
                out["nll"].append(float(loss[row == r].sum()))
                out["tokens"].append(int((row == r).sum()))
    net.train(was_training)
    return out


def run_curve(cfg, inp, fractions: list[float], seeds: int = 1, log=print) -> dict:
    """Train once per (seed, fraction), then summarise, plot and report the curve."""
    from train.curve_fit import curve_svg, summarise
    from train.recipe import run_training
    from train.run import RunManifest

    out = Path(inp.out)
    if (out / "curve.json").exists() and not inp.resume:
        raise CurateError(f"{out} already holds a learning curve", fix="pass --resume to reuse its sizes, or another --out")
    if seeds < 1:
        raise CurateError(f"--curve-seeds {seeds}: need at least one seed", fix="e.g. --curve-seeds 3")
    audit, points = inp.audit, {}
    for s in range(seeds):
        for f in fractions:
            sub = out / "sizes" / f"s{s}-f{f:g}"
            done = sub / "point.json"
            if inp.resume and done.exists():
                points[s, f] = json.loads(done.read_text())
                continue
            log(f"learning curve: seed {s + 1}/{seeds}, fraction {f:g} of the training records")
            summary = run_training(replace(cfg, seed=cfg.seed + s),
                                   replace(inp, out=str(sub), audit=audit, resume=inp.resume and (sub / "run.json").exists(),
                                           fraction=f, subset_seed=cfg.seed + s, holdout_seed=cfg.seed,
                                           score_val=True), log=log)
            # every later size gates on the audit the first one found or ran: one gate for the curve
            audit = audit or RunManifest.load(sub).audit_path
            point = {"seed": s, "fraction": f, "n_train": summary["train_examples"],
                     "n_val": len(summary["val_ids"]), "val_ids": summary["val_ids"], "labels": summary["labels"],
                     "steps": summary["steps"], "best_step": summary["best_step"],
                     "seconds": round(summary["seconds"], 1), "records": summary["val_records"]}
            done.write_text(json.dumps(point) + "\n")
            shutil.rmtree(sub / "checkpoint", ignore_errors=True)  # point.json is what a resume needs now
            points[s, f] = point
    first = points[0, fractions[0]]
    for p in points.values():  # the curve only means something on one validation set and one label space
        if p["val_ids"] != first["val_ids"] or p["labels"] != first["labels"]:
            raise CurateError(f"{out}/sizes: seed {p['seed']} fraction {p['fraction']:g} was validated on other "
                              "records or labels than the rest", fix="start the curve again in a new --out")
    task = "classification" if "y_true" in first["records"] else "sft"
    metrics = ["accuracy", "macro_f1"] if task == "classification" else ["val_loss"]
    sizes = [points[0, f]["n_train"] for f in fractions]
    c = summarise(sizes, [[points[s, f]["records"] for s in range(seeds)] for f in fractions], metrics,
                  seed=cfg.seed)
    c = {"task": task, "fractions": fractions, "runs": [{k: v for k, v in p.items() if k not in ("records", "val_ids")}
                                                        for p in points.values()], **c}
    (out / "curve.json").write_text(json.dumps(c, indent=2) + "\n")
    (out / "curve.svg").write_text(curve_svg(c))
    (out / "report.md").write_text(report_md(c, inp))
    return c


def table_lines(c: dict) -> list[str]:
    from train.curve_fit import METRICS

    head = ["fraction", "train records"] + [f"{m} (95% CI)" + (" ± seed sd" if c["seeds"] > 1 else "")
                                            for m in c["metrics"]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for f, p in zip(c["fractions"], c["points"]):
        cells = [f"{f:g}", f"{p['n']:,}"]
        for m in c["metrics"]:
            r, k = p["metrics"][m], (100.0 if METRICS[m][1] else 1.0)
            d = 2 if k > 1 else 4
            cell = f"{r['value'] * k:.{d}f} [{r['ci'][0] * k:.{d}f}, {r['ci'][1] * k:.{d}f}]"
            if r["seed_sd"] is not None:
                cell += f" ± {r['seed_sd'] * k:.{d}f}"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report_md(c: dict, inp) -> str:
    fit = c["fit"]
    params = ", ".join(f"{k} = {v:.4g}" for k, v in zip(("a", "b", "c") if fit["kind"] == "power" else ("alpha", "beta"),
                                                        fit["params"]))
    scale = f" (n in units of {fit['scale']:,.0f} records)" if fit["kind"] == "power" else ""
    return "\n".join([
        f"# learning curve: {Path(inp.data).name}", "",
        f"- {c['task']}: the same recipe on nested random subsets"
        + (" (stratified by label)" if c["task"] == "classification" else "")
        + f", {c['seeds']} seed(s); every size validated on the same {c['validation_records']:,} records"
        f" and gated by the same audit; one training run per size in `sizes/`",
        f"- intervals: 95% percentile bootstrap over validation records"
        + (" and seeds" if c["seeds"] > 1 else ""),
        f"- fit of {c['metric']}: {fit['formula']}: {params}{scale}", "",
        f"**{c['sentence'][0].upper() + c['sentence'][1:]}.**", "",
        "![learning curve](curve.svg)", "", *table_lines(c), ""])
