"""`curate split DATA --out DIR`: seeded train/validation/test; duplicate clusters never straddle splits."""

from __future__ import annotations

import json

from curate.cliutil import add_load_args, check_out_dir, console, err_console, load_from_args, refuse_overwrite


def add_parser(sub):
    p = sub.add_parser("split", help="train/validation/test split that keeps near-duplicate clusters together",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--ratios", default="0.8,0.1,0.1", help="train,validation,test shares (default 0.8,0.1,0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-stratify", action="store_true", help="ignore labels")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from collections import Counter

    from rich.markup import escape
    from rich.table import Table

    from curate.checks import load_all
    from curate.errors import CurateError
    from curate.load import write_invalid
    from curate.split import assign_splits, duplicate_groups
    from curate.stages import STAGES, run_stage
    from curate.writers import output_path, write_rows

    try:
        ratios = [float(x) for x in args.ratios.split(",")]
    except ValueError:
        ratios = []
    if len(ratios) not in (2, 3) or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise CurateError(f"--ratios '{args.ratios}' must be 2 or 3 non-negative shares that sum to 1",
                          fix="e.g. --ratios 0.8,0.1,0.1 or --ratios 0.9,0.1")
    out = check_out_dir(args.out)
    ds = load_from_args(args)
    names = ["train", "validation", "test"][: len(ratios)]
    targets = [output_path(ds, out, name) for name in names] + [out / "split_manifest.json", out / "quarantine.jsonl"]
    # an earlier split (it left split_manifest.json) is derived again from its source; any other file is not ours
    ours = (out / "split_manifest.json").exists()
    refuse_overwrite(targets, inputs=[args.data], earlier_run=None if ours else "not written by `curate split`")
    load_all()
    if "dedup" not in STAGES:
        raise CurateError("the dedup stage is not available", fix="reinstall curate")
    from curate.progress import terminal_progress

    with terminal_progress() as progress:
        progress.phase("dedup", total=len(ds))  # duplicate clusters are kept whole in one split
        signals, _ = run_stage(STAGES["dedup"], ds)
    groups = duplicate_groups(ds.ids, signals)
    labels = [r["label"] for r in ds.records] if ds.format == "classification" and not args.no_stratify else None
    where = assign_splits(groups, labels, dict(zip(names, ratios)), args.seed)
    manifest = {"source": ds.path, "source_fingerprint": ds.fingerprint, "seed": args.seed,
                "ratios": dict(zip(names, ratios)), "groups": len(groups),
                "multi_record_groups": sum(1 for g in groups if len(g) > 1), "splits": {}}
    for name in names:
        idx = [i for i in range(len(ds)) if where[i] == name]
        path = write_rows(ds, [ds.raw[i] for i in idx], output_path(ds, out, name))
        manifest["splits"][name] = {"file": path.name, "records": len(idx),
                                    **({"labels": dict(Counter(labels[i] for i in idx))} if labels else {})}
    (out / "quarantine.jsonl").unlink(missing_ok=True)  # an earlier split's; this run's follows
    if ds.invalid:  # --skip-invalid: set aside with where and why, never dropped silently
        q = write_invalid(ds, out / "quarantine.jsonl")
        manifest["invalid_records"] = {"records": len(ds.invalid), "file": q.name}
    empty = [n for n in names if manifest["splits"][n]["records"] == 0 and dict(zip(names, ratios))[n] > 0]
    if empty:
        manifest["empty_splits"] = empty
    (out / "split_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    t = Table(title=f"curate split: {escape(ds.name)} ({len(ds)} records, {len(groups)} groups, "
                    f"{manifest['multi_record_groups']} duplicate clusters kept whole)", title_justify="left")
    t.add_column("split")
    t.add_column("records", justify="right")
    t.add_column("file")
    for name, s in manifest["splits"].items():
        t.add_row(name, str(s["records"]), escape(str(out / s["file"])))
    console.print(t)
    if ds.invalid:
        err_console.print(f"{len(ds.invalid)} invalid record(s) skipped (--skip-invalid), with reasons: "
                          f"{out / 'quarantine.jsonl'}", markup=False, style="yellow", soft_wrap=True)
    if empty:
        err_console.print(f"warning: {', '.join(empty)} got no records: {len(groups)} duplicate group(s) are too few "
                          f"for --ratios {args.ratios}", markup=False, style="yellow", soft_wrap=True)
    return 0
