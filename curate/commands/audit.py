"""`curate audit DATA [--eval FILE|FOLDER...] [--reference FILE] [--rules FILE] [--out DIR]`.

Exit 0 when the gate passes, 1 when it fails, 2 for bad input or configuration.
"""

from __future__ import annotations

from curate.cliutil import add_load_args, check_out_dir, console, err_console, load_from_args, refuse_overwrite
from curate.report.write import fmt_value


def add_parser(sub):
    p = sub.add_parser("audit", help="compute signals, apply the rules, write the report; exit 0 pass / 1 fail",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--eval", action="extend", nargs="+", default=[], metavar="FILE",
                   help="eval/test sets or benchmarks to check for leakage and 13-gram contamination: files, "
                        "folders of benchmark files, hub ids (several after one --eval, or repeat it)")
    p.add_argument("--reference", metavar="FILE", help="reference set (production queries) for coverage")
    p.add_argument("--rules", default="default", help="rules file, or a shipped name: default, strict, instruction, "
                                                      "classification (default: default)")
    p.add_argument("--out", help="output folder (default ./curate-out/<dataset-name>/)")
    p.add_argument("--no-cache", action="store_true", help="recompute every signal")
    p.add_argument("--num-proc", type=int, default=1, help="processes for row-local stages")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None,
                   help="where models run: auto (a GPU when there is one; the default), cpu, cuda (error without one)")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.markup import escape

    from curate.audit import default_out_dir, run_audit
    from curate.errors import CurateError
    from curate.load import load_dataset
    from curate.load.benchmarks import load_eval_sets
    from curate.report import write_outputs
    from curate.rules import load_rules

    if args.out:
        check_out_dir(args.out)  # a bad --out is found now, not after a minutes-long audit
    if args.num_proc < 1:
        raise CurateError(f"--num-proc {args.num_proc}: must be at least 1", fix="pass --num-proc 1 (or more)")
    if args.device:
        import os

        from curate.engine.device import check_device

        os.environ["CURATE_DEVICE"] = check_device(args.device)  # read where a model loads (curate/engine/device.py)
    load_rules(args.rules)  # a broken rules file is reported before the data is read
    ds = load_from_args(args)
    evals = load_eval_sets(args.eval)  # bad eval/reference input fails here, before any output exists
    if args.reference:
        load_dataset(args.reference)
    others = [e.path for e in evals] + ([args.reference] if args.reference else [])
    out = check_out_dir(args.out or default_out_dir(ds))
    refuse_overwrite([out / n for n in ("audit.json", "signals.parquet", "report.md", "report.html", "invalid.jsonl")],
                     inputs=[args.data, *others])
    with err_console.status("auditing…") as status:
        result = run_audit(ds, eval=evals, reference=args.reference, rules=args.rules,
                           use_cache=not args.no_cache, num_proc=args.num_proc,
                           progress=lambda msg: status.update(f"auditing: {msg}"))
    out = write_outputs(result, out)
    print_verdict(result, console)
    if ds.invalid:  # write_outputs wrote them to invalid.jsonl
        err_console.print(f"{len(ds.invalid)} invalid record(s) skipped (--skip-invalid), with reasons: "
                          f"{out / 'invalid.jsonl'}", style="yellow", markup=False, soft_wrap=True)
    console.print(f"report: {out / 'report.html'}  ·  {out / 'audit.json'}  ·  {out / 'report.md'}", markup=False)
    return 0 if result.passed else 1


def print_verdict(result, con) -> None:
    from rich.markup import escape as rich_escape
    from rich.table import Table

    from curate.report.sanitize import Sanitizer

    san = getattr(result, "sanitizer", None) or Sanitizer.from_result(result)  # CI logs are outputs too

    def escape(s: str) -> str:
        return rich_escape(san.prose(s))

    ds = result.dataset
    t = Table(title=f"curate audit: {escape(ds.name)} ({len(ds)} records, {ds.format})\n{escape(ds.mapping.explain())}",
              title_justify="left")
    for c in ("rule", "severity", "status", "value", "threshold", "flagged", "finding"):
        t.add_column(c, justify="right" if c in ("value", "threshold", "flagged") else "left",
                     overflow="fold", max_width=60 if c == "finding" else None)
    style = {"pass": "green", "fail": "red", "error": "magenta", "skipped": "dim", "info": "cyan"}
    for o in result.outcomes:
        st = "warn" if o.status == "fail" and o.severity == "warn" else o.status
        color = "yellow" if st == "warn" else style[o.status]
        t.add_row(escape(o.rule), o.severity, f"[{color}]{st}[/{color}]", fmt_value(o.value), fmt_value(o.threshold),
                  str(len(o.flagged)), escape(o.message))
    con.print(t)
    g = result.gate
    if g["passed"]:
        con.print("[bold green]gate PASSED[/bold green]" + (f" with warnings: {', '.join(g['warned_rules'])}" if g["warned_rules"] else ""))
    else:
        why = g["failed_rules"] + g["reasons"]
        con.print(f"[bold red]gate FAILED[/bold red]: {escape(', '.join(why))}")
    if g.get("info_rules"):
        con.print(f"[cyan]information[/cyan] (not part of the gate): {escape(', '.join(g['info_rules']))}")

