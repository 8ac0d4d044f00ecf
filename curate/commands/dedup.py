"""`curate dedup DATA [--eval FILE]... [--explain ID] [--calibrate] [--threshold T] [--num-perm N]
[--shingle word|char] [--ngram N] [--fields F ...]`: duplicates, near-duplicates, leakage and conflicting answers.

Prints what was found with evidence (which record, which field, measured Jaccard); `--explain ID`
shows one record's cluster side by side with the differing words highlighted; `--calibrate`
shows sample pairs per similarity band and how many records each threshold would remove.
Exit 0 (this command reports; `curate audit` gates), 2 for bad input.
"""

from __future__ import annotations

from curate.cliutil import add_load_args, console, err_console, load_from_args, print_json, set_aside_invalid
from curate.dedup.config import DedupConfig, LeakageConfig

MAX_ROWS = 20


def add_parser(sub):
    d = DedupConfig()
    p = sub.add_parser("dedup", help="exact/near duplicates, eval leakage and conflicting answers, with evidence",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--eval", action="append", default=[], metavar="FILE",
                   help="eval/test set to check for leakage (repeatable)")
    p.add_argument("--explain", metavar="ID", help="show one record's cluster side by side, differences highlighted")
    p.add_argument("--calibrate", action="store_true",
                   help="sample verified pairs per similarity band and count what each threshold removes")
    p.add_argument("--threshold", type=float, default=d.threshold,
                   help=f"shingle Jaccard at/above which records are near-duplicates (default {d.threshold})")
    p.add_argument("--num-perm", type=int, default=d.num_perm, help=f"MinHash permutations (default {d.num_perm})")
    p.add_argument("--shingle", choices=["word", "char"], default=d.shingle,
                   help=f"word or character n-grams (default {d.shingle})")
    p.add_argument("--ngram", type=int, default=d.ngram, help=f"shingle size (default {d.ngram})")
    p.add_argument("--keep", choices=["first", "longest"], default=d.keep,
                   help="which record of a cluster is kept (default first)")
    p.add_argument("--fields", nargs="+", metavar="FIELD",
                   help="compare only these fields: prompt, response, or source field names (e.g. instruction)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--no-cache", action="store_true", help="recompute the signals")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from curate.checks import CheckContext
    from curate.dedup import checks as dc
    from curate.load import load_dataset
    from curate.progress import terminal_progress
    from curate.stages import STAGES, run_stage

    cfg = DedupConfig(threshold=args.threshold, num_perm=args.num_perm, shingle=args.shingle, ngram=args.ngram,
                      keep=args.keep, fields=args.fields)
    ds = load_from_args(args)
    set_aside_invalid(ds)
    evals = [load_dataset(p) for p in args.eval]
    if args.calibrate:
        return _calibrate(ds, cfg, args)
    with terminal_progress() as progress:
        progress.phase("dedup", total=len(ds))
        signals, _ = run_stage(STAGES["dedup"], ds, cfg, use_cache=not args.no_cache)
        if evals:
            lcfg = LeakageConfig(threshold=args.threshold, num_perm=args.num_perm, shingle=args.shingle,
                                 ngram=args.ngram)
            progress.phase("leakage", total=len(ds))
            leak, _ = run_stage(STAGES["leakage"], ds, lcfg, inputs={"eval": evals}, use_cache=not args.no_cache)
            signals["leaks_into"] = leak["leaks_into"]
    if args.explain:
        from curate.dedup.explain import explain

        explain(ds, signals, args.explain, console)
        return 0
    ctx = CheckContext(dataset=ds, eval_sets=evals)
    results = {"exact": dc.max_exact_duplicate_rate(signals, ctx), "near": dc.max_near_duplicate_rate(signals, ctx),
               "conflicts": dc.max_conflicting_answers(signals, ctx)}
    if evals:
        results["leakage"] = dc.max_eval_leakage(signals, ctx)
    if args.json:
        print_json({"dataset": ds.path, "records": len(ds), "config": vars(cfg),
                    **{k: {"count": len(r.flagged), "message": r.message, "evidence": r.evidence,
                           "table": r.details.get("table", [])} for k, r in results.items()}})
        return 0
    _render(ds, cfg, results, evals)
    return 0


def _render(ds, cfg, results, evals) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]curate dedup[/bold]: {escape(ds.name)} ({len(ds)} records, {ds.format}); "
                  f"{cfg.shingle} {cfg.ngram}-grams, threshold {cfg.threshold}, {cfg.num_perm} permutations")
    for key, title in (("exact", "exact duplicates"), ("near", "near-duplicates"), ("leakage", "leaked into eval sets"),
                       ("conflicts", "conflicting answers")):
        r = results.get(key)
        if r is None:
            continue
        console.print(f"\n[bold]{title}[/bold]: {escape(r.message)}")
        if not r.flagged:
            continue
        t = Table(show_header=True, header_style="bold")
        t.add_column("record")
        t.add_column("evidence", overflow="fold")
        for rid in r.flagged[:MAX_ROWS]:
            t.add_row(escape(rid), escape(r.evidence.get(rid, "")))
        console.print(t)
        if len(r.flagged) > MAX_ROWS:
            console.print(f"  … {len(r.flagged) - MAX_ROWS} more (use --json for all)")
    if not evals:
        console.print("\n(no --eval given: leakage into eval/test sets was not checked)")
    console.print("\nsee one record's cluster: curate dedup DATA --explain ID")


def _calibrate(ds, cfg, args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from curate.dedup.calibrate import calibrate
    from curate.dedup.explain import word_diff
    from curate.dedup.shared import describe

    from curate.progress import terminal_progress

    with terminal_progress() as progress:
        progress.phase("calibrate", total=len(ds))  # the dedup stage's own code at every threshold
        cal = calibrate(ds.batch(), cfg)
    if args.json:
        print_json({"bands": cal.bands, "removed": cal.removed, "shared_blocks": cal.shared})
        return 0
    if cal.shared:
        console.print(f"shared text, cut out before comparing: {escape(describe(cal.shared))}")
    t = Table(title=f"what each threshold removes ({cfg.shingle} {cfg.ngram}-grams, keep {cfg.keep}; "
                    "exactly what --threshold T removes)", title_justify="left")
    for c in ("threshold", "records removed", "exact copies", "near-duplicates", "clusters"):
        t.add_column(c, justify="right")
    for r in cal.removed:
        t.add_row("exact only" if r["threshold"] is None else f"{r['threshold']:g}", str(r["removed"]),
                  str(r["exact"]), str(r["near"]), "" if r["clusters"] is None else str(r["clusters"]))
    console.print(t)
    for b in reversed(cal.bands):
        console.print(f"\n[bold]Jaccard {b['lo']:.1f}-{b['hi']:.1f}[/bold]: {b['pairs']} verified pair(s)")
        for a, c, j in b["examples"]:
            x, y, changed = word_diff(cal.texts[a][:400], cal.texts[c][:400])
            console.print(f"  [bold]{escape(a)}[/bold] vs [bold]{escape(c)}[/bold] (Jaccard {j:.2f}, "
                          f"{changed} word(s) differ in the first 400 characters)")
            console.print(f"    {x}")
            console.print(f"    {y}")
    err_console.print("pick the lowest band whose examples are all real duplicates; pass it as --threshold "
                      "(or `stages: {dedup: {threshold: ...}}` in a rules file)")
    return 0
