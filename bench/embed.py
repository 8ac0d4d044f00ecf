"""Embedding throughput: curate's embedding stage vs plain `SentenceTransformer.encode`, same texts.

Run: .venv/bin/python bench/embed.py [--n 1500]

Texts: the first N/3*2 Banking77 train utterances (short) + prompts from sample_data/support_sft.jsonl
(longer, some multi-turn), so the batch lengths vary as in real data. Rows:
- baseline: `SentenceTransformer(all-MiniLM-L6-v2).encode(texts)` (fp32 torch, batch 32, its own length sort)
- curate backends with the text cache off: torch (inference_mode), onnx fp32, onnx int8 (opt-in; fp32 onnx is the default)
- curate, text cache warm (a re-audit, or another dataset sharing the texts)
- curate stage, signal cache warm (`run_stage` of an unchanged dataset)
Cosine is the mean (and minimum) per-text cosine to the baseline's fp32 embeddings.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_texts(n: int) -> list[str]:
    from curate.load import load_dataset

    bank = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
    short = [r["text"] for r in csv.DictReader(bank.open())][: n * 2 // 3] if bank.exists() else []
    sft = ROOT / "sample_data" / "support_sft.jsonl"
    long = [r["prompt"] for r in load_dataset(sft).records][: n - len(short)] if sft.exists() else []
    if not short and not long:
        sys.exit("needs ../shared/data/banking77 or sample_data/support_sft.jsonl")
    return short + long


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1500)
    args = ap.parse_args()
    os.environ["CURATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="curate-bench-")  # cold caches (the ONNX export is timed apart)
    from sentence_transformers import SentenceTransformer

    from curate.embed.encode import EmbedConfig, embed_texts, get_embedder
    from curate.models import minilm_path

    texts = load_texts(args.n)
    print(f"{len(texts)} texts, mean {np.mean([len(t) for t in texts]):.0f} chars; torch threads {__import__('torch').get_num_threads()}")
    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    model.encode(texts[:64])  # warm-up
    rows = []

    def baseline():
        t0 = time.perf_counter()
        v = model.encode(texts, batch_size=32, normalize_embeddings=True)
        return time.perf_counter() - t0, v

    base_s, ref = baseline()
    rows.append(("baseline SentenceTransformer.encode fp32", base_s, ref))
    for backend in ("torch", "onnx", "onnx-int8"):
        cfg = EmbedConfig(backend=backend, show_progress=False)
        t0 = time.perf_counter()
        get_embedder(cfg).encode(texts[:64])  # load / export once, then warm up (reported below)
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        v = embed_texts(texts, cfg, use_cache=False)
        rows.append((f"curate backend={backend} (setup {setup:.1f}s once)", time.perf_counter() - t0, v))
    cfg = EmbedConfig(show_progress=False)
    embed_texts(texts, cfg)  # fill the text cache
    t0 = time.perf_counter()
    v = embed_texts(texts, cfg)
    rows.append(("curate default, text cache warm", time.perf_counter() - t0, v))
    base2, _ = baseline()  # the machine is shared: a second baseline shows how much load moved
    rows.append(("baseline again (load check)", base2, ref))
    best_base = min(base_s, base2)
    print(f"\n| run | seconds | texts/s | speed-up vs best baseline | mean cos to fp32 | min cos |\n|---|---|---|---|---|---|")
    for name, s, v in rows:
        cos = (v * ref).sum(1)
        print(f"| {name} | {s:.3f} | {len(texts) / s:,.0f} | {best_base / s:.1f}x | {cos.mean():.4f} | {cos.min():.4f} |")


if __name__ == "__main__":
    main()
