"""`curate runs`: the local registry: every evaluation (run, test set by fingerprint, headline
metrics, when), with how many times each test set has been scored. Registry:
$CURATE_HOME/registry.sqlite (default ~/.curate/registry.sqlite).
"""

from __future__ import annotations

from curate.cliutil import console, print_json


def add_parser(sub):
    p = sub.add_parser("runs", help="list evaluated runs and which test sets were scored when", description=__doc__)
    p.add_argument("--test", help="only evaluations of test sets whose fingerprint starts with this")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    import time
    from pathlib import Path

    from rich.table import Table

    from train.registry import list_evals, registry_path

    evals = list_evals()
    if args.test:
        evals = [e for e in evals if e["test_fingerprint"].startswith(args.test)]
    if args.json:
        print_json(evals)
        return 0
    if not evals:
        console.print(f"no evaluations recorded in {registry_path()}")
        return 0
    t = Table(title=f"evaluations in {registry_path()}")
    for col in ("#", "scored at", "run", "task", "config", "test set", "fingerprint", "times scored", "metrics"):
        t.add_column(col)
    for e in evals:
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in e["metrics"].items() if isinstance(v, (int, float)))
        t.add_row(str(e["id"]), time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e["scored_at"])),
                  Path(e["run_path"]).name, e["task"] or "", e["config_hash"] or "", e["test_name"] or e["test_path"],
                  e["test_fingerprint"][:12], str(e["times_scored"]), metrics,
                  style="yellow" if e["times_scored"] > 1 else None)
    console.print(t)
    reused = {e["test_fingerprint"] for e in evals if e["times_scored"] > 1}
    if reused:
        console.print(f"[yellow]{len(reused)} test set(s) scored more than once (yellow): if those scores chose "
                      "between runs, they are validation scores now[/yellow]")
    return 0
