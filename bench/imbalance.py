"""Imbalanced classification: plain cross-entropy vs balanced class weights vs focal loss, same budget.

A long-tailed, seeded subsample of Banking77's train.csv (class sizes spaced geometrically from
--min to --max records over the 77 intents, in a seeded random order), scored on the full balanced
test.csv: macro-F1 and worst-class recall. The encoder is the default MiniLM, frozen (its features
computed once); the head is what `curate train` builds by default (cosine head, class-mean
initialisation, scale 20) or a linear head from random initialisation, trained with
`train.losses.classification_loss` exactly as the training loop calls it. Frozen encoder + head
keeps the comparison within minutes on a CPU; LoRA runs go through `curate train --class-weights
--loss` the same way.

    OMP_NUM_THREADS=2 python bench/imbalance.py ../shared/data/banking77 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch


def long_tail(rows: list[dict], lo: int, hi: int, seed: int) -> list[dict]:
    by = {}
    for r in rows:
        by.setdefault(r["category"], []).append(r)
    labels = sorted(by)
    rng = random.Random(seed)
    rng.shuffle(labels)
    k = len(labels)
    out = []
    for i, lab in enumerate(labels):
        n = round(lo * (hi / lo) ** (i / (k - 1)))
        pool = by[lab][:]
        rng.shuffle(pool)
        out += pool[:n]
    return out


def features(texts: list[str], max_length: int, cache: Path) -> np.ndarray:
    from train.model import load_base, default_model
    from train.predict import embed

    if cache.exists():
        return np.load(cache)
    net, tok = load_base(default_model("classification"), "classification", ["a", "b"], head="cosine")
    net.eval()
    x = embed(net, tok, texts, batch_size=64, max_length=max_length).numpy()
    np.save(cache, x)
    return x


def train_head(x, y, k, *, head: str, class_weights: str, loss: str, gamma: float, epochs: int, seed: int,
               batch_size: int = 32, lr: float = 1e-3):
    from train.losses import class_weights as cw, classification_loss
    from train.model import CosineHead

    torch.manual_seed(seed)
    xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y).long()
    if head == "cosine":
        h = CosineHead(x.shape[1], k, 20.0)
        protos = torch.zeros(k, x.shape[1]).index_add_(0, yt, torch.nn.functional.normalize(xt, dim=-1))
        with torch.no_grad():
            h.weight.copy_(torch.nn.functional.normalize(protos, dim=-1))
    else:
        h = torch.nn.Linear(x.shape[1], k)
    opt = torch.optim.AdamW(h.parameters(), lr=lr, weight_decay=0.0)
    w = cw(y.tolist(), k, class_weights)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for s in range(0, len(xt), batch_size):
            idx = perm[s:s + batch_size]
            out = classification_loss(h(xt[idx]), yt[idx], weight=w, focal_gamma=gamma if loss == "focal" else 0.0)
            (out / len(idx)).backward()
            opt.step()
            opt.zero_grad()
    return h


def score(h, x, y, k) -> dict:
    from sklearn.metrics import f1_score, recall_score

    with torch.no_grad():
        pred = h(torch.from_numpy(x).float()).argmax(-1).numpy()
    rec = recall_score(y, pred, labels=list(range(k)), average=None, zero_division=0)
    return {"accuracy": float((pred == y).mean()), "macro_f1": float(f1_score(y, pred, average="macro")),
            "worst_class_recall": float(rec.min()), "mean_recall_10_smallest": None, "recall": rec}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", help="directory with Banking77's train.csv and test.csv")
    ap.add_argument("--min", type=int, default=5)
    ap.add_argument("--max", type=int, default=100)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--max-length", type=int, default=32)
    ap.add_argument("--gamma", type=float, default=2.0)
    ap.add_argument("--cache", default="/tmp/imbalance-features")
    ap.add_argument("--out", help="write the per-seed results as JSON here")
    args = ap.parse_args()
    d = Path(args.data_dir)
    train_rows = list(csv.DictReader(open(d / "train.csv", encoding="utf-8")))
    test_rows = list(csv.DictReader(open(d / "test.csv", encoding="utf-8")))
    labels = sorted({r["category"] for r in train_rows})
    l2i = {lab: i for i, lab in enumerate(labels)}
    k = len(labels)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    x_all = features([r["text"] for r in train_rows], args.max_length, cache / f"train-{args.max_length}.npy")
    x_test = features([r["text"] for r in test_rows], args.max_length, cache / f"test-{args.max_length}.npy")
    y_test = np.array([l2i[r["category"]] for r in test_rows])
    print(f"features: {len(x_all)} train + {len(x_test)} test in {time.time() - t0:.0f}s")
    index = {id(r): i for i, r in enumerate(train_rows)}
    settings = [("ce", "none", "ce"), ("balanced", "balanced", "ce"), (f"focal{args.gamma:g}", "none", "focal"),
                (f"balanced+focal{args.gamma:g}", "balanced", "focal")]
    results = []
    for seed in args.seeds:
        sub = long_tail(train_rows, args.min, args.max, seed)
        ids = np.array([index[id(r)] for r in sub])
        x, y = x_all[ids], np.array([l2i[r["category"]] for r in sub])
        counts = np.bincount(y, minlength=k)
        tail = np.argsort(counts)[:10]
        for head in ("cosine", "linear"):
            for name, weights, loss in settings:
                h = train_head(x, y, k, head=head, class_weights=weights, loss=loss, gamma=args.gamma,
                               epochs=args.epochs, seed=seed, lr=1e-3 if head == "cosine" else 1e-2)
                s = score(h, x_test, y_test, k)
                s["mean_recall_10_smallest"] = float(s.pop("recall")[tail].mean())
                results.append({"seed": seed, "head": head, "loss": name, "n_train": len(y),
                                "class_sizes": [int(counts.min()), int(counts.max())], **s})
                print(json.dumps(results[-1]))
    print("\nmean over seeds", args.seeds, f"({results[0]['n_train']} train records for seed {args.seeds[0]}, "
          f"class sizes {args.min}..{args.max}, {args.epochs} epochs, frozen MiniLM features, max length {args.max_length})")
    print(f"{'head':8} {'loss':22} {'accuracy':>9} {'macro-F1':>9} {'worst recall':>13} {'10 rarest recall':>17}")
    for head in ("cosine", "linear"):
        for name, _, _ in settings:
            rs = [r for r in results if r["head"] == head and r["loss"] == name]
            mean = {m: sum(r[m] for r in rs) / len(rs) for m in ("accuracy", "macro_f1", "worst_class_recall",
                                                                 "mean_recall_10_smallest")}
            sd = math.sqrt(sum((r["macro_f1"] - mean["macro_f1"]) ** 2 for r in rs) / max(len(rs) - 1, 1))
            print(f"{head:8} {name:22} {mean['accuracy']:9.4f} {mean['macro_f1']:9.4f} (sd {sd:.4f}) "
                  f"{mean['worst_class_recall']:9.4f} {mean['mean_recall_10_smallest']:17.4f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
