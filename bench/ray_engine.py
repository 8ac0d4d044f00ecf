"""Local engine vs `--engine ray` with 1 and 2 workers on the same data: seconds per stage, the ratio,
and whether the signals and the gate are identical (Ray on one machine may be slower; it must not
be wrong).

    python bench/ray_engine.py sample_data/support_sft.jsonl                     # default rules
    python bench/ray_engine.py --generate 20000 /tmp/gen20k.jsonl --rules row_local
    python bench/ray_engine.py /tmp/gen20k.jsonl --rules row_local --workers 1 2

Every run gets a cold signal cache and a cold vector cache of its own (the converted models are
shared: `$CURATE_CACHE_DIR/models`). `--rules row_local` is the default rules without the three
model stages (pii, lengths, embeddings), for files where those take hours on a small machine.
Ray's start-up (`ray.init`) is timed apart from the audit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROW_LOCAL_RULES = """# python bench/ray_engine.py DATA --rules row_local
rules:
  - {check: require_valid_structure, severity: error}
  - {check: max_exact_duplicate_rate, severity: error, params: {max_rate: 0.0}}
  - {check: max_near_duplicate_rate, severity: error, params: {max_rate: 0.01}}
  - {check: max_conflicting_answers, severity: warn}
  - {check: max_empty_or_placeholder_answers, severity: error}
  - {check: max_template_token_leaks, severity: error}
  - {check: max_unanswerable_prompts, severity: error, params: {max_rate: 0.01}}
  - {check: max_refusal_answers, severity: error, params: {max_rate: 0.01}}
  - {check: max_control_char_records, severity: warn}
  - {check: max_mojibake_records, severity: warn}
  - {check: max_repetition, severity: warn, params: {max_rate: 0.01}}
  - {check: max_arithmetic_errors, severity: warn}
  - {check: max_off_language_records, severity: warn}
"""

WORDS = ("account balance card transfer payment invoice refund order delivery address password login "
         "statement fee limit loan savings branch phone app update setting notification security device "
         "travel currency exchange rate interest deposit withdrawal cheque dispute merchant receipt").split()
ASKS = ["How do I {} my {}?", "Why was my {} {} declined?", "Can you explain the {} for {}?",
        "What happens to my {} after the {}?", "Where can I see the {} of my {}?"]


def generate(n: int, path: Path, seed: int = 0) -> Path:
    """A seeded SFT file: ~60-word answers, 2% exact copies, 2% near copies (one word changed), 1% e-mails."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        r = rng.random()
        if rows and r < 0.02:
            rows.append({**rng.choice(rows), "id": f"g{i}"})
            continue
        if rows and r < 0.04:
            src = rng.choice(rows)
            words = src["output"].split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            rows.append({**src, "id": f"g{i}", "output": " ".join(words)})
            continue
        ask = rng.choice(ASKS).format(rng.choice(WORDS), rng.choice(WORDS))
        answer = " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."
        if r < 0.05:
            answer += f" Write to support{i}@example.com for help."
        rows.append({"id": f"g{i}", "instruction": ask, "input": "", "output": answer})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_once(data: str, rules: str, workers: int | None, cache_root: Path, models: Path | None) -> dict:
    """One audit with a cold cache; workers None = the local engine."""
    from curate.audit import run_audit
    from curate.load import load_dataset

    cache = Path(tempfile.mkdtemp(prefix="ray-bench-", dir=cache_root))
    if models and models.exists():
        (cache / "models").symlink_to(models)
    os.environ["CURATE_CACHE_DIR"] = str(cache)
    ds = load_dataset(data)
    engine, t_init = None, 0.0
    if workers:
        from curate.engine.ray_engine import RayEngine

        t0 = time.perf_counter()
        engine = RayEngine.connect(None, workers)
        t_init = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        res = run_audit(ds, rules=rules, use_cache=False, engine=engine)
    finally:
        if engine is not None:
            engine.close()
    return {"engine": f"ray x{workers}" if workers else "local", "init_s": round(t_init, 1),
            "audit_s": round(time.perf_counter() - t0, 1),
            "stages": {r.name: round(r.seconds, 1) for r in res.stage_runs},
            "signals": {c: [repr(v) for v in res.signals[c].tolist()] for c in res.signals.columns},
            "flagged": {o.rule: sorted(o.flagged) for o in res.outcomes}, "passed": res.passed, "records": len(ds)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?")
    ap.add_argument("--rules", default="default", help="a rules file or name; row_local: default without model stages")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--generate", nargs=2, metavar=("N", "PATH"), help="write a seeded N-record SFT file and use it")
    ap.add_argument("--json", help="write the timings here")
    args = ap.parse_args(argv)
    data = str(generate(int(args.generate[0]), Path(args.generate[1]))) if args.generate else args.data
    if not data:
        ap.error("give DATA or --generate N PATH")
    rules = args.rules
    if rules == "row_local":
        rules_file = Path(tempfile.mkdtemp()) / "row_local.yaml"
        rules_file.write_text(ROW_LOCAL_RULES)
        rules = str(rules_file)
    base = Path(os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate")
    models = base / "models"
    root = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    runs = [run_once(data, rules, None, root, models)]
    for w in args.workers:
        runs.append(run_once(data, rules, w, root, models))
    ref = runs[0]
    print(f"{data}: {ref['records']} records, rules {args.rules}")
    names = list(ref["stages"])
    print(f"{'stage':<14}" + "".join(f"{r['engine']:>12}" for r in runs))
    for s in names:
        print(f"{s:<14}" + "".join(f"{r['stages'].get(s, 0):>12.1f}" for r in runs))
    print(f"{'audit':<14}" + "".join(f"{r['audit_s']:>12.1f}" for r in runs))
    print(f"{'ray.init':<14}" + "".join(f"{r['init_s']:>12.1f}" for r in runs))
    for r in runs[1:]:
        same_cols = [c for c in ref["signals"] if ref["signals"][c] != r["signals"].get(c)]
        print(f"{r['engine']}: {r['audit_s'] / ref['audit_s']:.2f}x the local audit time "
              f"({(r['audit_s'] + r['init_s']) / ref['audit_s']:.2f}x with ray.init); "
              f"signals identical: {not same_cols}{' (differ: ' + ', '.join(same_cols) + ')' if same_cols else ''}; "
              f"flagged ids per rule identical: {r['flagged'] == ref['flagged']}; gate {r['passed']} vs {ref['passed']}")
    if args.json:
        Path(args.json).write_text(json.dumps([{k: v for k, v in r.items() if k != "signals"} for r in runs], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
