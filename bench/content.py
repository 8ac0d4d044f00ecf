"""Content checks: speed per stage on sample_data, and the arithmetic check over all of GSM8K
compared side by side with a naive `a op b = c` regex (the baseline most scripts use).

Run: .venv/bin/python bench/content.py   (needs sample_data/ and ../shared/data/gsm8k_alpaca/)
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import curate.content.checks  # noqa: E402,F401  (registers the stages)
from curate.content.arithmetic import check_text  # noqa: E402
from curate.load import load_dataset  # noqa: E402
from curate.stages import STAGES, run_stage  # noqa: E402

GSM8K = ROOT.parent / "shared" / "data" / "gsm8k_alpaca" / "gsm_8k_train.json"
NAIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([-+*/x])\s*(\d+(?:\.\d+)?)\s*=\s*\$?(\d+(?:\.\d+)?)")


def naive(text: str) -> tuple[int, list]:
    """The usual quick check: one binary operation, exact result, no units, variables or rounding."""
    checked, wrong = 0, []
    for a, op, b, c in NAIVE.findall(text.replace(",", "")):
        a, b, c = float(a), float(b), float(c)
        try:
            v = {"+": a + b, "-": a - b, "*": a * b, "x": a * b, "/": a / b}[op]
        except ZeroDivisionError:
            continue
        checked += 1
        if abs(v - c) > 1e-6:
            wrong.append(f"{a:g} {op} {b:g} = {c:g}")
    return checked, wrong


def stage_timings():
    ds = load_dataset(ROOT / "sample_data" / "support_sft.jsonl")
    print(f"\nstages on sample_data/support_sft.jsonl ({len(ds)} chat records), no cache")
    print(f"{'stage':<10} {'seconds':>8} {'records/s':>10}")
    for name in ("structure", "answers", "prompts", "hygiene", "verify", "language", "lengths"):
        t = time.perf_counter()
        run_stage(STAGES[name], ds, use_cache=False)
        s = time.perf_counter() - t
        print(f"{name:<10} {s:8.2f} {len(ds) / s:10.0f}")
    print("(lengths includes loading the Gemma tokenizer once, ~4-12 s on this machine)")


def gsm8k():
    data = json.loads(GSM8K.read_text())
    print(f"\narithmetic over GSM8K train ({len(data)} records)")
    rows = []
    for label, fn in (("curate", check_text), ("naive regex", naive)):
        t = time.perf_counter()
        checked, records, claims, examples = 0, 0, 0, []
        for i, r in enumerate(data):
            n, errs = fn(r["output"])
            checked += n
            if errs:
                records += 1
                claims += len(errs)
                examples.append((i, errs[0]))
        rows.append((label, time.perf_counter() - t, checked, records, claims, examples))
    print(f"{'method':<12} {'seconds':>8} {'equations':>10} {'records flagged':>16} {'wrong claims':>13}")
    for label, s, checked, records, claims, _ in rows:
        print(f"{label:<12} {s:8.2f} {checked:10d} {records:16d} {claims:13d}")
    for label, *_, examples in rows:
        print(f"\nfirst flags, {label}:")
        for i, e in examples[:8]:
            shown = f"{e['expression']} = {e['claimed']} (actually {e['actual']})" if isinstance(e, dict) else e
            print(f"  record {i}: {shown}")


if __name__ == "__main__":
    if GSM8K.exists():
        gsm8k()
    if (ROOT / "sample_data" / "support_sft.jsonl").exists():
        stage_timings()
