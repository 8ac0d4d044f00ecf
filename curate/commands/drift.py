"""`curate drift OLD NEW`: how far NEW has moved from OLD in embedding space, and which topics changed.

Prints the domain-classifier AUC (0.5: indistinguishable) and the topics that are new, grew,
shrank or disappeared, with examples from NEW. `--max-auc` turns it into a gate (exit 1 above it);
`--out DIR` writes drift.json and the SVG pictures.
"""

from __future__ import annotations

import json
from pathlib import Path

from curate.cliutil import add_load_args, console, load_from_args, print_json, set_aside_invalid


def add_parser(sub):
    p = sub.add_parser("drift", help="compare two datasets' embeddings: domain-classifier AUC and topic shifts",
                       description=__doc__)
    p.add_argument("old", help="the earlier / baseline dataset (e.g. training set, last month's queries)")
    p.add_argument("new", help="the later dataset (e.g. this month's production queries)")
    p.add_argument("--model", default="", help="sentence-transformers model directory (default: bundled all-MiniLM-L6-v2; "
                                               "'hashing' for a model-free smoke run)")
    p.add_argument("--side", default="prompt", choices=["prompt", "response", "both"], help="which text to embed")
    p.add_argument("--distance-threshold", type=float, default=0.7, help="topic clustering cut (cosine distance)")
    p.add_argument("--max-auc", type=float, help="exit 1 when the domain-classifier AUC is above this")
    p.add_argument("--out", help="directory for drift.json and the SVG figures")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from rich.markup import escape

    from curate.embed import plots
    from curate.embed.drift import domain_auc, topic_shift
    from curate.embed.encode import dataset_texts, embed_texts
    from curate.embed.topics import TopicsConfig

    if args.out:
        from curate.cliutil import check_out_dir

        check_out_dir(args.out)  # before the embeddings, not after
    old, new = load_from_args(args, args.old), load_from_args(args, args.new)
    for d, side in ((old, "old"), (new, "new")):
        set_aside_invalid(d, Path(args.out) / f"invalid_{side}.jsonl" if args.out else None)
    cfg = TopicsConfig(model=args.model, side=args.side, distance_threshold=args.distance_threshold)
    ot, nt = dataset_texts(old, cfg.side), dataset_texts(new, cfg.side)
    from curate.progress import terminal_progress

    with terminal_progress() as progress:
        progress.phase("embed", total=len(ot) + len(nt))
        ov, nv = embed_texts(ot, cfg), embed_texts(nt, cfg)
        progress.phase("drift", total=None)  # domain classifier, topics of both sets
        auc = domain_auc(ov, nv)
        rows = topic_shift(ov, nv, ot, nt, new.ids, cfg)
    summary = {"old": old.path, "new": new.path, "old_records": len(old), "new_records": len(new),
               "domain_classifier_auc": round(auc, 4), "topics": rows}
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "drift.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        groups = np.r_[np.zeros(len(ov), dtype=int), np.ones(len(nv), dtype=int)]
        (out / "map.svg").write_text(plots.scatter_map(ov, groups[:len(ov)], nv, groups[len(ov):],
                                                       title="OLD (dots) vs NEW (crosses), PCA of embeddings"))
    if args.json:
        print_json(summary)
    else:
        console.print(f"[bold]drift[/bold] {escape(old.path)} ({len(old)}) -> {escape(new.path)} ({len(new)})")
        console.print(f"domain-classifier AUC: [bold]{auc:.3f}[/bold] (0.5 = indistinguishable, 1.0 = fully separable)")
        for r in [r for r in rows if r["status"] != "stable"][:15]:
            console.print(f"  {r['status']:>6}  {r['topic'][:50]:<50} old {r['old_share']:.1%} -> new {r['new_share']:.1%}"
                          + (f"\n          e.g. {r['new_examples'][:150]}" if r["status"] in ("new", "grew") else ""))
    return 1 if args.max_auc is not None and auc > args.max_auc else 0
