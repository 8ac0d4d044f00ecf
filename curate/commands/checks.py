"""`curate checks`: every registered check with its description, parameters and defaults."""

from __future__ import annotations

from curate.cliutil import console, print_json


def add_parser(sub):
    p = sub.add_parser("checks", help="list the checks a rules file can use", description=__doc__)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from curate.checks import load_all

    checks = load_all()
    rows = [{"check": c.name, "description": c.description, "needs": list(c.needs), "formats": c.formats,
             "fix": c.fix, "params": {k: {"type": getattr(t, "__name__", str(t)), "default": d} for k, (t, d) in c.params.items()}}
            for c in sorted(checks.values(), key=lambda c: c.name)]
    if args.json:
        print_json(rows)
        return 0
    t = Table(title=f"{len(rows)} registered checks", title_justify="left")
    for col in ("check", "description", "parameters (default)", "stages", "clean fix"):
        t.add_column(col, overflow="fold")
    for r in rows:
        params = ", ".join(f"{k}={v['default']!r}" for k, v in r["params"].items())
        t.add_row(r["check"], escape(r["description"]), escape(params), ", ".join(r["needs"]), r["fix"] or "")
    console.print(t)
    return 0
