"""Benchmark contamination (13-gram overlap): curate's hashed index vs a plain Python set of tuples.

    .venv/bin/python bench/decontam.py                        # 100,000 training records x 10,000 items
    .venv/bin/python bench/decontam.py --train 20000 --items 2000

Data (seeded): words from a Zipf vocabulary of 30,000 made-up words. Benchmark items: 10,000
questions of 4-60 words (about a quarter shorter than 13 words, as in Banking77-style sets) with
answers of 1-40 words. Training records: a prompt of 10-60 and a response of 20-150 words.
Planted contamination, the ground truth: 2% of training records hold a 13-40-word span of a
long item (case and punctuation changed), 0.5% contain a whole 8-12-word item inside more text,
0.2% are a 4-7-word item, re-cased. Random Zipf text shares no 13-gram by chance (checked: the
baseline finds only the planted records).

Tools, each in a fresh subprocess so its peak memory is its own, same rules (13-grams,
whole-text match for 8-12-word items, equal text for shorter ones, benchmark questions only):
  curate    the `decontam` stage: numpy uint64 n-gram hashes, sorted index + searchsorted,
            every hit verified word by word, records streamed in chunks of 5,000
  baseline  lm-eval janitor style: a dict from 13-gram tuples (and whole short texts) to items,
            each training record's tuples looked up one by one in Python
Prints records/s (tokenising included), peak RSS, and recall/precision on the planted records.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _vocab(rng, size=30000):
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, n)) for n in rng.integers(2, 10, size)]


def make_data(n_train: int, n_items: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)
    probs = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    cdf = np.cumsum(probs / probs.sum())

    def words(lo, hi):  # inverse-CDF sampling: rng.choice(p=...) rebuilds the CDF on every call
        idx = np.minimum(np.searchsorted(cdf, rng.random(int(rng.integers(lo, hi + 1)))), len(vocab) - 1)
        return [vocab[i] for i in idx]

    def render(ws):
        return " ".join(w.upper() if rng.random() < 0.05 else w + ("," if rng.random() < 0.05 else "") for w in ws)

    items = []
    for i in range(n_items):
        q = words(4, 12) if rng.random() < 0.25 else words(13, 60)
        items.append({"id": f"q{i}", "prompt": " ".join(q).capitalize() + "?", "response": " ".join(words(1, 40))})
    long_items = [i for i, it in enumerate(items) if len(it["prompt"].split()) >= 13]
    mid_items = [i for i, it in enumerate(items) if 8 <= len(it["prompt"].split()) < 13]
    short_items = [i for i, it in enumerate(items) if len(it["prompt"].split()) < 8]
    train, truth = [], {}
    for r in range(n_train):
        prompt, response = words(10, 60), words(20, 150)
        u = rng.random()
        if u < 0.02:
            it = int(rng.choice(long_items))
            q = items[it]["prompt"].rstrip("?").split()
            span = int(rng.integers(13, min(40, len(q)) + 1))
            start = int(rng.integers(0, len(q) - span + 1))
            response = response[:10] + q[start:start + span] + response[10:]
            truth[f"t{r}"] = items[it]["id"]
        elif u < 0.025 and mid_items:
            it = int(rng.choice(mid_items))
            prompt = prompt[:5] + items[it]["prompt"].rstrip("?").split() + prompt[5:]
            truth[f"t{r}"] = items[it]["id"]
        elif u < 0.027 and short_items:
            it = int(rng.choice(short_items))
            prompt = items[it]["prompt"].upper().rstrip("?").split()
            truth[f"t{r}"] = items[it]["id"]
        train.append({"id": f"t{r}", "prompt": render(prompt), "response": render(response)})
    return train, items, truth


def as_batch(rows):
    return {"id": [r["id"] for r in rows], "prompt": [r["prompt"] for r in rows],
            "response": [r["response"] for r in rows],
            "fields": [[{"role": "user", "text": r["prompt"]}, {"role": "assistant", "text": r["response"]}]
                       for r in rows]}


def run_curate(train, items):
    from curate.dedup.decontam import DecontamConfig, decontam

    class Bench:  # what the stage reads of an eval set
        name = "bench"
        records = [{**it, "fields": [{"role": "user", "text": it["prompt"]}, {"role": "assistant", "text": it["response"]}]}
                   for it in items]

    out = decontam(as_batch(train), config=DecontamConfig(), eval=[Bench()])["contaminated_by"]
    return {r["id"]: sorted({d["id"] for d in lst}) for r, lst in zip(train, out) if lst}


def run_baseline(train, items, n=13, min_n=8):
    from curate.dedup.decontam import words

    grams: dict[tuple, set] = {}
    short: dict[tuple, set] = {}
    lengths = set()
    for it in items:
        for w in [words(it["prompt"])]:  # questions only, as the stage's default (answers: false)
            if len(w) >= n:
                for k in range(len(w) - n + 1):
                    grams.setdefault(tuple(w[k:k + n]), set()).add(it["id"])
            elif len(w) >= min_n:
                grams.setdefault(tuple(w), set()).add(it["id"])
                lengths.add(len(w))
            else:
                short.setdefault(tuple(w), set()).add(it["id"])
    found = {}
    for r in train:
        hit = set()
        for text in (r["prompt"], r["response"]):
            w = words(text)
            for L in (n, *lengths):
                for k in range(len(w) - L + 1):
                    hit |= grams.get(tuple(w[k:k + L]), set())
            if len(w) < min_n:
                hit |= short.get(tuple(w), set())
        if hit:
            found[r["id"]] = sorted(hit)
    return found


def child(tool: str, n_train: int, n_items: int) -> None:
    train, items, truth = make_data(n_train, n_items)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    found = (run_curate if tool == "curate" else run_baseline)(train, items)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tp = sum(1 for rid, ids in found.items() if truth.get(rid) in ids)
    print(json.dumps({"tool": tool, "seconds": secs, "rate": n_train / secs, "peak_mb": peak / 1024,
                      "data_mb": rss0 / 1024, "flagged": len(found), "true": tp, "planted": len(truth),
                      "found": found}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.train, a.items)
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}
    results = {}
    for tool in ("curate", "baseline"):
        out = subprocess.run([sys.executable, __file__, "--child", tool, "--train", str(a.train), "--items", str(a.items)],
                             capture_output=True, text=True, env=env, check=True).stdout
        results[tool] = json.loads(out.strip().splitlines()[-1])
    print(f"{a.train:,} training records x {a.items:,} benchmark items (seed 0)\n")
    print(f"{'tool':<10}{'seconds':>9}{'records/s':>12}{'peak RSS MB':>13}{'(data MB)':>11}{'flagged':>9}"
          f"{'recall':>8}{'precision':>11}")
    for tool, r in results.items():
        recall = r["true"] / max(r["planted"], 1)
        precision = r["true"] / max(r["flagged"], 1)
        print(f"{tool:<10}{r['seconds']:>9.1f}{r['rate']:>12,.0f}{r['peak_mb']:>13,.0f}{r['data_mb']:>11,.0f}"
              f"{r['flagged']:>9}{recall:>8.3f}{precision:>11.3f}")
    same = results["curate"]["found"] == results["baseline"]["found"]
    print(f"\nsame findings (record -> items) in both: {same}")


if __name__ == "__main__":
    main()
