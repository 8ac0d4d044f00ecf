"""Test accuracy of a `curate train` classification run, next to two baselines trained on the run's
own training data: the majority class, and the cheap one a user tries first (frozen all-MiniLM-L6-v2
embeddings + logistic regression, C=10, as in bench/gated_vs_raw.py).

    python bench/train_accuracy.py RUN TEST.csv [--no-frozen]

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


def frozen_baseline(train_texts, train_labels, test_texts) -> tuple[list[str], float]:
    from sklearn.linear_model import LogisticRegression

    from curate.embed.encode import EmbedConfig, embed_texts

    t0 = time.perf_counter()
    cfg = EmbedConfig(show_progress=False)
    x_train, x_test = embed_texts(train_texts, cfg), embed_texts(test_texts, cfg)
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(x_train, train_labels)
    return list(clf.predict(x_test)), time.perf_counter() - t0


def main(run_dir: str, test_path: str, frozen: bool = True) -> None:
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
    if frozen:
        preds, secs = frozen_baseline([r["prompt"] for r in train.records], [r["label"] for r in train.records], texts)
        acc = sum(p == g for p, g in zip(preds, gold)) / len(gold)
        print(f"{'frozen MiniLM + logreg':28}{acc:10.4f}   ({secs:.0f} s to embed and fit on {len(train.records)} "
              f"training records)")


if __name__ == "__main__":
    main(*sys.argv[1:3], frozen="--no-frozen" not in sys.argv)
