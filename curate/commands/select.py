"""`curate select DATA --budget N --out DIR [--reference R]`: the N records most worth keeping.

Excludes what the gate flags (every record an error rule of --rules flags), shares
the budget over labels (classification) or topic clusters (equally, or by the reference's demand
with --reference), and inside each group picks the most representative, least redundant records
(facility location over the embeddings), weighted for classification by the probe classifier's
margin, or with --score ifd by the answer's IFD under a causal LM. Writes DIR/<data file> (the
input's format), manifest.jsonl (every record: kept or not, and why) and select.json (quotas).
"""

from __future__ import annotations

from curate.cliutil import add_load_args, console, err_console, load_from_args


def add_parser(sub):
    p = sub.add_parser("select", help="choose a subset of N records: gate-clean, spread over labels/topics, diverse",
                       description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--budget", type=int, required=True, help="number of records to keep")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--reference", metavar="FILE", help="reference set (e.g. production queries): the budget follows its demand")
    p.add_argument("--rules", default="default", help="rules whose flagged records are excluded, or 'none' to skip "
                                                      "the audit (default: default)")
    p.add_argument("--exclude-warned", action="store_true", help="also exclude records flagged by warn rules")
    p.add_argument("--eval", action="append", default=[], metavar="FILE", help="eval sets (leaked records are excluded)")
    p.add_argument("--score", default="auto", choices=["auto", "margin", "ifd", "none"],
                   help="usefulness weight: margin = probe classifier margin (classification); ifd = answer "
                        "perplexity with / without the prompt under a causal LM (SFT; two forward passes per "
                        "record, slow on CPU); auto = margin when labelled, else none")
    p.add_argument("--lm-model", default="", help="causal LM directory for --score ifd (default: Gemma 3 270M "
                                                  "from its package)")
    p.add_argument("--margin-power", type=float, default=1.0, help="weight = ((1 + margin) / 2) ** this; 0 ignores it")
    p.add_argument("--model", default="", help="sentence-transformers model directory (default: bundled all-MiniLM-L6-v2; "
                                               "'hashing' for a model-free smoke run)")
    p.add_argument("--side", default="prompt", choices=["prompt", "response", "both"], help="which text to embed")
    p.add_argument("--distance-threshold", type=float, default=0.65, help="topic clustering cut for unlabelled data")
    p.add_argument("--no-cache", action="store_true", help="recompute embeddings and signals")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from curate.embed.encode import EmbedConfig
    from curate.load import load_dataset
    from curate.progress import terminal_progress
    from curate.select.dataset import gate_exclusions, select_dataset, write_selection

    ds = load_from_args(args)
    ref = load_dataset(args.reference) if args.reference else None
    excluded = {}
    with terminal_progress() as progress:
        if args.rules != "none":
            from curate.audit import run_audit
            from curate.rules import load_rules

            load_rules(args.rules)
            result = run_audit(ds, eval=args.eval, reference=args.reference, rules=args.rules,
                               use_cache=not args.no_cache, progress=progress)
            excluded = gate_exclusions(result, exclude_warned=args.exclude_warned)
        cfg = EmbedConfig(model=args.model, side=args.side)
        progress.phase("select", total=None)  # embeddings, usefulness scores, facility location
        sel, summary = select_dataset(ds, args.budget, reference=ref, excluded_ids=excluded, cfg=cfg,
                                      score=args.score, margin_power=args.margin_power, lm_model=args.lm_model,
                                      distance_threshold=args.distance_threshold, use_cache=not args.no_cache)
        path = write_selection(ds, sel, summary, args.out)
    t = Table(title=f"curate select: {escape(ds.name)}", title_justify="left", show_header=False)
    for k in ("records", "excluded_by_gate", "budget", "selected", "grouped_by", "groups", "score", "demand"):
        t.add_row(k.replace("_", " "), escape(str(summary[k])))
    console.print(t)
    if summary["selected"] < args.budget:
        err_console.print(f"[yellow]only {summary['selected']} eligible records for a budget of {args.budget}[/yellow]")
    console.print(escape(f"subset: {path}  ·  manifest: {args.out}/manifest.jsonl  ·  quotas: {args.out}/select.json"))
    return 0
