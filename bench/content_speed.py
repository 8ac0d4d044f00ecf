"""Row-local content stages: seconds per stage and set, before vs after a change, and proof that every
output row is identical.

Each side runs in its own process with its own `curate` tree on the path (the stage functions are
called directly on `dataset.batch()`, one process, no cache, no engine), writes the stage outputs
as canonical JSON (sorted keys, one line per row) and its timings; the sides alternate `--repeat`
times and the fastest run per stage and set is kept (the machine is shared and noisy).

Run (from the repository root; BEFORE is a checkout of the base commit, e.g.
`git worktree add --detach /tmp/before <base>`):
    python bench/content_speed.py --before /tmp/before [--repeat 2] [--gen 20000] [--only hygiene,prompts]
Prints: stage, set, records, before s, after s, speed-up, identical rows (identical/total).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")
STAGES = ("structure", "answers", "prompts", "hygiene", "verify")
REAL = {
    "code_alpaca": "code_alpaca/code_alpaca_2k.json",
    "gpteacher_codegen": "gpteacher_codegen/codegen-instruct.json",
    "gpteacher_roleplay": "gpteacher_roleplay/roleplay-simple-deduped-roleplay-instruct.json",
    "gsm8k_alpaca": "gsm8k_alpaca/gsm_8k_train.json",
    "dialogsum": "dialogsum/dialogsum.dev.jsonl",
    "banking77_train": "banking77/train.csv",
    "presidio_pii": "presidio_pii/synth_dataset_v2.json",
}


def datasets(gen: int, workdir: Path) -> dict[str, Path]:
    sets = {f"sample/{p.stem}": p for p in sorted((ROOT / "sample_data").glob("*.jsonl"))}
    sets |= {name: DATA / rel for name, rel in REAL.items() if (DATA / rel).exists()}
    if gen:
        corpus = workdir / f"gen{gen}.jsonl"
        if not corpus.exists():
            sys.path.insert(0, str(ROOT / "bench"))
            import audit_scale
            audit_scale.write_corpus(corpus, gen, 0)
        sets[f"generated_{gen}"] = corpus
    return sets


# ---- one side, in its own process ------------------------------------------------------------------

def _canon(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def run_side(src: str, sets: dict[str, str], stages: list[str], out_dir: Path, write: bool) -> dict:
    sys.path.insert(0, src)
    import importlib

    from curate.load import load_dataset
    fns = {}
    for name in stages:
        mod = importlib.import_module(f"curate.content.{name}")
        fns[name] = (getattr(mod, name), next(v for k, v in vars(mod).items() if k.lower() == f"{name}config"))
    assert Path(sys.modules["curate"].__file__).is_relative_to(src), sys.modules["curate"].__file__
    times: dict[str, float] = {}
    for set_name, path in sets.items():
        batch = load_dataset(path).batch()
        for name, (fn, cfg_cls) in fns.items():
            t0 = time.process_time()
            cols = fn(batch, config=cfg_cls())
            times[f"{name}\t{set_name}"] = time.process_time() - t0
            if write:
                rows = list(zip(*(cols[c] for c in sorted(cols))))
                target = out_dir / f"{name}__{set_name.replace('/', '_')}.jsonl"
                target.write_text("".join(_canon(r) + "\n" for r in rows))
    return times


# ---- both sides, compared --------------------------------------------------------------------------

def _spawn(src: Path, sets: dict[str, Path], stages: list[str], out_dir: Path, write: bool) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH="", TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="", OMP_NUM_THREADS="1")
    job = json.dumps({"src": str(src), "sets": {k: str(v) for k, v in sets.items()}, "stages": stages,
                      "out": str(out_dir), "write": write})
    res = subprocess.run([sys.executable, __file__, "--side", job], env=env, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help="checkout of the base commit")
    ap.add_argument("--repeat", type=int, default=1, help="alternating runs per side; the fastest is kept")
    ap.add_argument("--gen", type=int, default=20000, help="records of the generated audit_scale corpus (0: none)")
    ap.add_argument("--only", default="", help="comma-separated stages (default: all row-local content stages)")
    ap.add_argument("--sets", default="", help="comma-separated substrings of set names to keep")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "content_speed")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        job = json.loads(args.side)
        print(json.dumps(run_side(job["src"], job["sets"], job["stages"], Path(job["out"]), job["write"])))
        return
    if not args.before:
        ap.error("--before DIR (a checkout of the base commit) is required")
    stages = [s for s in args.only.split(",") if s] or list(STAGES)
    args.work.mkdir(parents=True, exist_ok=True)
    sets = datasets(args.gen, args.work)
    if args.sets:
        sets = {k: v for k, v in sets.items() if any(s in k for s in args.sets.split(","))}
    best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
    for i in range(args.repeat):
        for side, src in (("before", args.before.resolve()), ("after", ROOT)):
            t = _spawn(src, sets, stages, args.work / side, write=i == 0)
            for k, v in t.items():
                best[side][k] = min(best[side].get(k, v), v)
    print(f"{'stage':<10} {'set':<26} {'records':>8} {'before s':>9} {'after s':>8} {'speed-up':>8}  identical rows")
    totals = {"before": {}, "after": {}}
    all_same = True
    for name in stages:
        for set_name in sets:
            key = f"{name}\t{set_name}"
            fname = f"{name}__{set_name.replace('/', '_')}.jsonl"
            a = (args.work / "before" / fname).read_text().splitlines()
            b = (args.work / "after" / fname).read_text().splitlines()
            same = sum(x == y for x, y in zip(a, b)) if len(a) == len(b) else 0
            all_same &= same == len(a) == len(b)
            tb, ta = best["before"][key], best["after"][key]
            for side, v in (("before", tb), ("after", ta)):
                totals[side][name] = totals[side].get(name, 0.0) + v
            print(f"{name:<10} {set_name:<26} {len(a):>8} {tb:>9.2f} {ta:>8.2f} {tb / max(ta, 1e-9):>7.1f}x  "
                  f"{same}/{len(a)}" + ("" if same == len(a) == len(b) else "  DIFFERENT"))
    for name in stages:
        tb, ta = totals["before"][name], totals["after"][name]
        print(f"{name:<10} {'all sets':<26} {'':>8} {tb:>9.2f} {ta:>8.2f} {tb / max(ta, 1e-9):>7.1f}x")
    digest = hashlib.sha256(b"".join((args.work / "after" / f).read_bytes()
                                     for f in sorted(os.listdir(args.work / "after")))).hexdigest()[:16]
    print(f"outputs {'IDENTICAL' if all_same else 'DIFFER'} (after-side digest {digest})")
    sys.exit(0 if all_same else 1)


if __name__ == "__main__":
    main()
