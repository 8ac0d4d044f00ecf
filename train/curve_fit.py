"""A learning curve from per-record validation results: the metric per training-set size with
bootstrap intervals, a fitted curve, what doubling the data is likely to add, and a static SVG.

Pure functions over numpy arrays (no model, no I/O), so `train/curve.py` and
`bench/learning_curve.py` share them and the tests check them against known curves.

Every size is scored on the same validation records, so one bootstrap resample of those records
(and, with several seeds, one resample of the seeds) gives a whole curve: the interval of what
doubling adds comes from refitting the curve on each resampled curve (a paired bootstrap), not
from treating the sizes as independent.

The curve is the inverse power law of learning-curve studies (Hestness et al. 2017, Mukherjee et
al. 2003): metric(n) = a - b * n^-c for a metric that grows (accuracy, macro-F1) and a + b * n^-c for
one that falls (validation loss), fitted by scipy's curve_fit when scipy is installed and at least
three sizes were measured. Otherwise (or when that fit does not converge) a log-linear fit
metric(n) = alpha + beta * ln n over the measured points: doubling then adds beta * ln 2.
"""

from __future__ import annotations

import html
import math

import numpy as np

CONFIDENCE = 0.95
N_BOOT = 1000  # resamples for the per-size intervals
N_BOOT_FIT = 200  # resamples for the doubling interval (each refits the curve)

# metric -> (higher is better, bounded to [0, 1], shown as points x100)
METRICS = {"accuracy": (True, True), "macro_f1": (True, True), "val_loss": (False, False)}


# ---------------------------------------------------------------- metrics over index arrays

def accuracy(rec: dict, idx: np.ndarray) -> float:
    return float((rec["y_true"][idx] == rec["y_pred"][idx]).mean())


def macro_f1(rec: dict, idx: np.ndarray) -> float:
    """Macro-F1 over the labels present in the resampled references (as train/metrics.py computes it)."""
    t, p = rec["y_true"][idx], rec["y_pred"][idx]
    k = int(max(rec["y_true"].max(), rec["y_pred"].max())) + 1
    support, predicted = np.bincount(t, minlength=k), np.bincount(p, minlength=k)
    tp = np.bincount(t[t == p], minlength=k)
    present = support > 0
    return float((2 * tp[present] / (support[present] + predicted[present])).mean())


def val_loss(rec: dict, idx: np.ndarray) -> float:
    """Mean negative log-likelihood per answer token over the resampled records."""
    return float(rec["nll"][idx].sum() / max(rec["tokens"][idx].sum(), 1))


STAT = {"accuracy": accuracy, "macro_f1": macro_f1, "val_loss": val_loss}


def as_arrays(records: dict) -> dict:
    return {k: np.asarray(v) for k, v in records.items()}


# ---------------------------------------------------------------- fitting

def _power(x, a, b, c, sign):
    return a - sign * b * np.power(x, -c)


def fit_curve(n, y, metric: str, *, allow_scipy: bool = True) -> dict:
    """{kind, params, scale}: the inverse power law when scipy fits it, else log-linear in n."""
    n, y = np.asarray(n, dtype=float), np.asarray(y, dtype=float)
    higher, bounded = METRICS[metric]
    if allow_scipy and len(np.unique(n)) >= 3:
        try:
            import warnings

            from scipy.optimize import OptimizeWarning, curve_fit

            sign = 1.0 if higher else -1.0
            scale = float(n.max())  # fit on n / n_max: keeps n^-c near 1 and the optimiser well scaled
            x = n / scale
            best = y.max() if higher else y.min()
            spread = max(float(np.ptp(y)), 1e-6)
            lo_a, hi_a = (-np.inf, 1.0) if (higher and bounded) else (0.0, np.inf) if not higher else (-np.inf, np.inf)
            a0 = float(np.clip(best + sign * spread * 0.5, lo_a + 1e-9 if np.isfinite(lo_a) else -np.inf,
                               hi_a - 1e-9 if np.isfinite(hi_a) else np.inf))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                params, _ = curve_fit(lambda x, a, b, c: _power(x, a, b, c, sign), x, y, p0=[a0, spread, 0.5],
                                      bounds=([lo_a, 0.0, 1e-3], [hi_a, np.inf, 3.0]), maxfev=20000)
            if np.all(np.isfinite(params)):
                # a ceiling fitted onto its bound (100% accuracy, zero loss) means the sizes do not locate it
                at_bound = bool(np.isfinite(lo_a) and params[0] <= lo_a + 1e-6 or np.isfinite(hi_a) and params[0] >= hi_a - 1e-6)
                return {"kind": "power", "params": [float(v) for v in params], "scale": scale, "sign": sign,
                        "formula": f"a {'-' if higher else '+'} b * n^-c (scipy curve_fit)", "a_at_bound": at_bound}
        except (ImportError, RuntimeError, ValueError):
            pass
    beta, alpha = np.polyfit(np.log(n), y, 1) if len(np.unique(n)) >= 2 else (0.0, float(y.mean()))
    return {"kind": "loglinear", "params": [float(alpha), float(beta)], "scale": 1.0, "sign": 1.0,
            "formula": "alpha + beta * ln n (log-linear least squares)"}


def predict(fit: dict, n) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    if fit["kind"] == "power":
        a, b, c = fit["params"]
        return _power(n / fit["scale"], a, b, c, fit["sign"])
    alpha, beta = fit["params"]
    return alpha + beta * np.log(n)


# ---------------------------------------------------------------- the curve

def _interval(values) -> list[float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))] if len(v) else [math.nan, math.nan]


def summarise(sizes: list[int], results: list[list[dict]], metrics: list[str], *, seed: int = 0,
              allow_scipy: bool = True, fit_on: int | None = None) -> dict:
    """The learning curve.

    sizes: training records per size (ascending); results[i][s]: per-record validation arrays of
    size i, seed s (classification: y_true, y_pred; sft: nll, tokens), all on the same records.
    metrics[0] is the one fitted. fit_on: fit on the first k sizes only (the bench's prediction test).
    """
    rng = np.random.default_rng(seed)
    n_val = len(next(iter(results[0][0].values())))
    n_seeds = len(results[0])
    recs = [[as_arrays(r) for r in row] for row in results]
    every = np.arange(n_val)

    def curve(metric, idx, seeds):
        return np.array([np.mean([STAT[metric](row[s], idx) for s in seeds]) for row in recs])

    # one resample of the validation records (and of the seeds) = one whole curve
    boots = [(rng.integers(0, n_val, n_val), rng.integers(0, n_seeds, n_seeds) if n_seeds > 1 else np.zeros(1, int))
             for _ in range(N_BOOT)]
    points = [{"n": int(n), "metrics": {}} for n in sizes]
    for metric in metrics:
        value = curve(metric, every, range(n_seeds))
        boot = np.array([curve(metric, idx, seeds) for idx, seeds in boots])
        per_seed = np.array([[STAT[metric](row[s], every) for s in range(n_seeds)] for row in recs])
        for i, p in enumerate(points):
            p["metrics"][metric] = {"value": float(value[i]), "ci": _interval(boot[:, i]),
                                    "seeds": [float(v) for v in per_seed[i]],
                                    "seed_sd": float(per_seed[i].std(ddof=1)) if n_seeds > 1 else None}
    main = metrics[0]
    k = fit_on or len(sizes)
    ns = np.asarray(sizes[:k], dtype=float)
    ys = np.array([p["metrics"][main]["value"] for p in points[:k]])
    fit = fit_curve(ns, ys, main, allow_scipy=allow_scipy)
    n_big = float(sizes[k - 1])
    deltas, later = [], []
    for idx, seeds in boots[:N_BOOT_FIT]:
        yb = curve(main, idx, seeds)[:k]
        fb = fit_curve(ns, yb, main, allow_scipy=allow_scipy and fit["kind"] == "power")
        if fb["kind"] == fit["kind"]:
            deltas.append(float(predict(fb, 2 * n_big) - predict(fb, n_big)))
            later.append(predict(fb, sizes[k:]))
    doubling = {"from": int(n_big), "to": int(2 * n_big),
                "gain": float(predict(fit, 2 * n_big) - predict(fit, n_big)), "ci": _interval(deltas),
                "resamples": len(deltas)}
    out = {"metric": main, "metrics": metrics, "validation_records": n_val, "seeds": n_seeds, "points": points,
           "fit": fit | {"on_sizes": [int(v) for v in ns]}, "doubling": doubling}
    if k < len(sizes):  # the extrapolation test: what the fit on the first k sizes says about the rest
        later = np.array(later).reshape(len(later), -1)
        out["held_out"] = [{"n": p["n"], "predicted": float(predict(fit, p["n"])), "ci": _interval(later[:, j]),
                            "measured": p["metrics"][main]["value"], "measured_ci": p["metrics"][main]["ci"]}
                           for j, p in enumerate(points[k:])]
    out["sentence"] = doubling_sentence(out)
    return out


def _num(metric: str, v: float) -> str:
    return f"{100 * v:+.1f}" if METRICS[metric][1] else f"{v:+.3f}"


def doubling_sentence(c: dict) -> str:
    m, d = c["metric"], c["doubling"]
    lo, hi = d["ci"]
    bounded = METRICS[m][1]
    unit = " points" if bounded else ""
    name = m.replace("_", "-") if bounded else "validation loss (per answer token; lower is better)"
    change = (f"add {_num(m, d['gain'])}{unit} of {name}" if bounded and d["gain"] >= 0
              else f"change {name} by {_num(m, d['gain'])}{unit}")
    how = (f"inverse power law {c['fit']['formula'].split(' (')[0]}" if c["fit"]["kind"] == "power"
           else "log-linear fit")
    if math.isfinite(lo):
        interval = f"95% interval {_num(m, lo)} to {_num(m, hi)}{unit}" + (
            ", which includes no change" if lo <= 0 <= hi else "")
    else:
        interval = "no interval: the resampled fits failed"
    bound = ("; its asymptote a sits at its bound, so these sizes do not locate the ceiling and the estimate leans "
             "on the curve's shape" if c["fit"].get("a_at_bound") else "")
    return (f"doubling the data from {d['from']:,} to {d['to']:,} training records is likely to {change} "
            f"({interval}; {how} on {len(c['fit']['on_sizes'])} sizes, extrapolated beyond the largest one{bound})")


# ---------------------------------------------------------------- the plot

def curve_svg(c: dict, width: int = 600, height: int = 300) -> str:
    """Metric vs training records on a log x axis: points with their 95% interval, seeds as grey dots,
    the fitted curve dashed out to 2N with the doubling prediction as a hollow marker."""
    m = c["metric"]
    pct = 100.0 if METRICS[m][1] else 1.0
    pts = c["points"]
    n_lo, n_hi = pts[0]["n"], c["doubling"]["to"]
    xs = np.exp(np.linspace(math.log(n_lo), math.log(n_hi), 60))
    fitted = predict(c["fit"], xs)
    ys = [v for p in pts for v in (p["metrics"][m]["value"], *p["metrics"][m]["ci"], *p["metrics"][m]["seeds"])]
    ys = [v for v in ys + list(fitted) if math.isfinite(v)]
    y0, y1 = min(ys), max(ys)
    y0, y1 = y0 - 0.05 * (y1 - y0 or 1), y1 + 0.05 * (y1 - y0 or 1)
    left, right, top, bottom = 64, 20, 30, 46
    lx0, lx1 = math.log(n_lo) - 0.15, math.log(n_hi) + 0.15

    def X(n):
        return left + (math.log(n) - lx0) / (lx1 - lx0) * (width - left - right)

    def Y(v):
        return top + (y1 - v) / (y1 - y0) * (height - top - bottom)

    parts = [f'<rect width="100%" height="100%" fill="white"/>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#999"/>']
    for n in [p["n"] for p in pts] + [n_hi]:
        parts.append(f'<line x1="{X(n):.1f}" y1="{height - bottom}" x2="{X(n):.1f}" y2="{height - bottom + 4}" stroke="#999"/>'
                     f'<text x="{X(n):.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle">{n:,}</text>')
    for v in np.linspace(y0, y1, 5)[1:-1]:
        parts.append(f'<line x1="{left - 4}" y1="{Y(v):.1f}" x2="{left}" y2="{Y(v):.1f}" stroke="#999"/>'
                     f'<text x="{left - 6}" y="{Y(v) + 3:.1f}" font-size="10" text-anchor="end">{v * pct:.{1 if pct > 1 else 3}f}</text>')
    name = f"validation {m.replace('_', '-')}" + (" (%)" if pct > 1 else "")
    parts.append(f'<text x="{(left + width - right) / 2:.0f}" y="{height - 8}" font-size="11" text-anchor="middle">'
                 'training records (log scale)</text>'
                 f'<text x="14" y="{(top + height - bottom) / 2:.0f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(top + height - bottom) / 2:.0f})">{html.escape(name)}</text>')
    path = " ".join(f"{X(n):.1f},{Y(v):.1f}" for n, v in zip(xs, fitted) if math.isfinite(v))
    parts.append(f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" stroke-dasharray="5,4" points="{path}"/>')
    for p in pts:
        r = p["metrics"][m]
        x = X(p["n"])
        if len(r["seeds"]) > 1:
            parts += [f'<circle cx="{x:.1f}" cy="{Y(v):.1f}" r="2" fill="#aaa"/>' for v in r["seeds"]]
        lo, hi = r["ci"]
        if math.isfinite(lo):
            parts.append(f'<line x1="{x:.1f}" y1="{Y(lo):.1f}" x2="{x:.1f}" y2="{Y(hi):.1f}" stroke="#d62728" stroke-width="1.5"/>'
                         f'<line x1="{x - 4:.1f}" y1="{Y(lo):.1f}" x2="{x + 4:.1f}" y2="{Y(lo):.1f}" stroke="#d62728"/>'
                         f'<line x1="{x - 4:.1f}" y1="{Y(hi):.1f}" x2="{x + 4:.1f}" y2="{Y(hi):.1f}" stroke="#d62728"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{Y(r["value"]):.1f}" r="3.5" fill="#d62728">'
                     f'<title>{p["n"]:,} records: {r["value"] * pct:.{2 if pct > 1 else 4}f} '
                     f'[{lo * pct:.{2 if pct > 1 else 4}f}, {hi * pct:.{2 if pct > 1 else 4}f}]</title></circle>')
    v2 = float(predict(c["fit"], n_hi))
    if math.isfinite(v2):
        parts.append(f'<circle cx="{X(n_hi):.1f}" cy="{Y(v2):.1f}" r="4" fill="white" stroke="#1f77b4" stroke-width="1.5">'
                     f'<title>fitted prediction at {n_hi:,} records: {v2 * pct:.{2 if pct > 1 else 4}f}</title></circle>')
    parts.append(f'<text x="{left + 4}" y="{top - 12}" font-size="11"><tspan fill="#d62728">measured (95% interval)'
                 f'</tspan> · <tspan fill="#1f77b4">fit: {html.escape(c["fit"]["formula"])}, hollow = 2x data</tspan></text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="learning curve: {html.escape(name)} vs training records">{"".join(parts)}</svg>\n')
