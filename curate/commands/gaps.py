"""`curate gaps DATA --reference R --out DIR`: what the reference asks that training misses, as a labelling queue.

Writes DIR/gaps.jsonl and DIR/gaps.csv (one row per reference example to write or label: topic,
status, the reference example, its nearest training example and cosine, a suggested label) and
DIR/gaps.json (every reference group with its status and counts, as the coverage check decides them).
"""

from __future__ import annotations

from curate.cliutil import add_load_args, console, load_from_args


def add_parser(sub):
    p = sub.add_parser("gaps", help="reference topics training misses or covers thinly, as a labelling queue (JSONL + CSV)",
                       description=__doc__)
    p.add_argument("data", help="training dataset file or directory")
    p.add_argument("--reference", required=True, metavar="FILE", help="reference set (e.g. production queries)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--per-topic", type=int, default=10, help="reference examples per thin/uncovered topic (default 10)")
    p.add_argument("--similarity", type=float, default=0.6, help="cosine at which a training record covers a reference one")
    p.add_argument("--group-by", default="auto", choices=["auto", "label", "cluster"], help="reference groups")
    p.add_argument("--distance-threshold", type=float, default=0.7, help="reference clustering cut (cosine distance)")
    p.add_argument("--model", default="", help="sentence-transformers model directory (default: bundled all-MiniLM-L6-v2; "
                                               "'hashing' for a model-free smoke run)")
    p.add_argument("--side", default="prompt", choices=["prompt", "response", "both"], help="which text to embed")
    p.add_argument("--no-cache", action="store_true", help="recompute embeddings")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    import csv
    import json
    from pathlib import Path

    from rich.markup import escape
    from rich.table import Table

    from curate.embed.coverage import CoverageConfig
    from curate.errors import CurateError
    from curate.load import load_dataset
    from curate.progress import terminal_progress
    from curate.select.gaps import QUEUE_COLUMNS, find_gaps

    if args.per_topic < 1:
        raise CurateError(f"--per-topic {args.per_topic}: must be at least 1", fix="pass --per-topic 10")
    ds = load_from_args(args)
    ref = load_dataset(args.reference)
    if len(ref) == 0:
        raise CurateError(f"{args.reference}: the reference set has no records", fix="pass a non-empty reference file")
    cfg = CoverageConfig(model=args.model, side=args.side, group_by=args.group_by,
                         distance_threshold=args.distance_threshold)
    with terminal_progress() as progress:
        progress.phase("gaps", total=len(ref), unit="reference records")  # embeddings, groups, nearest neighbours
        queue, table, summary = find_gaps(ds, ref, cfg, similarity=args.similarity, per_topic=args.per_topic,
                                          use_cache=not args.no_cache)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "gaps.jsonl").open("w", encoding="utf-8") as f:
        for r in queue:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with (out / "gaps.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=QUEUE_COLUMNS)
        w.writeheader()
        w.writerows(queue)
    (out / "gaps.json").write_text(json.dumps({**summary, "per_group": table}, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    t = Table(title=f"curate gaps: {escape(ds.name)} vs {escape(ref.name)} (grouped by {summary['grouped_by']})",
              title_justify="left")
    for c in ("status", "topic", "reference", "training", "nearest-neighbour covered"):
        t.add_column(c, overflow="fold", max_width=60 if c == "topic" else None)
    for r in [r for r in table if r["status"] != "covered"][:20]:
        t.add_row(r["status"], escape(r["reference_group"]), str(r["reference_records"]),
                  str(r.get("training_records_of_class", r["training_neighbours"])), f"{r['covered_share']:.0%}")
    console.print(t)
    console.print(f"{summary['uncovered']} uncovered and {summary['thin']} thin of {summary['groups']} reference groups; "
                  f"{summary['queue_rows']} rows to label")
    console.print(escape(f"queue: {out / 'gaps.jsonl'}  ·  {out / 'gaps.csv'}  ·  groups: {out / 'gaps.json'}"))
    return 0
