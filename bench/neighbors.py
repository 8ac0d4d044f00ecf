"""Close pairs for semantic duplicates: the all-pairs scan vs the IVF-blocked comparison.

Run: python bench/neighbors.py [--sizes 20000,100000,1000000] [--real]

Synthetic rows (seeded): unit vectors of `--dim` dims in `--topics` loose topic clusters (as sentence
embeddings of one domain are: every vector near others), with 3% near copies (noise at cosine
~0.97). For each size: seconds of `close_pairs` exact (every pair, the semantic stage's path up to
50k records) and blocked (sqrt(n) k-means cells, 3 probes), the pairs found at cosine >= 0.95, the
blocked recall against exact, and the keep-first duplicate decisions that differ. The exact scan at
1M is not run (n^2: estimated from the 100k time x 100).
`--real`: the same on Banking77's 10,003 training queries with the default embedder (fp32 MiniLM; the
vectors come from the vector cache when an audit already encoded them): a dense paraphrase set.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.embed.neighbors import close_pairs, keep_first  # noqa: E402


def synthetic(n: int, dim: int, topics: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dim)).astype(np.float32)
    x = centres[rng.integers(0, topics, n)] * 1.0 + rng.normal(size=(n, dim)).astype(np.float32) * 1.2
    copies = rng.random(n) < 0.03
    src = rng.integers(0, n, copies.sum())
    x[copies] = x[src] + rng.normal(size=(copies.sum(), dim)).astype(np.float32) * 0.12
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def compare(x: np.ndarray, threshold: float, run_exact: bool) -> dict:
    row = {"n": len(x)}
    t = time.perf_counter()
    b = close_pairs(x, threshold, exact_upto=0)
    row["blocked_s"] = time.perf_counter() - t
    row["blocked_pairs"] = len(b[0])
    if run_exact:
        t = time.perf_counter()
        e = close_pairs(x, threshold, exact_upto=10**12)
        row["exact_s"] = time.perf_counter() - t
        row["exact_pairs"] = len(e[0])
        pe = set(zip(e[0].tolist(), e[1].tolist()))
        pb = set(zip(b[0].tolist(), b[1].tolist()))
        row["recall"] = len(pe & pb) / max(1, len(pe))
        de, db = keep_first(len(x), *e)[0], keep_first(len(x), *b)[0]
        row["dups_exact"], row["dups_blocked"] = int((de >= 0).sum()), int((db >= 0).sum())
        row["decisions_differ"] = int((de != db).sum())
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="20000,100000,1000000")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--exact-max", type=int, default=200_000, help="largest n the exact scan is run on")
    ap.add_argument("--real", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append({"data": f"synthetic {args.dim}d", **compare(synthetic(n, args.dim, args.topics), args.threshold,
                                                                n <= args.exact_max)})
        print(rows[-1], file=sys.stderr)
    if args.real:
        from curate.embed.encode import EmbedConfig, embed_texts

        bank = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
        texts = [r["text"] for r in csv.DictReader(bank.open())]
        x = embed_texts(texts, EmbedConfig(show_progress=False))
        rows.append({"data": "banking77 MiniLM", **compare(x, args.threshold, True)})
    cols = ["data", "n", "exact_s", "blocked_s", "exact_pairs", "blocked_pairs", "recall", "dups_exact", "dups_blocked",
            "decisions_differ"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "-")
            cells.append(f"{v:.1f}" if isinstance(v, float) and c.endswith("_s") else f"{v:.4f}" if isinstance(v, float)
                         else f"{v:,}" if isinstance(v, int) else str(v))
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
