"""`curate select` vs random selection of the same size on Banking77: does a chosen subset train a better classifier?

For each seed, a random 90% of train.csv is the pool (so seeds differ for every method); from it each
method takes N = 77 x {10, 20, 40} records; the same classifier (frozen all-MiniLM-L6-v2 embeddings
+ logistic regression, C=10) is trained on the subset and scored on test.csv (3,080 records).
Methods: random (uniform, what people do), random per class (equal count per label: the quota alone),
select without the margin weight (quota + facility location), select (curate's default: + probe margin).
Prints accuracy mean +- standard deviation over the seeds and select - random per seed.

Run: .venv/bin/python bench/selection.py [--seeds 3] [--budgets 10 20 40]   (needs ../shared/data/banking77/)
"""

from __future__ import annotations

import sys


import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts  # noqa: E402
from curate.embed.label_issues import out_of_sample_probs  # noqa: E402
from curate.load import load_dataset  # noqa: E402
from bench.lr_probe import accuracy  # noqa: E402
from curate.select.quota import allocate  # noqa: E402
from curate.select.score import margins, usefulness_from_margin  # noqa: E402
from curate.select.subset import select  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "banking77"


def random_per_class(rng, y, n, k):
    """The same per-class quotas as `curate select` (equal, capped by what a class has), random inside a class."""
    quota = allocate(n, np.ones(k), np.bincount(y, minlength=k))
    return np.concatenate([rng.choice(np.where(y == c)[0], size=q, replace=False) for c, q in enumerate(quota)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budgets", type=int, nargs="+", default=[10, 20, 40], help="records per class on average")
    ap.add_argument("--margin-power", type=float, default=1.0)
    args = ap.parse_args()
    train, test = load_dataset(DATA / "train.csv"), load_dataset(DATA / "test.csv")
    cfg = EmbedConfig(show_progress=False)
    t0 = time.time()
    x, x_te = embed_texts(dataset_texts(train, "prompt"), cfg), embed_texts(dataset_texts(test, "prompt"), cfg)
    names = sorted({str(r["label"]) for r in train.records})
    pos = {n: i for i, n in enumerate(names)}
    y = np.array([pos[str(r["label"])] for r in train.records])
    y_te = np.array([pos.get(str(r["label"]), -1) for r in test.records])
    k = len(names)
    print(f"Banking77: {len(y)} train, {len(y_te)} test, {k} classes; embeddings in {time.time() - t0:.0f}s", flush=True)
    methods = ["random", "random per class", "select, no margin", "select"]
    acc = {(m, b): [] for m in methods for b in args.budgets}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        pool = np.sort(rng.choice(len(y), size=int(0.9 * len(y)), replace=False))
        xp, yp = x[pool], y[pool]
        ids = [str(i) for i in pool]
        t = time.time()
        probs = out_of_sample_probs(xp, yp, k, 5, 10.0, seed)
        u = usefulness_from_margin(margins(probs, yp), args.margin_power)
        print(f"seed {seed}: probe margins in {time.time() - t:.0f}s", flush=True)
        for b in args.budgets:
            n = b * k
            picks = {"random": rng.choice(len(yp), size=n, replace=False),
                     "random per class": random_per_class(rng, yp, n, k),
                     "select, no margin": np.array(select(xp, yp, names, n, ids=ids).selected),
                     "select": np.array(select(xp, yp, names, n, ids=ids, usefulness=u).selected)}
            for m, idx in picks.items():
                assert len(idx) == n, (m, len(idx))
                acc[(m, b)].append(accuracy(xp[idx], yp[idx], x_te, y_te))
            print(f"  {b}/class: " + ", ".join(f"{m} {acc[(m, b)][-1]:.4f}" for m in methods), flush=True)
    print(f"\naccuracy on test.csv, mean +- sd over {args.seeds} seeds (N = 77 x per-class budget)")
    print("| per class | N | " + " | ".join(methods) + " | select - random (per seed) |")
    print("|---" * (len(methods) + 3) + "|")
    for b in args.budgets:
        cells = [f"{100 * np.mean(acc[(m, b)]):.1f} +- {100 * np.std(acc[(m, b)]):.1f}" for m in methods]
        diff = 100 * (np.array(acc[("select", b)]) - np.array(acc[("random", b)]))
        print(f"| {b} | {b * k} | " + " | ".join(cells) +
              f" | {diff.mean():+.1f} (min {diff.min():+.1f}, max {diff.max():+.1f}) |")


if __name__ == "__main__":
    main()
