"""`curate augment` vs none on Banking77 with 10 records per class: does augmentation train a better classifier?

For each seed, 10 records per class are drawn from train.csv (770 records); the same classifier as
bench/selection.py (frozen all-MiniLM-L6-v2 embeddings + logistic regression, C=10) is trained on
(a) the subset, (b) + eda records that passed the gate (`augment_dataset`, --only all, K per record),
(b0) + every eda candidate, gate or not (what the gate is worth), and with --lm-classes N
(c) + lm paraphrases (Gemma 3 270M) on N classes drawn per seed, compared with (a) and (b) on the
same N classes (the LM is too slow on a CPU for all 77). Scored on test.csv (3,080 records; the N
classes' test records for the lm rows). No --eval set is given to the gate, so test.csv takes no part
in choosing records, and no audit runs first (no source is excluded). Prints mean +- sd over seeds
and each method minus (a) per seed.

Run: .venv/bin/python bench/augment.py [--seeds 3] [--per-record 2] [--lm-classes 0]   (needs ../shared/data/banking77/)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.augment.run import AugmentConfig, augment_dataset  # noqa: E402
from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts  # noqa: E402
from curate.load import load_dataset  # noqa: E402
from bench.lr_probe import accuracy  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "banking77"


def subset_file(train, idx, path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category"])
        w.writerows((train.records[i]["prompt"], train.records[i]["label"]) for i in idx)
    return path


def augmented(sub_path: Path, cfg: AugmentConfig, cfg_e: EmbedConfig):
    """(vectors, labels) of the accepted generated records, and of every candidate."""
    ds = load_dataset(sub_path)
    aug = augment_dataset(ds, cfg, use_cache=True)
    acc_texts = [m["text"] for m in aug.manifest if m["accepted"]]
    all_texts = [m["text"] for m in aug.manifest]
    lab_of = {r["id"]: r["label"] for r in ds.records}
    acc_y = [lab_of[m["source_id"]] for m in aug.manifest if m["accepted"]]
    all_y = [lab_of[m["source_id"]] for m in aug.manifest]
    emb = (lambda t: embed_texts(t, cfg_e) if t else np.zeros((0, 384), dtype=np.float32))
    return (emb(acc_texts), acc_y), (emb(all_texts), all_y), aug.summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--per-record", type=int, default=2)
    ap.add_argument("--lm-classes", type=int, default=0, help="classes the lm arm runs on (0: no lm arm)")
    args = ap.parse_args()
    train, test = load_dataset(DATA / "train.csv"), load_dataset(DATA / "test.csv")
    cfg_e = EmbedConfig(show_progress=False)
    x, x_te = embed_texts(dataset_texts(train, "prompt"), cfg_e), embed_texts(dataset_texts(test, "prompt"), cfg_e)
    names = sorted({str(r["label"]) for r in train.records})
    pos = {n: i for i, n in enumerate(names)}
    y = np.array([pos[str(r["label"])] for r in train.records])
    y_te = np.array([pos.get(str(r["label"]), -1) for r in test.records])
    res: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-augment-"))
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        idx = np.sort(np.concatenate([rng.choice(np.where(y == c)[0], args.per_class, replace=False)
                                      for c in range(len(names))]))
        sub = subset_file(train, idx, tmp / f"sub{seed}.csv")
        res.setdefault("(a) subset", []).append(accuracy(x[idx], y[idx], x_te, y_te))
        t = time.time()
        cfg = AugmentConfig(only="all", method="eda", per_record=args.per_record, seed=seed)
        (xa, ya), (xc, yc), summ = augmented(sub, cfg, cfg_e)
        ya, yc = np.array([pos[v] for v in ya], dtype=int), np.array([pos[v] for v in yc], dtype=int)
        res.setdefault("(b) + eda, gated", []).append(accuracy(np.vstack([x[idx], xa]), np.r_[y[idx], ya], x_te, y_te))
        res.setdefault("(b0) + eda, every candidate", []).append(
            accuracy(np.vstack([x[idx], xc]), np.r_[y[idx], yc], x_te, y_te))
        counts.setdefault("eda accepted", []).append(len(ya))
        counts.setdefault("eda candidates", []).append(len(yc))
        print(f"seed {seed}: eda {len(yc)} candidates, {len(ya)} accepted in {time.time() - t:.0f}s; rejected "
              f"{ {k: v for k, v in summ['rejected'].items() if v} }; " +
              ", ".join(f"{k} {v[-1]:.4f}" for k, v in res.items()), flush=True)
        if args.lm_classes:
            cls = np.sort(rng.choice(len(names), args.lm_classes, replace=False))
            keep = np.isin(y[idx], cls)
            sidx = idx[keep]
            te = np.isin(y_te, cls)
            sub_c = subset_file(train, sidx, tmp / f"sub{seed}-lm.csv")
            t = time.time()
            cfg_l = AugmentConfig(only="all", method="lm", per_record=args.per_record, seed=seed)
            (xl, yl), (xlc, ylc), summ_l = augmented(sub_c, cfg_l, cfg_e)
            (xe, ye), _, _ = augmented(sub_c, cfg, cfg_e)
            yl, ylc, ye = (np.array([pos[v] for v in a], dtype=int) for a in (yl, ylc, ye))
            res.setdefault(f"(a') subset, {args.lm_classes} classes", []).append(accuracy(x[sidx], y[sidx], x_te[te], y_te[te]))
            res.setdefault(f"(b') + eda, gated, {args.lm_classes} classes", []).append(
                accuracy(np.vstack([x[sidx], xe]), np.r_[y[sidx], ye], x_te[te], y_te[te]))
            res.setdefault(f"(c) + lm, gated, {args.lm_classes} classes", []).append(
                accuracy(np.vstack([x[sidx], xl]), np.r_[y[sidx], yl], x_te[te], y_te[te]))
            res.setdefault(f"(c0) + lm, every candidate, {args.lm_classes} classes", []).append(
                accuracy(np.vstack([x[sidx], xlc]), np.r_[y[sidx], ylc], x_te[te], y_te[te]))
            counts.setdefault("lm accepted", []).append(len(yl))
            counts.setdefault("lm candidates", []).append(len(ylc))
            print(f"seed {seed}: lm on classes {[names[c] for c in cls]}: {len(ylc)} candidates, {len(yl)} accepted "
                  f"in {time.time() - t:.0f}s; rejected { {k: v for k, v in summ_l['rejected'].items() if v} }; " +
                  ", ".join(f"{k} {v[-1]:.4f}" for k, v in res.items() if "classes" in k), flush=True)
    print(f"\naccuracy on test.csv, mean +- sd over {args.seeds} seeds ({args.per_class} records per class, "
          f"{args.per_record} candidates per record)")
    print("| training data | accuracy | minus (a) per seed |")
    print("|---|---|---|")
    for k, v in res.items():
        base = res["(a') subset, " + k.rsplit(", ", 1)[-1]] if "classes" in k else res["(a) subset"]
        d = 100 * (np.array(v) - np.array(base))
        print(f"| {k} | {100 * np.mean(v):.1f} +- {100 * np.std(v):.1f} | "
              f"{d.mean():+.1f} (min {d.min():+.1f}, max {d.max():+.1f}) |")
    print("records added: " + ", ".join(f"{k} {np.mean(v):.0f}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
