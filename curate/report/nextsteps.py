"""Next steps: the exact `curate clean` command for this audit, and what it will do, per rule.

What clean does with a rule's records comes from the rule's check (`fix` in the registry) and
`curate.clean.plan_fixes`, the same plan clean itself follows, so the counts shown are the counts
clean will act on.
"""

from __future__ import annotations

import shlex
from pathlib import Path

ACTION = {"drop": "drop to quarantine.jsonl", "scrub_pii": "scrub the PII", "fix_text": "repair the text"}


def _records(n: int) -> str:
    return "1 record" if n == 1 else f"{n:,} records"


def _rules_name(path: str) -> str:
    """A shipped rule set by its name (`default`), as a person types it; any other file by its path."""
    from curate.rules.load import RULES_DIR

    p = Path(path)
    try:
        shipped = p.suffix in (".yaml", ".yml") and p.resolve().parent == RULES_DIR.resolve()
    except OSError:
        shipped = False
    return p.stem if shipped else path


def clean_command(doc: dict, out_dir, fix_warned: bool = False) -> str:
    """`curate clean DATA --rules RULES [--eval ...] [--reference ...] --out DIR` for this audit (sanitised paths)."""
    parts = ["curate", "clean", doc["dataset"]["path"], "--rules", _rules_name(doc["rules_file"])]
    if doc["eval_sets"]:
        parts += ["--eval", *[e["path"] for e in doc["eval_sets"]]]
    if doc["reference"]:
        parts += ["--reference", doc["reference"]["path"]]
    parts += ["--out", f"{out_dir}-clean" if out_dir else f"curate-out/{doc['dataset']['name']}-clean"]
    if fix_warned:
        parts.append("--fix-warned")
    return " ".join(shlex.quote(str(p)) for p in parts)


def next_steps(result, doc: dict, out_dir=None) -> dict:
    """{command, command_warned, rows: [{rule, severity, flagged, action, kind}], totals}."""
    from curate.checks import CHECKS
    from curate.clean import plan_fixes

    plan = plan_fixes(result)
    warned = plan_fixes(result, fix_warned=True)
    dropped = set(plan["drop"])
    rows = []
    for o in result.outcomes:
        fix = CHECKS[o.check].fix if o.check in CHECKS else None
        n = len(o.flagged)
        if o.severity == "info" or (n == 0 and o.status != "fail"):
            continue
        if not n:  # a dataset-level finding (a share, a balance) with no record to act on
            action, kind = "needs a person: a finding about the data as a whole, no record to change", "person"
        elif fix == "fix_text":
            action, kind = f"{ACTION[fix]} of {_records(n)}", "repair"
        elif fix and o.severity == "error":
            action, kind = f"{ACTION[fix]}: {_records(n)}", "drop" if fix == "drop" else "scrub"
        elif fix:
            action, kind = (f"needs a person: clean leaves {'this record' if n == 1 else f'these {n:,} records'} "
                            f"unless run with --fix-warned ({ACTION[fix]})"), "person"
        else:
            action, kind = f"needs a person: clean cannot fix this; read the {_records(n)} in the browser", "person"
        rows.append({"rule": o.rule, "severity": o.severity, "flagged": n, "action": action, "kind": kind})
    totals = {"drop": len(dropped), "scrub": len(set(plan["scrub_pii"]) - dropped),
              "repair": len(set(plan["fix_text"]) - dropped),
              "drop_warned": len(set(warned["drop"])) - len(dropped)}
    out = Path(str(out_dir)) if out_dir else None
    return {"command": clean_command(doc, out), "command_warned": clean_command(doc, out, fix_warned=True)
            if totals["drop_warned"] > 0 or len(warned["scrub_pii"]) > len(plan["scrub_pii"]) else "",
            "rows": rows, "totals": totals}
