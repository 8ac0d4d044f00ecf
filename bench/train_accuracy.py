"""Test accuracy of a `curate train` classification run, next to the majority-class baseline.

    python bench/train_accuracy.py RUN TEST.csv

(`curate eval RUN --data TEST` gives the full report with intervals; this prints the two numbers
the acceptance runs in BENCHMARKS.md quote, using nothing but `load_trained`.)
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import torch

from curate.load import load_dataset
from train.model import load_trained


def main(run_dir: str, test_path: str) -> None:
    model, tok, manifest = load_trained(run_dir)
    test = load_dataset(test_path)
    train = load_dataset(manifest.data_path)
    majority = Counter(r["label"] for r in train.records).most_common(1)[0][0]
    texts, gold = [r["prompt"] for r in test.records], [r["label"] for r in test.records]
    t0, preds = time.perf_counter(), []
    with torch.no_grad():
        for s in range(0, len(texts), 64):
            batch = tok(texts[s:s + 64], return_tensors="pt", padding=True, truncation=True, max_length=128)
            preds += [manifest.labels[i] for i in model(**batch).logits.argmax(-1).tolist()]
    acc = sum(p == g for p, g in zip(preds, gold)) / len(gold)
    base = sum(g == majority for g in gold) / len(gold)
    print(f"{test_path}: {len(gold)} records; run {run_dir} (method {manifest.method}, best step {manifest.best_step})")
    print(f"{'':28}{'accuracy':>10}")
    print(f"{'majority class (' + majority[:14] + ')':28}{base:10.4f}")
    print(f"{'curate train':28}{acc:10.4f}   ({time.perf_counter() - t0:.0f} s to predict)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
