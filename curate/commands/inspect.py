"""`curate inspect DATA`: detected format, field mapping, counts, length stats, labels."""

from __future__ import annotations

from curate.cliutil import add_load_args, console, default_out_dir, err_console, load_from_args, print_json


def add_parser(sub):
    p = sub.add_parser("inspect", help="show a dataset's format, mapping, counts and length statistics",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--quarantine", help="where --skip-invalid writes invalid records "
                                        "(default ./curate-out/<name>-<fingerprint>/invalid.jsonl)")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.markup import escape

    from curate.inspect import render, summarize
    from curate.load import write_invalid

    ds = load_from_args(args)
    summary = summarize(ds)
    if ds.invalid:
        q = write_invalid(ds, args.quarantine or default_out_dir(ds) / "invalid.jsonl")
        summary["quarantine"] = str(q)
        err_console.print(f"{len(ds.invalid)} invalid record(s) moved to {q}", style="yellow", markup=False)
    if args.json:
        print_json(summary)
    else:
        render(summary, console)
    return 0
