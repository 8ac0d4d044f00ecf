"""`curate clean DATA --out DIR`: fix what the rules flag; quarantine what cannot be fixed.

Writes DIR/<data file> (same format as the input), quarantine.jsonl (every removed record with its
original content, reason and evidence), changes.jsonl (every change to a kept record) and
manifest.json (counts). Input records = kept + quarantined, always.
"""

from __future__ import annotations

from curate.cliutil import add_load_args, check_out_dir, console, err_console, load_from_args, refuse_overwrite


def add_parser(sub):
    p = sub.add_parser("clean", help="write the repaired dataset plus a quarantine of every removed record",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--rules", default="default", help="rules whose flagged records are fixed (default: default)")
    p.add_argument("--eval", action="extend", nargs="+", default=[], metavar="FILE",
                   help="eval sets / benchmarks: files, folders, hub ids (leaked and contaminated records are dropped)")
    p.add_argument("--reference", metavar="FILE", help="reference set, for rules that need one")
    p.add_argument("--pii-mode", default="redact", choices=["redact", "mask", "pseudonymize", "drop"],
                   help="how PII is scrubbed (default: redact, e.g. <EMAIL_ADDRESS>)")
    p.add_argument("--keep-pii-mapping", metavar="FILE",
                   help="with --pii-mode pseudonymize: save original->fake values to FILE (it holds the PII!)")
    p.add_argument("--seed", type=int, default=0, help="seed for pseudonyms")
    p.add_argument("--fix-warned", action="store_true",
                   help="also drop / scrub records flagged by warn rules (default: error rules only; "
                        "text repairs always apply)")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from rich.markup import escape
    from rich.table import Table

    from curate.audit import run_audit
    from curate.clean import clean, write_clean
    from curate.errors import CurateError
    from curate.load import load_dataset
    from curate.load.benchmarks import load_eval_sets
    from curate.progress import terminal_progress
    from curate.rules import load_rules
    from curate.writers import output_path

    if args.keep_pii_mapping and args.pii_mode != "pseudonymize":
        raise CurateError("--keep-pii-mapping only applies with --pii-mode pseudonymize",
                          fix="add --pii-mode pseudonymize, or drop --keep-pii-mapping")
    check_out_dir(args.out)
    load_rules(args.rules)
    with terminal_progress() as progress:
        progress.phase("read", total=None)
        ds = load_from_args(args)
        evals = load_eval_sets(args.eval)  # bad eval/reference input fails here, before any output exists
        if args.reference:
            load_dataset(args.reference)
        others = [e.path for e in evals] + ([args.reference] if args.reference else [])
        # the quarantine is the only copy of what clean removes: never replace one, nor an input
        out = Path(args.out)
        targets = [output_path(ds, out), out / "quarantine.jsonl", out / "changes.jsonl", out / "manifest.json"]
        refuse_overwrite(targets + ([Path(args.keep_pii_mapping)] if args.keep_pii_mapping else []),
                         inputs=[args.data, *others],
                         earlier_run="an earlier `curate clean` wrote them, or another tool")
        result = run_audit(ds, eval=evals, reference=args.reference, rules=args.rules, progress=progress)
        crashed = [o.rule for o in result.outcomes if o.status == "error"]
        if crashed:
            raise CurateError(f"rules crashed, so their fixes are unknown: {', '.join(crashed)}",
                              fix="run `curate audit` to see the traceback in the report")
        progress.phase("clean", total=len(ds))
        cleaned = clean(result, pii_mode=args.pii_mode, seed=args.seed, fix_warned=args.fix_warned)
        m = write_clean(result, cleaned, args.out, pii_mode=args.pii_mode, mapping_file=args.keep_pii_mapping)
    from curate.report.sanitize import safe_name

    t = Table(title=f"curate clean: {escape(safe_name(ds.name))}", title_justify="left", show_header=False)
    for k in ("input", "kept", "quarantined", "changed_records", "changes"):
        t.add_row(k.replace("_", " "), str(m[k]))
    for k, v in m["quarantined_by_rule"].items():
        t.add_row(f"  quarantined: {escape(k)}", str(v))
    for k, v in m["changes_by_action"].items():
        t.add_row(f"  changed: {escape(k)}", str(v))
    console.print(t)
    if ds.invalid:
        err_console.print(f"{len(ds.invalid)} invalid record(s) skipped (--skip-invalid): in the quarantine with "
                          f"reasons ({args.out}/quarantine.jsonl)", style="yellow", markup=False, soft_wrap=True)
    console.print(f"cleaned data: {m['output']}  ·  quarantine: {args.out}/quarantine.jsonl  ·  changes: {args.out}/changes.jsonl",
                  markup=False)
    return 0
