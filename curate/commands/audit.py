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
    p.add_argument("--out", help="output folder (default ./curate-out/<file name>-<8 hex of the data's fingerprint>/)")
    p.add_argument("--no-cache", action="store_true", help="recompute every signal")
    p.add_argument("--num-proc", type=int, default=None,
                   help="processes for row-local stages (default: every core)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None,
                   help="where models run: auto (a GPU when there is one; the default), cpu, cuda (error without one)")
    p.add_argument("--all", action="store_true", dest="all_rules",
                   help="print every rule (default: failed, warned and info rules; passing ones on one line)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="where stages run: this process (local) or Ray Data (ray; pip install 'curate[ray]')")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --engine ray: the cluster to join (auto, ray://HOST:10001); default: a local Ray")
    p.add_argument("--ray-workers", type=int, metavar="N",
                   help="with --engine ray: tasks/actors per stage (default: the cluster's CPUs)")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.markup import escape

    from curate.audit import run_audit
    from curate.cliutil import default_out_dir
    from curate.errors import CurateError
    from curate.load import load_dataset
    from curate.load.benchmarks import load_eval_sets
    from curate.progress import terminal_progress
    from curate.report import write_outputs
    from curate.rules import load_rules

    if args.out:
        check_out_dir(args.out)  # a bad --out is found now, not after a minutes-long audit
    if args.num_proc is not None and args.num_proc < 1:
        raise CurateError(f"--num-proc {args.num_proc}: must be at least 1", fix="pass --num-proc 1 (or more)")
    if args.engine != "ray" and (args.ray_address or args.ray_workers):
        raise CurateError("--ray-address and --ray-workers need --engine ray", fix="add --engine ray")
    if args.ray_workers is not None and args.ray_workers < 1:
        raise CurateError(f"--ray-workers {args.ray_workers}: must be at least 1", fix="pass --ray-workers 1 (or more)")
    if args.device:
        import os

        from curate.engine.device import check_device

        os.environ["CURATE_DEVICE"] = check_device(args.device)  # read where a model loads (curate/engine/device.py)
    load_rules(args.rules)  # a broken rules file is reported before the data is read
    with terminal_progress() as progress:
        progress.phase("read", total=None)  # a large file takes a while to parse and fingerprint
        ds = load_from_args(args)
        evals = load_eval_sets(args.eval)  # bad eval/reference input fails here, before any output exists
        if args.reference:
            load_dataset(args.reference)
        others = [e.path for e in evals] + ([args.reference] if args.reference else [])
        out = check_out_dir(args.out or default_out_dir(ds))
        refuse_overwrite([out / n for n in ("audit.json", "signals.parquet", "embeddings.npy", "report.md",
                                            "report.html", "invalid.jsonl")], inputs=[args.data, *others])
        engine = None
        if args.engine == "ray":
            from curate.engine.ray_engine import RayEngine

            engine = RayEngine.connect(args.ray_address, args.ray_workers)
        try:
            result = run_audit(ds, eval=evals, reference=args.reference, rules=args.rules,
                               use_cache=not args.no_cache, num_proc=args.num_proc, device=args.device,
                               progress=progress, engine=engine)
        finally:
            if engine is not None:
                engine.close()
        progress.phase("report", total=None)
        out = write_outputs(result, out)
    print_verdict(result, console, all_rules=args.all_rules)
    if ds.invalid:  # write_outputs wrote them to invalid.jsonl
        err_console.print(f"{len(ds.invalid)} invalid record(s) skipped (--skip-invalid), with reasons: "
                          f"{out / 'invalid.jsonl'}", style="yellow", markup=False, soft_wrap=True)
    console.print(f"report: {out / 'report.html'}  ·  {out / 'audit.json'}  ·  {out / 'report.md'}", markup=False)
    return 0 if result.passed else 1


NARROW = 110  # columns below which the rule table becomes a list


def print_verdict(result, con, *, all_rules: bool = False) -> None:
    """The verdict first, then what needs a person: failed and warned rules in a table, info findings
    one line each, passing and skipped rules one line each. `all_rules`: every rule in the table."""
    from rich.markup import escape as rich_escape
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from curate.report.sanitize import Sanitizer

    san = getattr(result, "sanitizer", None) or Sanitizer.from_result(result)  # CI logs are outputs too

    def escape(s: str) -> str:
        return rich_escape(san.prose(s))

    ds, g = result.dataset, result.gate
    con.print(f"[bold]curate audit[/bold]: {escape(ds.name)} ({len(ds):,} records, {ds.format}); "
              f"{escape(ds.mapping.explain())}", soft_wrap=True)
    if g["passed"]:
        con.print("[bold green]gate PASSED[/bold green]" + (f" with warnings: {escape(', '.join(g['warned_rules']))}"
                                                            if g["warned_rules"] else ""), soft_wrap=True)
    else:
        con.print(f"[bold red]gate FAILED[/bold red]: {escape(', '.join(g['failed_rules'] + g['reasons']))}",
                  soft_wrap=True)

    def status(o) -> str:
        return "warn" if o.status == "fail" and o.severity == "warn" else o.status

    order = {"error": 0, "fail": 1, "warn": 2, "info": 3, "pass": 4, "skipped": 5}  # what needs a person first
    shown = sorted((o for o in result.outcomes if all_rules or status(o) in ("error", "fail", "warn")),
                   key=lambda o: order[status(o)])
    color = {"pass": "green", "fail": "red", "warn": "yellow", "error": "magenta", "skipped": "dim", "info": "cyan"}
    if shown and (con.width or 80) < NARROW:
        # a table of seven columns in 80 folds every rule name over three lines: a list reads better
        for o in shown:
            st = status(o)
            con.print(f"[{color[st]}]{st:>7}[/{color[st]}]  [bold]{escape(o.rule)}[/bold]  {len(o.flagged):,} flagged; "
                      f"value {escape(fmt_value(o.value))}, threshold {escape(fmt_value(o.threshold))}", soft_wrap=True)
            con.print(Padding(Text(san.prose(o.message)), (0, 0, 0, 9), expand=False), overflow="fold")  # wrapped lines indented too
    elif shown:
        t = Table(title_justify="left")
        for c in ("rule", "severity", "status", "value", "threshold", "flagged", "finding"):
            t.add_column(c, justify="right" if c in ("value", "threshold", "flagged") else "left",
                         overflow="fold", max_width=60 if c == "finding" else None, no_wrap=c == "rule")
        for o in shown:
            st = status(o)
            t.add_row(escape(o.rule), o.severity, f"[{color[st]}]{st}[/{color[st]}]", fmt_value(o.value),
                      fmt_value(o.threshold), f"{len(o.flagged):,}", escape(o.message))
        con.print(t)
    if all_rules:
        return
    info = [o for o in result.outcomes if status(o) == "info"]
    if info:
        con.print("[cyan]information[/cyan] (not part of the gate):")
        for o in info:  # one line each: the report holds the tables and examples
            con.print(Text.assemble("  ", (san.prose(o.rule), "cyan"),
                                    (": " + san.prose(o.message).replace("\n", " ")) if o.message else ""),
                      no_wrap=True, overflow="ellipsis")
    width = max(60, (con.width or 100) - 2)
    passed = [san.prose(o.rule) for o in result.outcomes if status(o) == "pass"]
    if passed:
        con.print(Text(one_line(f"{len(passed)} rule{'s' if len(passed) != 1 else ''} passed", passed, width),
                       style="green"), no_wrap=True, overflow="ellipsis")
    skipped: dict[str, list[str]] = {}  # why -> rules: "applies to classification data" once for three rules
    for o in result.outcomes:
        if status(o) == "skipped":
            skipped.setdefault(san.prose(o.message), []).append(san.prose(o.rule))
    if skipped:
        n = sum(len(v) for v in skipped.values())
        head = f"{n} rule{'s' if n != 1 else ''} skipped"
        line = f"{head}: " + "; ".join(", ".join(rules) + (f" ({why})" if why else "") for why, rules in skipped.items())
        if len(line) > width:  # the reasons do not all fit: the names do (--all and the report give the reasons)
            line = one_line(head, [r for rules in skipped.values() for r in rules], width)
        con.print(Text(line, style="dim"), no_wrap=True, overflow="ellipsis")
    con.print("(--all prints every rule; report.html has the evidence)", style="dim")


def one_line(head: str, items: list[str], width: int, sep: str = ", ") -> str:
    """'28 rules passed: a, b, c, … (+25 more)': as many items as fit in `width` characters."""
    line = f"{head}: "
    for i, item in enumerate(items):
        rest = len(items) - i - 1
        tail = f"{sep}… (+{rest} more)" if rest else ""
        if i and len(line) + len(item) + len(tail) > width:
            return line[: -len(sep)] + f"{sep}… (+{len(items) - i} more)"
        line += item + (sep if rest else "")
    return line
