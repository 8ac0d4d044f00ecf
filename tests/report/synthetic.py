"""A generated audit result at any size, for report tests that must not take minutes.

The records are real canonical records (written to a JSONL file and loaded by curate's loader);
the signals and rule outcomes are built the way the stages and checks would leave them: near
duplicates pointing at a kept record with their Jaccard, e-mail spans with offsets, one rule per
kind of finding, a share of records flagged by several.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pandas as pd

TOPICS = ["refund", "password reset", "shipping delay", "invoice", "two-factor codes", "account deletion",
          "subscription plan", "order tracking", "gift card", "address change"]
WORDS = ("please could you help me with my order it has not arrived yet and the tracking page shows nothing new "
         "since last week i paid with a card and would like to know when it ships").split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def big_result(n: int = 50_000, seed: int = 0):
    from curate.audit import AuditResult
    from curate.load import load_dataset
    from curate.rules.gate import RuleOutcome, gate_summary
    from curate.rules.load import load_rules

    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="curate-big-"))
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        rows.append({"id": f"rec-{i:06d}", "instruction": f"Question about {topic}: {_text(rng, 14)}",
                     "output": f"About {topic}: {_text(rng, 30)}."
                               + (f" Write to support-{i % 97}@example.com if it persists." if i % 5 == 0 else "")})
    path = folder / "big_support.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_dataset(path)
    ids = ds.ids
    rules = load_rules("default")
    by_name = {r.name: r for r in rules.rules}

    near_of, near_j, spans = [None] * n, [None] * n, [[] for _ in range(n)]
    outcomes, flags = [], {i: [] for i in ids}

    def outcome(rule: str, flagged: list[int], evidence, status: str = "fail") -> None:
        r = by_name[rule]
        fl = [ids[k] for k in flagged]
        ev = {ids[k]: evidence(k) for k in flagged}
        o = RuleOutcome(rule=rule, check=r.check, severity=r.severity, status=status, value=len(fl) / n,
                        threshold=r.params.get("max_rate"), flagged=[] if r.severity == "info" else fl,
                        noted=fl if r.severity == "info" else [], evidence=ev,
                        message=f"{len(fl)} of {n} records ({len(fl) / n:.1%})")
        outcomes.append(o)
        if status == "fail" and r.severity != "info":
            for rid in fl:
                flags[rid].append(rule)

    dups = list(range(1, n, 7))  # every 7th record repeats the one before it, a few words changed
    for k in dups:
        near_of[k], near_j[k] = ids[k - 1], 0.8 + (k % 19) / 100
    outcome("max_near_duplicate_rate", dups, lambda k: f"Jaccard {near_j[k]:.3f} to kept {ids[k - 1]}")
    pii = list(range(0, n, 5))
    for k in pii:
        text = ds.records[k]["response"]
        at = text.index("support-")
        spans[k] = [{"field": "output", "start": at, "end": text.index(" if it"), "entity_type": "EMAIL_ADDRESS",
                     "score": 1.0}]
    outcome("require_no_pii_in_answers", pii, lambda k: "EMAIL_ADDRESS in output")
    outcome("max_truncated_answers", list(range(3, n, 11)), lambda k: "answer ends mid-sentence: '" +
            ds.records[k]["response"].split(" Write to")[0][-30:] + "'")
    outcome("max_repetition", list(range(2, n, 13)), lambda k: "the same 4 words repeat 5 times")
    for r in rules.rules:  # every other rule passes, as on clean data
        if r.name not in {o.rule for o in outcomes}:
            outcomes.append(RuleOutcome(rule=r.name, check=r.check, severity=r.severity,
                                        status="info" if r.severity == "info" else "pass", value=0.0,
                                        message="no finding"))
    signals = pd.DataFrame({"id": ids, "near_dup_of": near_of, "near_dup_jaccard": near_j, "pii_spans": spans})
    signals["flagged_by"] = [flags[i] for i in ids]
    return AuditResult(ds, rules, signals, outcomes, gate_summary(outcomes, n))
