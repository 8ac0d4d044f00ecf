"""`curate augment DATA --out DIR [--only thin|all] [--method eda|lm]`: new records for thin labels or topics.

Groups records by label (classification) or topic cluster (SFT), grows the thin ones (fewer
records than the median group; --only all: every group) from the records the gate does not flag,
by rule-based edits (eda: synonym replacement, insertion, swap, deletion; Wei & Zou 2019) or
paraphrases from a local causal LM (lm). Every candidate passes a quality gate first: not empty
or truncated, protected content (code, numbers, placeholders, URLs, e-mails, quotes) unchanged, no
eval leak, no exact/near/semantic duplicate, no PII added, label agreed by its nearest original
records. Writes DIR/augmented.<input format> (original + accepted records, each generated one
marked in a `curate_generated` field), DIR/manifest.jsonl (every candidate, accepted or not, and
why) and DIR/augment.json (per group: records, generated, accepted, rejected by reason).
"""

from __future__ import annotations

from curate.cliutil import add_load_args, console, err_console, load_from_args


def add_parser(sub):
    p = sub.add_parser("augment", help="new records for thin labels/topics (rule-based edits or LM paraphrases), "
                                       "each passing a quality gate", description=__doc__)
    p.add_argument("data", help="dataset file or directory")
    p.add_argument("--out", required=True, help="output folder (must not hold an earlier augment's files)")
    p.add_argument("--only", default="thin", choices=["thin", "all"],
                   help="grow groups below the median size (thin, default) or every group (all)")
    # No default: on Banking77 at 10 records per class eda did not help the frozen-embedding classifier
    # (bench/augment.py, 3 seeds: -0.7 points gated, -0.3 with every candidate) and lm was too slow on a
    # CPU to measure on all classes, so no method is chosen for the user.
    p.add_argument("--method", required=True, choices=["eda", "lm"],
                   help="eda: synonym replacement, insertion, swap, deletion; lm: paraphrases from a causal LM. "
                        "No default: neither improved a Banking77 classifier trained on 10 records per class "
                        "(bench/augment.py); measure on your task before relying on it")
    p.add_argument("--lm-model", default="", metavar="DIR",
                   help="causal LM directory for --method lm (default: Gemma 3 270M from its package)")
    p.add_argument("--per-record", type=int, default=2, help="candidates generated per source record (default 2)")
    p.add_argument("--alpha", type=float, default=0.1, help="eda: share of a text's words one edit changes (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--eval", action="append", default=[], metavar="FILE",
                   help="eval sets: a generated record that matches one is rejected as a leak")
    p.add_argument("--rules", default="default", help="rules whose flagged records are not used as sources, or 'none' "
                                                      "to skip the audit (default: default)")
    p.add_argument("--model", default="", help="sentence-transformers model directory for grouping, synonyms and the "
                                               "gate (default: bundled all-MiniLM-L6-v2; 'hashing' for a model-free "
                                               "smoke run, which has no synonyms)")
    p.add_argument("--k", type=int, default=10, help="nearest original records that vote on a generated record's label")
    p.add_argument("--no-cache", action="store_true", help="recompute embeddings and signals")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    import json
    from pathlib import Path

    from rich.markup import escape
    from rich.table import Table

    from curate.augment.gate import REASONS, GateConfig
    from curate.augment.run import AugmentConfig, augment_dataset
    from curate.cliutil import check_out_dir, refuse_overwrite
    from curate.errors import CurateError
    from curate.load.benchmarks import load_eval_sets
    from curate.writers import output_path, write_rows

    if args.k < 1:
        raise CurateError(f"--k {args.k}: must be at least 1", fix="pass --k 10")
    if not 0 < args.alpha <= 0.5:
        raise CurateError(f"--alpha {args.alpha}: must be in (0, 0.5]", fix="pass --alpha 0.1 (Wei & Zou's value)")
    out = check_out_dir(args.out)
    ds = load_from_args(args)
    data_path = output_path(ds, out, stem="augmented")
    targets = [data_path, out / "manifest.jsonl", out / "augment.json"]
    refuse_overwrite(targets, inputs=[args.data, *args.eval], earlier_run="an earlier augment")
    eval_sets = load_eval_sets(args.eval) if args.eval else []
    excluded = {}
    if args.rules != "none":
        from curate.audit import run_audit
        from curate.rules import load_rules
        from curate.select.dataset import gate_exclusions

        load_rules(args.rules)
        with err_console.status("auditing…") as status:
            result = run_audit(ds, eval=args.eval, rules=args.rules, use_cache=not args.no_cache,
                               progress=lambda m: status.update(f"auditing: {m}"))
        excluded = gate_exclusions(result)
    cfg = AugmentConfig(only=args.only, method=args.method, per_record=args.per_record, seed=args.seed,
                        alpha=args.alpha, embed_model=args.model, lm_model=args.lm_model, gate=GateConfig(k=args.k))
    with err_console.status("augmenting…") as status:
        aug = augment_dataset(ds, cfg, excluded_ids=excluded, eval_sets=eval_sets, use_cache=not args.no_cache,
                              progress=lambda m: status.update(f"augmenting: {m}"))
    if ds.kind in ("csv", "tsv"):
        from dataclasses import replace

        ds = replace(ds, columns_order=[*ds.columns_order, "curate_generated"] if ds.columns_order else [])
    write_rows(ds, aug.rows, data_path)
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as f:
        for r in aug.manifest:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary = {**aug.summary, "output": str(data_path), "manifest": str(out / "manifest.jsonl")}
    (out / "augment.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    s = aug.summary
    t = Table(title=f"curate augment: {escape(ds.name)} ({s['method']}, grouped by {s['grouped_by']}, "
                    f"{s['groups_grown']} of {s['groups']} groups grown)", title_justify="left")
    shown = [r for r in REASONS if s["rejected"][r]]
    for c in ("group", "records", "generated", "accepted", *[r.replace("_", " ") for r in shown]):
        t.add_column(c, overflow="fold", max_width=50 if c == "group" else None)
    grown = [r for r in s["per_group"] if r["grown"]]
    for r in grown[:30]:
        t.add_row(escape(r["group"]), str(r["records"]), str(r["generated"]), str(r["accepted"]),
                  *[str(r["rejected"][x]) for x in shown])
    if len(grown) > 30:
        t.add_row(f"… {len(grown) - 30} more groups (augment.json)", "", "", "", *["" for _ in shown])
    t.add_row("[b]all[/b]", str(s["records"]), str(s["generated"]), str(s["accepted"]), *[str(s["rejected"][x]) for x in shown])
    console.print(t)
    if s["groups_grown"] == 0:
        err_console.print(f"no group is thin (every group has at least the median of {s['median_group_size']:g} "
                          "records): nothing generated; pass --only all to grow every group", markup=False)
    if s["method"] == "eda" and s["grouped_by"] == "topic" and s["accepted"]:
        # GSM8K, read by hand: the word-space thesaurus offers antonyms and co-hyponyms ("years" ->
        # "months", "selling" -> "buying", "odd" -> "strange"), and a prompt so edited asks for another
        # answer than the one it keeps; no check here can tell.
        err_console.print("eda on prompt/answer records: a synonym edit can change what the prompt asks while the "
                          "answer stays the same; read the accepted records in the manifest before training on them",
                          style="yellow", markup=False)
    if "original_label_agreement" in s:
        console.print(f"label vote: {s['original_label_agreement']:.0%} of the original records agree with their "
                      f"{args.k} nearest neighbours (the same vote generated records must pass)", markup=False)
    console.print(escape(f"data: {data_path}  ·  manifest: {out / 'manifest.jsonl'}  ·  summary: {out / 'augment.json'}"))
    return 0
