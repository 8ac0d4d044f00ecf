"""RUN/eval/eval.html: one self-contained HTML section (inline SVG, no scripts, no external files).

Every piece of text from the data or the model is escaped: test records can contain anything.
"""

from __future__ import annotations

import html
import math

E = html.escape


def _num(v, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{100 * v:.1f}%" if pct else f"{v:.2f}" if abs(v) >= 1 else f"{v:.4f}"


def _with_ci(block: dict, key: str, pct: bool) -> str:
    v = block[key]
    if isinstance(v, dict):  # generation: {"mean", "ci"} already x100 (ROUGE) or a 0-1 rate (exact match)
        scale = 100 if key == "exact_match" else 1
        return f"{v['mean'] * scale:.2f} [{v['ci'][0] * scale:.2f}, {v['ci'][1] * scale:.2f}]"
    ci = block.get("ci", {}).get(key)
    return _num(v, pct) + (f" [{_num(ci[0], pct)}, {_num(ci[1], pct)}]" if ci else "")


def metrics_table(result: dict) -> str:
    m = result["metrics"]
    if result["task"] == "classification":
        keys, pct = ["accuracy", "macro_f1", "macro_precision", "macro_recall"], True
    else:
        keys, pct = ["rouge1", "rouge2", "rougeL", "exact_match", "answer_perplexity"], False
        keys += [k for k in ("bleu", "chrf") if k in m["tuned"]]
    probe = "probe" in m
    head = ("<tr><th>metric</th><th>fine-tuned (95% CI)</th>"
            + ("<th>frozen features + logistic regression (95% CI)</th><th>gain over it</th>" if probe else "")
            + ("<th>base</th><th>gain</th>" if "base" in m else "") + "</tr>")
    rows = []
    for k in keys:
        cells = f"<td>{E(k)}</td><td>{_with_ci(m['tuned'], k, pct)}</td>"
        if probe:
            pg = m["tuned"][k] - m["probe"][k]
            cells += f"<td>{_with_ci(m['probe'], k, pct)}</td><td>{_num(pg, pct)}</td>"
        if "base" in m:
            gain = m.get("gain", {}).get(k)
            cells += f"<td>{_with_ci(m['base'], k, pct)}</td><td>{_num(gain, pct) if gain is not None else ''}</td>"
        rows.append(f"<tr>{cells}</tr>")
    notes = [m[side]["note"] for side in ("probe", "base") if side in m and m[side].get("note")]
    notes += [m["probe_skipped"]] if m.get("probe_skipped") else []
    leak = result.get("leakage") or {}
    if leak.get("checked"):
        notes.append(f"{leak['leaked_test_records']}/{leak['test_records']} test records ({leak['share']:.1%}) have a "
                     f"training paraphrase (cosine >= {leak['threshold']:g})")
    note = "".join(f"<p class='note'>{E(n)}</p>" for n in notes)
    return f"<table>{head}{''.join(rows)}</table>{note}"


def per_class_table(block: dict) -> str:
    rows = sorted(block["per_class"], key=lambda c: c["f1"])
    body = "".join(f"<tr><td>{E(str(c['label']))}</td><td>{_num(c['precision'], True)}</td><td>{_num(c['recall'], True)}"
                   f"</td><td>{_num(c['f1'], True)}</td><td>{c['support']}</td></tr>" for c in rows)
    return ("<details><summary>per-class precision / recall / F1 (worst first)</summary><table><tr><th>label</th>"
            f"<th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>{body}</table></details>")


def confusion_svg(block: dict, max_cell: int = 24) -> str:
    """Row-normalised confusion matrix as a heat map; the cell title gives label pair and count."""
    labels, m = block["labels"], block["confusion"]
    n = len(labels)
    if not n:
        return ""
    cell = max(4, min(max_cell, 600 // n))
    pad = 8
    size = n * cell + 2 * pad
    rects = []
    for i, row in enumerate(m):
        total = sum(row) or 1
        for j, c in enumerate(row):
            if not c:
                continue
            shade = c / total
            colour = f"rgb({int(255 - 200 * shade)},{int(255 - 120 * shade) if i == j else int(255 - 230 * shade)},"\
                     f"{int(255 - 40 * shade) if i == j else int(255 - 230 * shade)})"
            rects.append(f'<rect x="{pad + j * cell}" y="{pad + i * cell}" width="{cell}" height="{cell}" fill="{colour}">'
                         f"<title>true {E(str(labels[i]))} -> predicted {E(str(labels[j]))}: {c}</title></rect>")
    grid = f'<rect x="{pad}" y="{pad}" width="{n * cell}" height="{n * cell}" fill="none" stroke="#999"/>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" '
            f'aria-label="confusion matrix"><rect width="100%" height="100%" fill="white"/>{grid}{"".join(rects)}</svg>'
            "<p class='note'>rows: true label, columns: predicted, in label order; blue diagonal = correct, "
            "red = confusions (hover a cell for the pair and count)</p>")


def top_confusions(block: dict, k: int = 10) -> str:
    labels, m = block["labels"], block["confusion"]
    pairs = sorted(((m[i][j], labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))
                    if i != j and m[i][j]), reverse=True)[:k]
    if not pairs:
        return ""
    body = "".join(f"<tr><td>{E(str(t))}</td><td>{E(str(p))}</td><td>{c}</td></tr>" for c, t, p in pairs)
    return f"<table><tr><th>true</th><th>predicted</th><th>count</th></tr>{body}</table>"


def curves_svg(curves: dict, width: int = 560, height: int = 220) -> str:
    series = {k: v for k, v in curves.items() if k in ("train_loss", "val_loss") and v}
    pts = [p for s in series.values() for p in s]
    if not pts:
        return "<p class='note'>no loss curves logged</p>"
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    pad = 36

    def xy(x, y):
        return (f"{pad + (x - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad):.1f},"
                f"{height - pad - (y - y0) / max(y1 - y0, 1e-9) * (height - 2 * pad):.1f}")

    colours = {"train_loss": "#1f77b4", "val_loss": "#d62728"}
    lines = "".join(f'<polyline fill="none" stroke="{colours[k]}" stroke-width="2" points="{" ".join(xy(*p) for p in s)}"/>'
                    for k, s in series.items())
    dots = "".join(f'<circle cx="{xy(*p).split(",")[0]}" cy="{xy(*p).split(",")[1]}" r="2.5" fill="#d62728"/>'
                   for p in series.get("val_loss", []))
    axes = (f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
            f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
            f'<text x="{pad}" y="{height - 10}" font-size="11">step {x0:g}</text>'
            f'<text x="{width - pad}" y="{height - 10}" font-size="11" text-anchor="end">step {x1:g}</text>'
            f'<text x="{pad + 4}" y="{pad - 6}" font-size="11">loss {y1:.3f} (top) .. {y0:.3f} (bottom): '
            '<tspan fill="#1f77b4">train</tspan> / <tspan fill="#d62728">validation</tspan></text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="loss curves">'
            f'<rect width="100%" height="100%" fill="white"/>{axes}{lines}{dots}</svg>')


def forgetting_table(f: dict | None) -> str:
    if not f:
        return "<p class='note'>forgetting not measured (--general none)</p>"
    rows = "".join(f"<tr><td>{E(k)}</td><td>{E(_num(v) if isinstance(v, float) else str(v))}</td></tr>"
                   for k, v in f.items())
    return f"<table>{rows}</table>"


def errors_table(result: dict) -> str:
    errs = result.get("errors") or []
    if not errs:
        return "<p class='note'>no errors</p>"
    cls = result["task"] == "classification"
    head = "<tr><th>id</th><th>input</th><th>reference</th><th>prediction</th>" + \
        ("" if cls else "<th>ROUGE-L</th>") + "</tr>"
    body = "".join(
        f"<tr><td>{E(str(e['id']))}</td><td>{E(str(e['input'])[:600])}</td><td>{E(str(e['reference'])[:600])}</td>"
        f"<td>{E(str(e['prediction'])[:600])}</td>" + ("" if cls else f"<td>{e['rougeL']}</td>") + "</tr>" for e in errs)
    return f"<table class='errors'>{head}{body}</table>"


def slice_svg(sl: dict, width: int = 560, row_h: int = 18) -> str:
    """One bar per slice with its 95% interval as a whisker; a dashed line at the overall value; red = flagged."""
    metric, rows = sl["metric"], sl["slices"]
    scale = 1.0 if metric in ("accuracy", "exact_match") else 100.0
    label_w, pad = 180, 10
    plot_w = width - label_w - 2 * pad
    height = len(rows) * row_h + 2 * pad + 14

    def x(v):
        return label_w + pad + max(0.0, min(1.0, v / scale)) * plot_w

    parts = []
    for i, r in enumerate(rows):
        m = r["metrics"][metric]
        y = pad + i * row_h
        colour = "#d62728" if r["significantly_below"] else "#1f77b4"
        lo, hi = m["ci"]
        parts.append(f'<text x="{label_w}" y="{y + row_h * 0.7:.1f}" font-size="11" text-anchor="end">'
                     f'{E(str(r["slice"])[:28])} (n={r["n"]})</text>'
                     f'<rect x="{label_w + pad}" y="{y + 3}" width="{x(m["mean"]) - label_w - pad:.1f}" height="{row_h - 6}" '
                     f'fill="{colour}" opacity="0.7"><title>{E(str(r["slice"]))}: {E(metric)} {m["mean"]:.4f} '
                     f'[{lo:.4f}, {hi:.4f}]</title></rect>'
                     f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y + row_h / 2}" y2="{y + row_h / 2}" stroke="black"/>')
    ov = x(sl["overall"][metric])
    parts.append(f'<line x1="{ov:.1f}" x2="{ov:.1f}" y1="{pad}" y2="{height - 14}" stroke="#333" stroke-dasharray="4 3"/>'
                 f'<text x="{ov:.1f}" y="{height - 2}" font-size="11" text-anchor="middle">overall '
                 f'{sl["overall"][metric]:.3f}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{E(metric)} per slice"><rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>')


def label_mix_svg(dist: dict, width: int = 560, row_h: int = 16, max_labels: int = 12) -> str:
    """Training data: each slice's label shares as a stacked bar, the most frequent labels coloured."""
    counts = dist["counts"]
    totals = [sum(c) for c in zip(*counts)] if counts else []
    order = sorted(range(len(dist["labels"])), key=lambda j: -totals[j])[:max_labels]
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#aec7e8", "#ffbb78"]
    label_w, pad = 180, 10
    plot_w = width - label_w - 2 * pad
    parts = []
    for i, (s, row) in enumerate(zip(dist["slices"], counts)):
        n, xpos, y = sum(row) or 1, label_w + pad, pad + i * row_h
        parts.append(f'<text x="{label_w}" y="{y + row_h * 0.7:.1f}" font-size="11" text-anchor="end">{E(str(s)[:28])}</text>')
        for k, j in enumerate(order):
            w = row[j] / n * plot_w
            if w > 0:
                parts.append(f'<rect x="{xpos:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 4}" fill="{palette[k]}">'
                             f'<title>{E(str(dist["labels"][j]))}: {row[j]} of {sum(row)}</title></rect>')
            xpos += w
    height = len(counts) * row_h + 2 * pad
    legend = ", ".join(f"<span style='color:{palette[k]}'>&#9632;</span> {E(str(dist['labels'][j]))}"
                       for k, j in enumerate(order))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="training labels per slice"><rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
            f"<p class='note'>{legend}{' (other labels uncoloured)' if len(dist['labels']) > max_labels else ''}</p>")


def slices_section(field: str, sl: dict) -> str:
    metric = sl["metric"]
    parts = [f"<h3>Per {E(field)}: {E(metric)}</h3>", slice_svg(sl),
             f"<p class='note'>bars: {E(metric)} per slice with its 95% bootstrap interval; red: significantly below "
             f"the rest of the test set ({sl['confidence_for_flags']:.1%} interval of the gap below 0, Bonferroni over "
             f"slices); dashed: overall</p>"]
    head = "<tr><th>slice</th><th>n</th>" + "".join(f"<th>{E(m)} (95% CI)</th>" for m in sl["slices"][0]["metrics"]) + \
        "<th>gap to rest (CI)</th>" + (f"<th>gap of the {E(sl['reference'])}</th>" if sl["reference"] else "") + "</tr>"
    body = ""
    for r in sl["slices"]:
        pct = metric in ("accuracy", "exact_match")
        cells = "".join(f"<td>{_num(v['mean'], k in ('accuracy', 'macro_f1', 'exact_match'))} "
                        f"[{_num(v['ci'][0], k in ('accuracy', 'macro_f1', 'exact_match'))}, "
                        f"{_num(v['ci'][1], k in ('accuracy', 'macro_f1', 'exact_match'))}]</td>"
                        for k, v in r["metrics"].items())
        gap = r.get("gap_to_rest")
        gap_cell = f"{_num(gap['value'], pct)} [{_num(gap['ci'][0], pct)}, {_num(gap['ci'][1], pct)}]" if gap else "–"
        flags = (" <b>below</b>" if r["significantly_below"] else "") + (" <b>widened</b>" if r.get("widened") else "")
        ref = f"<td>{_num(r['reference_gap'], pct)}</td>" if "reference_gap" in r else ("<td>–</td>" if sl["reference"] else "")
        body += f"<tr><td>{E(str(r['slice']))}{flags}</td><td>{r['n']}</td>{cells}<td>{gap_cell}</td>{ref}</tr>"
    parts.append(f"<table>{head}{body}</table>")
    for name, gap in (sl.get("fairness") or {}).items():
        if gap.get("label"):
            parts.append(f"<p>{E(name.replace('_', ' '))} gap: {100 * gap['gap']:.1f} points ({E(gap['rate'])} of label "
                         f"{E(str(gap['label']))}: {E(str(gap['low'][0]))} {100 * gap['low'][1]:.1f}% vs "
                         f"{E(str(gap['high'][0]))} {100 * gap['high'][1]:.1f}%)</p>")
    dist = sl.get("training_labels")
    if dist:
        parts.append(f"<h4>Training data: labels per {E(field)}</h4>" + label_mix_svg(dist))
        if "p_value" in dist:
            parts.append(f"<p class='note'>chi-square test of independence: p {dist['p_value']:.3g}, Cramer's V "
                         f"{dist['cramers_v']:.2f}{' (skewed: the model can learn the slice as a shortcut)' if dist['skewed'] else ''}</p>")
    return "\n".join(parts)


STYLE = ("<style>.curate-eval{font-family:system-ui,sans-serif;font-size:14px}.curate-eval table{border-collapse:collapse;"
         "margin:6px 0}.curate-eval td,.curate-eval th{border:1px solid #ddd;padding:3px 8px;vertical-align:top;text-align:left}"
         ".curate-eval .warn{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;margin:4px 0}"
         ".curate-eval .note{color:#555;font-size:12px}.curate-eval .errors td{max-width:420px;white-space:pre-wrap}</style>")


def render_html(result: dict) -> str:
    m, test = result["metrics"], result["test"]
    parts = [STYLE, "<section class='curate-eval'>",
             f"<h2>Evaluation: {E(test['name'])} ({test['n']} records)</h2>",
             f"<p class='note'>run {E(result['run'])}; base model {E(str(result['base_model']))}; "
             f"test fingerprint {E(test['fingerprint'][:16])}; {E(result['evaluated_at'])}</p>"]
    parts += [f"<div class='warn'>{E(w)}</div>" for w in result.get("warnings", [])]
    parts += ["<h3>Task metrics</h3>", metrics_table(result)]
    if result["task"] == "classification":
        parts += ["<h3>Confusion matrix</h3>", confusion_svg(m["tuned"]), "<h4>Most frequent confusions</h4>",
                  top_confusions(m["tuned"]), per_class_table(m["tuned"])]
    for field, sl in (result.get("slices") or {}).items():
        parts.append(slices_section(field, sl))
    fit = result["overfitting"]
    parts += ["<h3>Training curves and overfitting</h3>", curves_svg(fit.get("curves", {}))]
    if fit.get("gap") is not None:
        parts.append(f"<p>validation - training loss at the last evaluation: {fit['gap']:.4f}; best validation loss "
                     f"{fit['best_val_loss']:.4f} at step {fit['best_step']:g}</p>")
    if fit.get("note"):
        parts.append(f"<p class='note'>{E(fit['note'])}</p>")
    parts += ["<h3>Forgetting (general text, before vs after)</h3>", forgetting_table(result.get("forgetting")),
              "<h3>Errors</h3>" if result["task"] == "classification" else "<h3>Lowest ROUGE-L examples</h3>",
              errors_table(result), "</section>"]
    return "<!doctype html><meta charset='utf-8'><title>curate eval</title>\n" + "\n".join(parts) + "\n"
