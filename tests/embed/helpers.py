"""Tiny datasets and a one-call audit for the embedding tests (hashed bag-of-words embedder: no model)."""

from __future__ import annotations

import json

import yaml

FAKE = {"model": "hashing", "show_progress": False}

TOPICS = {
    "password": ["reset my password please {}", "i forgot my password and cannot log in {}", "password reset link {}"],
    "card": ["my card was stolen {}", "lost card need a new card {}", "block my stolen card {}"],
    "transfer": ["send money abroad transfer {}", "international transfer fee {}", "transfer limit for sending money {}"],
    "crypto": ["buy bitcoin crypto wallet {}", "sell my ethereum crypto {}", "crypto trading fees bitcoin {}"],
}
FILLERS = ["today", "now", "asap", "thanks", "quickly", "again", "please help", "urgent", "tonight", "this week",
           "right away", "for me"]


def texts(topic: str, n: int, offset: int = 0) -> list[str]:
    t = TOPICS[topic]
    return [t[i % len(t)].format(FILLERS[(i + offset) % len(FILLERS)]) for i in range(n)]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def prompts_file(path, items, prefix="r"):
    return write_jsonl(path, [{"id": f"{prefix}{i}", "prompt": t, "response": "ok."} for i, t in enumerate(items)])


def classification_file(path, items):
    """items: (text, label) pairs -> CSV file with text,label."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(items)
    return path


def audit(tmp_path, data, rules: list[dict], *, stages=None, eval=(), reference=None):
    from curate.audit import run_audit

    stages = stages or {"embed": dict(FAKE)}  # the embedding consumers take the embed stage's model
    rf = tmp_path / "rules.yaml"
    rf.write_text("# curate audit DATA --rules rules.yaml\n" + yaml.safe_dump({"stages": stages, "rules": rules}))
    res = run_audit(str(data), eval=[str(e) for e in eval], reference=str(reference) if reference else None, rules=str(rf))
    return {o.check: o for o in res.outcomes}, res
