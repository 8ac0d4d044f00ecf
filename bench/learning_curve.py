"""The learning curve on Banking77, and how well its first three points predict the full set.

Part A (default, minutes): the frozen-embedding baseline (all-MiniLM-L6-v2 ONNX embeddings +
logistic regression, C=10) on nested stratified subsets of train.csv (train/curve.py's
`nested_subset`, one order per seed) at fractions 0.1, 0.25, 0.5, 1.0 over --seeds seeds, every
size scored on all of test.csv (3,080 records). The same statistics as `curate train
--data-fractions` (train/curve_fit.py): accuracy and macro-F1 with 95% bootstrap intervals over
test records and seeds, the curve fitted on all four sizes with what doubling adds, and the curve
fitted on the first three sizes only, with its prediction for the full set next to the measured value.

Part B (--finetune RUN, hours on a shared CPU): summarise a `curate train --data-fractions` run of
the default model (see BENCHMARKS.md for the command) the same way: the fit on its first three sizes
vs its largest.

Run: .venv/bin/python bench/learning_curve.py [--seeds 3] [--out /tmp/lc]    (needs ../shared/data/banking77/)
     .venv/bin/python bench/learning_curve.py --finetune RUN
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "banking77"
FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def report(c: dict, held: dict, title: str, held_ll: dict | None = None) -> None:
    from train.curve import table_lines

    print(f"\n## {title}\n")
    print("\n".join(table_lines(c)))
    print(f"\nfit on all {len(c['points'])} sizes: {c['fit']['formula']}, params {[round(v, 4) for v in c['fit']['params']]}")
    print(f"{c['sentence']}.")
    for h3 in [held] + ([held_ll] if held_ll else []):
        print(f"\nfit on the first {len(h3['fit']['on_sizes'])} sizes only: {h3['fit']['formula']}")
        for h in h3["held_out"]:
            print(f"  predicted accuracy at {h['n']:,} records: {100 * h['predicted']:.2f}% "
                  f"[{100 * h['ci'][0]:.2f}, {100 * h['ci'][1]:.2f}]; measured {100 * h['measured']:.2f}% "
                  f"[{100 * h['measured_ci'][0]:.2f}, {100 * h['measured_ci'][1]:.2f}] "
                  f"(error {100 * (h['predicted'] - h['measured']):+.2f} points)")
        last, prev = (c["points"][len(h3["fit"]["on_sizes"]) - 1 + j]["metrics"]["accuracy"]["value"] for j in (1, 0))
        print(f"  its doubling estimate from {h3['doubling']['from']:,}: {100 * h3['doubling']['gain']:+.2f} points "
              f"[{100 * h3['doubling']['ci'][0]:+.2f}, {100 * h3['doubling']['ci'][1]:+.2f}]; measured gain to the next "
              f"size {100 * (last - prev):+.2f}")


def frozen_baseline(seeds: int, out: Path | None) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts
    from curate.load import load_dataset
    from train.curve import nested_subset
    from train.curve_fit import curve_svg, summarise

    train, test = load_dataset(DATA / "train.csv"), load_dataset(DATA / "test.csv")
    t0 = time.time()
    cfg = EmbedConfig(show_progress=False)
    x, x_te = embed_texts(dataset_texts(train, "prompt"), cfg), embed_texts(dataset_texts(test, "prompt"), cfg)
    names = sorted({str(r["label"]) for r in train.records})
    pos = {n: i for i, n in enumerate(names)}
    y_te = np.array([pos[str(r["label"])] for r in test.records])
    row = {r["id"]: i for i, r in enumerate(train.records)}
    print(f"Banking77: {len(train.records)} train, {len(y_te)} test, {len(names)} classes; embeddings in "
          f"{time.time() - t0:.0f} s", flush=True)
    results, sizes = [[] for _ in FRACTIONS], []
    for seed in range(seeds):
        for i, f in enumerate(FRACTIONS):
            idx = np.array([row[r["id"]] for r in nested_subset(train.records, f, seed, stratify=True)])
            y = np.array([pos[str(train.records[j]["label"])] for j in idx])
            t = time.time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = LogisticRegression(C=10.0, max_iter=1000).fit(x[idx], y).predict(x_te)
            results[i].append({"y_true": y_te.tolist(), "y_pred": pred.tolist()})
            if seed == 0:
                sizes.append(len(idx))
            print(f"seed {seed} fraction {f:g}: {len(idx)} records, accuracy {(pred == y_te).mean():.4f} "
                  f"({time.time() - t:.0f} s)", flush=True)
    c = summarise(sizes, results, ["accuracy", "macro_f1"])
    c.update(task="classification", fractions=list(FRACTIONS))
    held = summarise(sizes, results, ["accuracy"], fit_on=3)
    held_ll = summarise(sizes, results, ["accuracy"], fit_on=3, allow_scipy=False)
    report(c, held, f"frozen MiniLM embeddings + logistic regression, {seeds} seed(s), test.csv", held_ll)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "curve.json").write_text(json.dumps({"all": c, "first_three": held, "first_three_loglinear": held_ll},
                                                   indent=1) + "\n")
        (out / "curve.svg").write_text(curve_svg(c))
        print(f"\nwritten: {out}/curve.json, {out}/curve.svg")


def finetune(run: Path) -> None:
    from train.curve_fit import summarise

    c = json.loads((run / "curve.json").read_text())
    seeds = c["seeds"]
    pts = {}
    for d in sorted((run / "sizes").iterdir()):
        p = json.loads((d / "point.json").read_text())
        pts[p["seed"], p["fraction"]] = p
    fr = c["fractions"]
    results = [[pts[s, f]["records"] for s in range(seeds)] for f in fr]
    sizes = [p["n"] for p in c["points"]]
    k = min(3, len(sizes) - 1)
    held = summarise(sizes, results, ["accuracy"], fit_on=k)
    held_ll = summarise(sizes, results, ["accuracy"], fit_on=k, allow_scipy=False) if held["fit"]["kind"] == "power" else None
    steps = {f: pts[0, f]["steps"] for f in fr}
    secs = sum(p["seconds"] for p in pts.values())
    report(c, held, f"`curate train --data-fractions` run {run} ({seeds} seed(s); steps per size {steps}; "
                    f"{secs / 60:.0f} min of training)", held_ll)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, help="write curve.json and curve.svg of part A here")
    ap.add_argument("--finetune", type=Path, help="summarise this `curate train --data-fractions` run instead")
    args = ap.parse_args()
    if args.finetune:
        finetune(args.finetune)
    else:
        frozen_baseline(args.seeds, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
