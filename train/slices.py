"""Per-slice evaluation: is the model as good on every group of the test set as on the whole?

`curate eval RUN --data TEST --slice-by FIELD` groups the test records by a column of the test file
(or `topic`: the nearest topic of the run's audit). For every slice: each metric with a 95%
bootstrap interval; the slice's gap to the rest of the test set with its own bootstrap interval;
a flag when the slice is significantly below the rest (the interval of the gap is below 0 at a
Bonferroni-corrected level, so 20 slices do not produce one false alarm on average). Classification
adds, per slice, each label's predicted rate and its true/false positive rates: their largest
differences between slices are the demographic-parity and equalised-odds gaps (Hardt et al. 2016).
When a reference model was scored on the same records (the frozen-feature probe for a classifier,
the base model for generation) a paired bootstrap says whether fine-tuning widened a slice's gap.

The training-data view (`label_distribution`) counts labels per slice in the training file, with a
chi-square test of independence: a skew the model could learn and amplify, visible before training.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from curate.errors import DataError

MISSING = "(missing)"
MIN_SLICE = 5  # slices smaller than this get numbers but no significance flag: their interval is all noise


def slice_values(ds, field: str) -> list[str]:
    """The value of `field` for each record of `ds` (from its original rows), as strings."""
    cols = set().union(*(r.keys() for r in ds.raw)) if ds.raw else set()
    if field not in cols:
        from curate.errors import did_you_mean

        raise DataError(ds.path, None, f"has no column '{field}' to slice by{did_you_mean(field, sorted(cols))}",
                        fix=f"pass one of its columns: {', '.join(sorted(cols)[:20])}; or --slice-by topic")
    out = []
    for row in ds.raw:
        v = row.get(field)
        out.append(MISSING if v is None or (isinstance(v, str) and not v.strip()) else str(v))
    return out


def _boot_idx(n: int, n_resamples: int, rng) -> np.ndarray:
    return rng.integers(0, n, size=(n_resamples, n)) if n else np.zeros((n_resamples, 0), dtype=int)


def macro_f1_resampled(t: np.ndarray, p: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Macro F1 (over labels present in each resample) for every row of resample indices `idx`, vectorised.

    t, p: label ids (a prediction outside the labels is id k, an error that counts for no class).
    """
    b, n = idx.shape
    if not n:
        return np.full(b, np.nan)
    rows = np.repeat(np.arange(b), n)
    tt, pp = t[idx].ravel(), p[idx].ravel()
    size = b * (k + 1)
    tp = np.bincount(rows * (k + 1) + tt, weights=(tt == pp), minlength=size).reshape(b, k + 1)[:, :k]
    sup = np.bincount(rows * (k + 1) + tt, minlength=size).reshape(b, k + 1)[:, :k]
    pred = np.bincount(rows * (k + 1) + pp, minlength=size).reshape(b, k + 1)[:, :k]
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(pred > 0, tp / np.maximum(pred, 1), 0.0)
        rec = np.where(sup > 0, tp / np.maximum(sup, 1), 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    present = sup > 0
    return (f1 * present).sum(1) / np.maximum(present.sum(1), 1)


def _ci(values: np.ndarray, confidence: float) -> list[float]:
    tail = (1 - confidence) / 2 * 100
    return [float(np.nanpercentile(values, tail)), float(np.nanpercentile(values, 100 - tail))]


def per_example_scores(preds: list[dict], task: str, key: str = "prediction") -> dict[str, np.ndarray]:
    """Per-example scores whose mean is each headline metric (classification: accuracy; generation: EM, ROUGE)."""
    if task == "classification":
        return {"accuracy": np.array([float(p[key] == p["reference"]) for p in preds])}
    from train.metrics import exact_match, rouge_scores

    gens, refs = [p[key] for p in preds], [p["reference"] for p in preds]
    out = {k: np.array(v) * 100 for k, v in rouge_scores(gens, refs).items()}
    out["exact_match"] = np.array([exact_match(g, r) for g, r in zip(gens, refs)])
    return out


def analyse(preds: list[dict], groups: list[str], task: str, labels: list[str] | None = None, *,
            n_resamples: int = 1000, seed: int = 0, field: str = "") -> dict:
    """Per-slice metrics, gaps to the rest, significance flags, fairness gaps and the reference comparison."""
    rng = np.random.default_rng(seed)
    g = np.array(groups, dtype=object)
    names = [s for s, _ in Counter(groups).most_common()]
    n_sig = sum(1 for s in names if (g == s).sum() >= MIN_SLICE) or 1
    conf = 1 - 0.05 / n_sig  # Bonferroni over the slices that can be flagged
    decide = "accuracy" if task == "classification" else "rougeL"
    ref_key = "probe_prediction" if task == "classification" else "base_prediction"
    has_ref = bool(preds) and ref_key in preds[0]
    scores = per_example_scores(preds, task)
    ref_scores = per_example_scores(preds, task, ref_key)[decide] if has_ref else None
    if task == "classification":
        labels = list(labels or sorted({p["reference"] for p in preds}))
        lid = {lab: i for i, lab in enumerate(labels)}
        t = np.array([lid.get(p["reference"], len(labels)) for p in preds])
        pr = np.array([lid.get(p["prediction"], len(labels)) for p in preds])
    overall = {m: float(v.mean()) for m, v in scores.items()}
    if task == "classification":
        overall["macro_f1"] = float(macro_f1_resampled(t, pr, np.arange(len(t))[None, :], len(labels))[0])
    rows = []
    for s in names:
        mask = g == s
        n = int(mask.sum())
        idx = np.nonzero(mask)[0]
        rest = np.nonzero(~mask)[0]
        bi = _boot_idx(n, n_resamples, rng)
        row = {"slice": s, "n": n, "metrics": {}}
        for m, v in scores.items():
            vals = v[idx][bi].mean(1) if n else np.full(n_resamples, np.nan)
            row["metrics"][m] = {"mean": float(v[idx].mean()) if n else float("nan"), "ci": _ci(vals, 0.95)}
        if task == "classification":
            f1s = macro_f1_resampled(t[idx], pr[idx], bi, len(labels))
            row["metrics"]["macro_f1"] = {"mean": float(macro_f1_resampled(t[idx], pr[idx], np.arange(n)[None, :],
                                                                           len(labels))[0]), "ci": _ci(f1s, 0.95)}
            row["rates"] = _rates(t[idx], pr[idx], labels)
        # gap to the rest of the test set: independent bootstraps of the slice and the rest
        v = scores[decide]
        if len(rest):
            br = _boot_idx(len(rest), n_resamples, rng)
            diff = v[idx][bi].mean(1) - v[rest][br].mean(1)
            row["gap_to_rest"] = {"metric": decide, "value": float(v[idx].mean() - v[rest].mean()),
                                  "ci": _ci(diff, conf), "confidence": conf}
            row["significantly_below"] = bool(n >= MIN_SLICE and row["gap_to_rest"]["ci"][1] < 0)
            if ref_scores is not None:  # paired: the same resampled records for the model and the reference
                gap_t = v[idx][bi].mean(1) - v[rest][br].mean(1)
                gap_r = ref_scores[idx][bi].mean(1) - ref_scores[rest][br].mean(1)
                change = gap_t - gap_r
                row["reference_gap"] = float(ref_scores[idx].mean() - ref_scores[rest].mean())
                row["gap_change"] = {"value": row["gap_to_rest"]["value"] - row["reference_gap"], "ci": _ci(change, conf)}
                # widened: the slice is behind the rest and fell further behind; a slice ahead of the rest
                # whose lead shrank has a narrower gap, not a wider one
                row["widened"] = bool(n >= MIN_SLICE and row["gap_to_rest"]["value"] < 0 and row["gap_change"]["ci"][1] < 0)
        else:
            row["significantly_below"] = False
        rows.append(row)
    worst = min(rows, key=lambda r: r["metrics"][decide]["mean"])
    out = {"field": field, "metric": decide, "overall": overall, "confidence_for_flags": conf,
           "reference": ("frozen-feature probe" if task == "classification" else "base model") if has_ref else None,
           "slices": rows, "worst": {"slice": worst["slice"], "value": worst["metrics"][decide]["mean"],
                                     "gap_to_rest": (worst.get("gap_to_rest") or {}).get("value")},
           "flagged": [r["slice"] for r in rows if r["significantly_below"]],
           "widened": [r["slice"] for r in rows if r.get("widened")]}
    if task == "classification":
        out["fairness"] = _fairness_gaps(rows, labels)
    return out


def _rates(t: np.ndarray, p: np.ndarray, labels: list[str]) -> dict:
    """Per label: predicted rate P(pred=c), true positive rate P(pred=c | y=c), false positive rate P(pred=c | y!=c)."""
    out = {}
    for i, lab in enumerate(labels):
        pos, neg = t == i, t != i
        out[lab] = {"predicted_rate": float((p == i).mean()) if len(p) else None,
                    "tpr": float((p[pos] == i).mean()) if pos.any() else None,
                    "fpr": float((p[neg] == i).mean()) if neg.any() else None}
    return out


def _fairness_gaps(rows: list[dict], labels: list[str]) -> dict:
    """Largest between-slice difference of each rate over labels: demographic parity (predicted rate) and
    equalised odds (max of the TPR and FPR differences), with the label and slices where it occurs."""
    out = {}
    for name, keys in (("demographic_parity", ("predicted_rate",)), ("equalised_odds", ("tpr", "fpr"))):
        best = {"gap": 0.0}
        for lab in labels:
            for k in keys:
                vals = [(r["rates"][lab][k], r["slice"]) for r in rows if r["n"] >= MIN_SLICE
                        and r["rates"][lab][k] is not None]
                if len(vals) < 2:
                    continue
                (lo, s_lo), (hi, s_hi) = min(vals), max(vals)
                if hi - lo > best["gap"]:
                    best = {"gap": hi - lo, "label": lab, "rate": k, "low": [s_lo, lo], "high": [s_hi, hi]}
        out[name] = best
    return out


def label_distribution(records: list[dict], groups: list[str]) -> dict:
    """Label counts per slice of the training data and a chi-square test that label and slice are independent."""
    labels = sorted({r["label"] for r in records})
    names = [s for s, _ in Counter(groups).most_common()]
    table = np.array([[sum(1 for r, g in zip(records, groups) if g == s and r["label"] == lab) for lab in labels]
                      for s in names])
    out = {"labels": labels, "slices": names, "counts": table.tolist()}
    keep_r, keep_c = table.sum(1) > 0, table.sum(0) > 0
    t = table[keep_r][:, keep_c]
    if t.shape[0] >= 2 and t.shape[1] >= 2:
        from scipy.stats import chi2_contingency

        chi2, pval, dof, expected = chi2_contingency(t)
        n = t.sum()
        cramers_v = float(np.sqrt(chi2 / (n * (min(t.shape) - 1))))
        # skewed: significant (p < 0.01) AND not negligible (Cramer's V >= 0.1, Cohen's "small"): on a large
        # training set a trivial dependence is significant but nothing a model could exploit
        out |= {"chi2": float(chi2), "p_value": float(pval), "dof": int(dof), "cramers_v": cramers_v,
                "skewed": bool(pval < 0.01 and cramers_v >= 0.1)}
        ratio = np.where(expected >= 5, t / np.maximum(expected, 1e-12), 0)  # cells too small to say are skipped
        if ratio.max() > 0:
            i, j = np.unravel_index(np.argmax(ratio), ratio.shape)
            out["most_over_represented"] = {"slice": [s for s, k in zip(names, keep_r) if k][i],
                                            "label": [lab for lab, k in zip(labels, keep_c) if k][j],
                                            "observed": int(t[i, j]), "expected": float(expected[i, j])}
    return out


def topic_groups(audit_path: str | None, test_texts: list[str], embed) -> tuple[list[str], dict[str, str]]:
    """(topic of each test text, topic of each training record id) from the run's audit.

    A test record belongs to the audit's topic whose centroid (mean of its training embeddings,
    the audit's own embedding model) is nearest: the same topics the audit report shows.
    """
    from pathlib import Path

    from curate.errors import CurateError

    sig = Path(audit_path).parent / "signals.parquet" if audit_path else None
    if sig is None or not sig.exists():
        raise CurateError(f"--slice-by topic needs the run's audit signals ({sig or 'run.json names no audit'})",
                          fix="slice by a column of the test file, or re-run `curate audit` on the training data")
    import pandas as pd

    # the audit writes its embedding matrix next to the signals (embeddings.npy, a row per record);
    # audits made before that kept it as a signals column
    npy = sig.with_name("embeddings.npy")
    df = pd.read_parquet(sig, columns=["id", "topic_cluster", "topic_label"] + ([] if npy.exists() else ["embedding"]))
    if npy.exists():
        df["embedding"] = list(np.load(npy))
    df = df[df["topic_cluster"].notna() & df["embedding"].notna()]
    if df.empty:
        raise CurateError(f"{sig}: the audit computed no topics", fix="slice by a column of the test file")
    names = {int(c): f"#{int(c)}: {lab}" for c, lab in zip(df["topic_cluster"], df["topic_label"])}
    x = np.stack(df["embedding"].to_numpy()).astype(np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    clusters = sorted(names)
    cent = np.stack([x[(df["topic_cluster"] == c).to_numpy()].mean(0) for c in clusters])
    cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
    nearest = (embed(test_texts) @ cent.T).argmax(1)
    train = {str(i): names[int(c)] for i, c in zip(df["id"], df["topic_cluster"])}
    return [names[clusters[j]] for j in nearest], train
