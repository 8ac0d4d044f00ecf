"""Memory of the dedup stage: every shingle set held, vs sketches (signatures only), on one corpus.

    .venv/bin/python bench/dedup_memory.py                  # 20k and 100k records
    .venv/bin/python bench/dedup_memory.py --sizes 300000

Corpus: bench/audit_scale.py's seeded generator (~60 words per field, 2% exact and 2% near copies).
Each mode runs `dedup.stage.find_duplicates` in a fresh subprocess on the canonical columns the
stage receives; measured: wall seconds of the stage, and its peak RSS above the process's peak
before it started (the records, the interpreter and numpy), from getrusage. Modes:
  all-sets     prepare(keep_sides=True): prompt, answer and record sets held together (before 8b52eb2)
  sides-freed  prepare(keep_sides=False): the sides' sets freed before the record's are built (the Ray path)
  sketched     prepare(sketched=True): no set held; sets rebuilt for the records that share a bucket
The columns of every mode are compared with all-sets': `same` must say yes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODES = {"all-sets": dict(keep_sides=True), "sides-freed": dict(keep_sides=False),
         "sketched": dict(keep_sides=False, sketched=True)}


def child(mode: str, n: int) -> dict:
    from audit_scale import generate

    from curate.dedup import stage

    recs = generate(n, seed=0)
    batch = {"id": [r["id"] for r in recs], "format": ["alpaca"] * n, "prompt": [r["prompt"] for r in recs],
             "response": [r["response"] for r in recs], "label": [None] * n, "messages": [[]] * n,
             "fields": [[]] * n, "empty_input_marker": [None] * n}
    del recs
    real = stage.prepare
    stage.prepare = lambda b, config, **kw: real(b, config, **MODES[mode])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out, _ = stage.find_duplicates(batch, stage.DedupConfig())
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256(json.dumps(out, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"mode": mode, "n": n, "seconds": round(took, 1), "above_mb": round((peak - before) / 1024),
            "near": sum(v is not None for v in out["near_dup_of"]), "digest": digest}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[20_000, 100_000])
    ap.add_argument("--modes", nargs="*", default=list(MODES))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    print("| records | mode | dedup s | peak above records MB | near-dups | same columns as all-sets |")
    print("|---:|---|---:|---:|---:|---|")
    for n in args.sizes:
        ref = None
        for mode in args.modes:
            r = subprocess.run([sys.executable, __file__, "--child", mode, str(n)], capture_output=True, text=True,
                               cwd=Path(__file__).parent)
            if r.returncode:
                print(f"| {n:,} | {mode} | failed: {r.stderr.strip().splitlines()[-1:]} |||")
                continue
            res = json.loads(r.stdout.strip().splitlines()[-1])
            ref = ref or (res["digest"] if mode == "all-sets" else None)
            same = "-" if ref is None or mode == "all-sets" else ("yes" if res["digest"] == ref else "NO")
            print(f"| {n:,} | {mode} | {res['seconds']} | {res['above_mb']:,} | {res['near']:,} | {same} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
