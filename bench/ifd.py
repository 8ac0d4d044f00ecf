"""Answer perplexity and IFD (stage `answer_ifd`, Gemma 3 270M from its package) on real SFT data:
time per 1,000 records on this CPU, and the highest and lowest scored records to read.

For each dataset a seeded random sample of --n records is scored by the stage function itself
(model loading timed apart); seconds per 1,000 records are extrapolated from the sample (the
table says so). Then the 20 highest and 20 lowest IFD records (ids, IFD, answer perplexity, answer
tokens, and the first words of prompt and answer), and how IFD relates to answer length (Spearman),
which is what a token-counting defect shows up as.

Run: OMP_NUM_THREADS=2 .venv/bin/python bench/ifd.py [--n 300] [--top 20] [--json out.json]
     (needs ../shared/data/gsm8k_alpaca and ../shared/data/code_alpaca)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = {"gsm8k_alpaca": ROOT.parent / "shared" / "data" / "gsm8k_alpaca" / "gsm_8k_train.json",
        "code_alpaca": ROOT.parent / "shared" / "data" / "code_alpaca" / "code_alpaca_2k.json"}


def short(text: str, n: int = 70) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= n else t[:n - 1] + "…"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="records sampled per dataset (default 300)")
    ap.add_argument("--top", type=int, default=20, help="highest and lowest records listed (default 20)")
    ap.add_argument("--datasets", nargs="+", default=list(DATA), choices=list(DATA))
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--json", help="also write every score here")
    args = ap.parse_args()

    import numpy as np
    from scipy.stats import spearmanr

    from curate.load import load_dataset
    from curate.select.ifd import AnswerIFDConfig, answer_ifd, ifd_pair, load_lm

    cfg = AnswerIFDConfig(batch_size=args.batch_size)
    t0 = time.perf_counter()
    _, tok = load_lm(cfg.model)
    load_s = time.perf_counter() - t0
    print(f"model: Gemma 3 270M (curate's package default), loaded in {load_s:.0f} s; max_length {cfg.max_length}, "
          f"batch {cfg.batch_size}, CPU threads {__import__('torch').get_num_threads()}")
    rows, dump = [], {}
    for name in args.datasets:
        ds = load_dataset(DATA[name])
        idx = sorted(random.Random(0).sample(range(len(ds.records)), min(args.n, len(ds.records))))
        recs = [ds.records[i] for i in idx]
        batch = {k: [r.get(k) for r in recs] for k in ("id", "format", "prompt", "response", "messages")}
        t, cpu = time.perf_counter(), time.process_time()
        out = answer_ifd(batch, config=cfg)
        secs, cpu = time.perf_counter() - t, time.process_time() - cpu
        ifd, ppl = out["answer_ifd"], out["answer_perplexity"]
        ntok = []
        for r in recs:
            pair = ifd_pair(r, tok, cfg.max_length)
            ntok.append(sum(t != -100 for t in pair[0][1]) if pair else 0)
        scored = [k for k in range(len(recs)) if ifd[k] is not None]
        v = np.array([ifd[k] for k in scored])
        rho = spearmanr(v, [ntok[k] for k in scored]).statistic
        rows.append((name, len(ds.records), len(recs), secs, 1000 * secs / len(recs), 1000 * cpu / len(recs),
                     len(recs) - len(scored),
                     float(np.median(v)), float((v >= 1).mean()), float(rho)))
        order = sorted(scored, key=lambda k: ifd[k])
        print(f"\n## {name}: {len(recs)} of {len(ds.records):,} records (seeded sample), {secs:.0f} s")
        for title, ks in ((f"highest {args.top} IFD", order[::-1][:args.top]), (f"lowest {args.top} IFD", order[:args.top])):
            print(f"\n{title}: id | IFD | answer ppl | answer tokens | prompt … | answer …")
            for k in ks:
                r = recs[k]
                print(f"  {r['id']} | {ifd[k]:.3f} | {ppl[k]:.2f} | {ntok[k]} | {short(r['prompt'], 60)} | "
                      f"{short(r['response'], 50)}")
        dump[name] = [{"id": recs[k]["id"], "ifd": ifd[k], "answer_perplexity": ppl[k], "answer_tokens": ntok[k]}
                      for k in range(len(recs))]
    print(f"\nload average while it ran: {' '.join(f'{v:.1f}' for v in __import__('os').getloadavg())} "
          f"on {__import__('os').cpu_count()} CPUs")
    print("\n| dataset | records | sampled | wall s | wall s per 1,000 (extrapolated) | CPU s per 1,000 | unscored "
          "| median IFD | share IFD >= 1 | Spearman(IFD, answer tokens) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, total, n, secs, per_k, cpu_k, unscored, med, over, rho in rows:
        print(f"| {name} | {total:,} | {n} | {secs:.0f} | {per_k:.0f} (whole set ≈ {per_k * total / 60000:.0f} min) "
              f"| {cpu_k:.0f} | {unscored} | {med:.3f} | {over:.1%} | {rho:+.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(dump, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
