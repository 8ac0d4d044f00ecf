"""`curate eval RUN --data TEST`: task metrics with 95% intervals next to the base model, overfitting
from the training curves, forgetting on general text, and a registry entry that warns when the
test set has been scored before. Writes RUN/eval/{eval.json, predictions.jsonl, eval.html}.
"""

from __future__ import annotations

from curate.cliutil import add_load_args, console, err_console, load_from_args, print_json


def add_parser(sub):
    p = sub.add_parser("eval", help="evaluate a trained run on a test set (vs its base model)", description=__doc__)
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `curate train --out RUN`")
    p.add_argument("--data", required=True, help="test set (scored once: use a validation set to choose runs)")
    p.add_argument("--general", help="general text for the forgetting check: a .txt file (one passage per line) "
                                     "or a dataset; default: the bundled sample; 'none' skips it")
    p.add_argument("--no-baseline", action="store_true", help="do not score the base model without the adapter")
    p.add_argument("--max-new-tokens", type=int, default=128, help="generation length cap (default 128)")
    p.add_argument("--batch-size", type=int, default=16, help="examples per forward pass (default 16)")
    p.add_argument("--max-length", type=int, default=512, help="input tokens kept per example (default 512)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals (default 1000)")
    p.add_argument("--slice-by", action="append", default=[], metavar="FIELD",
                   help="also report every metric per value of FIELD, a column of the test file, or 'topic' (the "
                        "audit's topics): intervals, the worst slice, slices significantly below the rest, fairness "
                        "gaps, and the training data's labels per slice (repeatable)")
    p.add_argument("--json", action="store_true", help="print eval.json instead of a summary")
    add_load_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from rich.markup import escape

    from curate.errors import CurateError
    from train.evaluate import EvalConfig, evaluate

    for name in ("max_new_tokens", "batch_size", "max_length", "bootstrap"):
        if getattr(args, name) <= 0:
            raise CurateError(f"--{name.replace('_', '-')} must be > 0 (got {getattr(args, name)})")
    ds = load_from_args(args, args.data)
    if ds.invalid:
        raise CurateError(f"{args.data}: {len(ds.invalid)} invalid record(s) in the test set",
                          fix="fix them first: a test set with records skipped silently is not the test set")
    from train.slices import slice_values

    for field in args.slice_by:  # a misspelt column fails now, not after the model has scored everything
        if field != "topic":
            slice_values(ds, field)
    cfg = EvalConfig(slice_by=tuple(args.slice_by), max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, max_length=args.max_length,
                     baseline=not args.no_baseline, general=args.general, n_bootstrap=args.bootstrap)
    result = evaluate(args.run_dir, ds, cfg)
    if args.json:
        print_json(result)
    else:
        summarize(result)
    for w in result["warnings"]:
        err_console.print(f"[bold yellow]warning:[/bold yellow] {escape(str(w))}", soft_wrap=True)
    console.print(f"wrote {Path(args.run_dir) / 'eval'}/eval.json, predictions.jsonl, eval.html", markup=False)
    return 0


def summarize(result: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    m = result["metrics"]
    t = Table(title=f"curate eval: {escape(str(result['test']['name']))} ({result['test']['n']} records), {result['task']}")
    t.add_column("metric")
    t.add_column("fine-tuned [95% CI]")
    if result["task"] == "classification":
        # the honest comparison first: a probe on frozen features; the base's untrained head is chance
        if "probe" in m:
            t.add_column("frozen features + logistic regression [95% CI]")
            t.add_column("gain over it")
        if "base" in m:
            t.add_column("base, untrained head (chance)")
        for k in ("accuracy", "macro_f1"):
            lo, hi = m["tuned"]["ci"][k]
            row = [k, f"{m['tuned'][k]:.2%} [{lo:.2%}, {hi:.2%}]"]
            if "probe" in m:
                plo, phi = m["probe"]["ci"][k]
                row += [f"{m['probe'][k]:.2%} [{plo:.2%}, {phi:.2%}]", f"{m['gain_over_probe'][k]:+.2%}"]
            if "base" in m:
                row += [f"{m['base'][k]:.2%}"]
            t.add_row(*row)
    else:
        if "base" in m:
            t.add_column("base")
            t.add_column("gain")
        for k in ("rouge1", "rouge2", "rougeL", "exact_match"):
            v, s = m["tuned"][k], 100 if k == "exact_match" else 1
            row = [k, f"{v['mean'] * s:.2f} [{v['ci'][0] * s:.2f}, {v['ci'][1] * s:.2f}]"]
            if "base" in m:
                row += [f"{m['base'][k]['mean'] * s:.2f}", f"{m['gain'][k] * s:+.2f}"]
            t.add_row(*row)
        row = ["answer perplexity", f"{m['tuned']['answer_perplexity']:.2f}"]
        if "base" in m:
            row += [f"{m['base']['answer_perplexity']:.2f}", f"{m['gain']['answer_perplexity']:+.2f}"]
        t.add_row(*row)
    console.print(t)
    if m.get("probe_skipped"):
        console.print(m["probe_skipped"], markup=False)
    leak = result.get("leakage") or {}
    if leak.get("warning"):  # next to the score it inflates, not only among the warnings
        console.print(f"[bold yellow]leakage:[/bold yellow] {leak['warning']}", soft_wrap=True)
    elif leak.get("checked"):
        console.print(f"leakage: {leak['leaked_test_records']}/{leak['test_records']} test records have a training "
                      f"paraphrase (cosine >= {leak['threshold']:g})")
    for field, sl in (result.get("slices") or {}).items():
        summarize_slices(field, sl)
    f = result.get("forgetting")
    if f and f["metric"] == "perplexity":
        console.print(f"forgetting ({f['general_set']}, {f['n_passages']} passages): perplexity "
                      f"{f['before']:.2f} -> {f['after']:.2f} ({f['relative_change']:+.1%})")
    elif f:
        line = (f"forgetting ({f['general_set']}, {f['n_passages']} passages): base-vs-tuned embedding cosine "
                f"{f['mean_cosine_base_vs_tuned']:.3f}")
        if "similarity_structure_spearman" in f:
            line += f", similarity-structure Spearman {f['similarity_structure_spearman']:.3f}"
        if "probe_accuracy_before" in f:
            line += f", probe accuracy {f['probe_accuracy_before']:.2%} -> {f['probe_accuracy_after']:.2%}"
        console.print(line)
    fit = result["overfitting"]
    if fit.get("gap") is not None:
        console.print(f"overfitting: val - train loss gap {fit['gap']:.4f}; best val loss {fit['best_val_loss']:.4f} "
                      f"at step {fit['best_step']:g}")


def summarize_slices(field: str, sl: dict) -> None:
    from rich.table import Table

    metric, pct = sl["metric"], sl["metric"] in ("accuracy", "exact_match")
    f = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:.2f}")
    g = (lambda v: f"{v:+.1%}") if pct else (lambda v: f"{v:+.2f}")
    t = Table(title=f"per {field}: {metric} (overall {f(sl['overall'][metric])}); flags at "
                    f"{sl['confidence_for_flags']:.1%} confidence (Bonferroni over slices)")
    for c in ("slice", "n", f"{metric} [95% CI]", "gap to rest [CI]", "flag"):
        t.add_column(c)
    if sl["reference"]:
        t.add_column(f"gap of the {sl['reference']}")
    for r in sl["slices"]:
        m, gap = r["metrics"][metric], r.get("gap_to_rest")
        flag = ("BELOW" if r["significantly_below"] else "") + (" WIDENED" if r.get("widened") else "")
        row = [r["slice"], str(r["n"]), f"{f(m['mean'])} [{f(m['ci'][0])}, {f(m['ci'][1])}]",
               f"{g(gap['value'])} [{g(gap['ci'][0])}, {g(gap['ci'][1])}]" if gap else "-", flag.strip()]
        if sl["reference"]:
            row.append(g(r["reference_gap"]) if "reference_gap" in r else "-")
        t.add_row(*row)
    console.print(t)
    w = sl["worst"]
    line = f"worst {field}: {w['slice']} at {f(w['value'])}"
    if w["gap_to_rest"] is not None:
        line += f" ({g(w['gap_to_rest'])} vs the rest)"
    console.print(line, markup=False)
    for name, gap in (sl.get("fairness") or {}).items():
        if gap.get("label"):
            console.print(f"{name.replace('_', ' ')} gap: {gap['gap']:.1%} ({gap['rate']} of label {gap['label']}: "
                          f"{gap['low'][0]} {gap['low'][1]:.1%} .. {gap['high'][0]} {gap['high'][1]:.1%})", markup=False)
    dist = sl.get("training_labels")
    if dist and "p_value" in dist:
        console.print(f"training data, labels by {field}: chi-square p {dist['p_value']:.2g}, Cramer's V "
                      f"{dist['cramers_v']:.2f}" + (" (skewed)" if dist["skewed"] else ""), markup=False)
