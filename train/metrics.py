"""Task metrics over plain lists: classification, generation, perplexity, bootstrap intervals.

Pure functions, no model and no I/O, so `train/evaluate.py` and the benchmarks share them and the
tests check them against hand-computed values and against the `rouge-score` package.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

import numpy as np

# ---------------------------------------------------------------- classification


def confusion_matrix(y_true: list[str], y_pred: list[str], labels: list[str]) -> list[list[int]]:
    """Rows are the true label, columns the predicted one, both in `labels` order.

    A prediction outside `labels` (a generated label the model invented) gets no column: it counts
    as an error for its row without inflating any other class's precision.
    """
    index = {label: i for i, label in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred):
        if t in index and p in index:
            m[index[t]][index[p]] += 1
    return m


def per_class_prf(y_true: list[str], y_pred: list[str], labels: list[str]) -> list[dict]:
    """Precision, recall, F1 and support per label; 0 where a ratio has no denominator."""
    out = []
    for label in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == label and p == label)
        predicted = sum(1 for p in y_pred if p == label)
        support = sum(1 for t in y_true if t == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"label": label, "precision": precision, "recall": recall, "f1": f1, "support": support})
    return out


def classification_metrics(y_true: list[str], y_pred: list[str], labels: list[str] | None = None) -> dict:
    """Accuracy, macro precision/recall/F1 over labels present in the test set, per-class table, confusion matrix.

    Macro averages run over the labels that occur in `y_true` (as scikit-learn does when given
    those labels): a class the test set never contains would add a 0 that says nothing about the model.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} references but {len(y_pred)} predictions")
    labels = list(labels) if labels else sorted(set(y_true) | set(y_pred))
    n = len(y_true)
    per_class = per_class_prf(y_true, y_pred, labels)
    present = [c for c in per_class if c["support"] > 0]
    macro = {k: (sum(c[k] for c in present) / len(present) if present else 0.0) for k in ("precision", "recall", "f1")}
    return {
        "n": n,
        "accuracy": sum(t == p for t, p in zip(y_true, y_pred)) / n if n else 0.0,
        "macro_precision": macro["precision"],
        "macro_recall": macro["recall"],
        "macro_f1": macro["f1"],
        "per_class": per_class,
        "labels": labels,
        "confusion": confusion_matrix(y_true, y_pred, labels),
    }


def macro_f1(y_true: list[str], y_pred: list[str]) -> float:
    return classification_metrics(y_true, y_pred)["macro_f1"]


# ---------------------------------------------------------------- bootstrap


def bootstrap_ci(n: int, statistic, *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(indices)` over `n` examples resampled with replacement.

    `statistic` takes an index array so one resampling scheme serves accuracy, macro F1 and ROUGE.
    A fixed seed makes the interval itself reproducible run to run.
    """
    if n == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, size=n)) for _ in range(n_resamples)], dtype=float)
    tail = (1 - confidence) / 2 * 100
    return (float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))


def mean_ci(values: list[float], **kw) -> dict:
    """{"mean", "ci": [low, high]} of per-example scores (accuracy, exact match, ROUGE)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean()) if len(arr) else float("nan")
    low, high = bootstrap_ci(len(arr), lambda idx: arr[idx].mean(), **kw)
    return {"mean": mean, "ci": [low, high]}


def classification_cis(y_true: list[str], y_pred: list[str], **kw) -> dict:
    """95% bootstrap intervals for accuracy and macro F1 (resampling test examples)."""
    t, p = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    correct = (t == p).astype(float)
    return {
        "accuracy": list(bootstrap_ci(len(t), lambda idx: correct[idx].mean(), **kw)),
        "macro_f1": list(bootstrap_ci(len(t), lambda idx: macro_f1(list(t[idx]), list(p[idx])), **kw)),
    }


# ---------------------------------------------------------------- generation

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, drop punctuation and English articles, collapse whitespace."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


# ROUGE as in Lin (2004) and Google's rouge-score package (tests compare the two): lower case,
# non-alphanumerics become spaces, tokens of more than 3 characters Porter-stemmed when asked.
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _stemmer():
    try:
        from nltk.stem import porter
    except ImportError:  # pragma: no cover - nltk is a dependency
        from curate.errors import CurateError

        raise CurateError("ROUGE with stemming needs nltk's Porter stemmer", fix="pip install nltk") from None
    return porter.PorterStemmer()


def rouge_tokens(text: str, stemmer=None) -> list[str]:
    tokens = [t for t in _NON_ALNUM.sub(" ", text.lower()).split() if t]
    if stemmer is not None:
        tokens = [stemmer.stem(t) if len(t) > 3 else t for t in tokens]
    return tokens


def _f(overlap: int, n_pred: int, n_ref: int) -> float:
    p = overlap / n_pred if n_pred else 0.0
    r = overlap / n_ref if n_ref else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def rouge_n(pred: list[str], ref: list[str], n: int) -> float:
    pc = Counter(tuple(pred[i:i + n]) for i in range(len(pred) - n + 1))
    rc = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
    overlap = sum(min(c, pc[g]) for g, c in rc.items())
    return _f(overlap, sum(pc.values()), sum(rc.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(pred: list[str], ref: list[str]) -> float:
    if not pred or not ref:
        return 0.0
    return _f(lcs_length(pred, ref), len(pred), len(ref))


def rouge_scores(predictions: list[str], references: list[str], *, stem: bool = True) -> dict[str, list[float]]:
    """Per-example ROUGE-1/2/L F1 (0-1); the corpus score is their mean, as rouge-score reports it."""
    stemmer = _stemmer() if stem else None
    out = {"rouge1": [], "rouge2": [], "rougeL": []}
    for p, r in zip(predictions, references):
        pt, rt = rouge_tokens(p, stemmer), rouge_tokens(r, stemmer)
        out["rouge1"].append(rouge_n(pt, rt, 1))
        out["rouge2"].append(rouge_n(pt, rt, 2))
        out["rougeL"].append(rouge_l(pt, rt))
    return out


def sacrebleu_scores(predictions: list[str], references: list[str]) -> dict | None:
    """Corpus BLEU and chrF from sacrebleu when it is installed, else None (they are optional)."""
    try:
        import sacrebleu
    except ImportError:
        return None
    return {"bleu": sacrebleu.corpus_bleu(predictions, [references]).score,
            "chrf": sacrebleu.corpus_chrf(predictions, [references]).score}


def generation_metrics(predictions: list[str], references: list[str], *, stem: bool = True, seed: int = 0) -> dict:
    """Exact match and ROUGE-1/2/L (x100, with 95% bootstrap intervals), BLEU/chrF when available."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(references)} references but {len(predictions)} predictions")
    em = [exact_match(p, r) for p, r in zip(predictions, references)]
    out = {"n": len(predictions), "exact_match": mean_ci(em, seed=seed)}
    for name, vals in rouge_scores(predictions, references, stem=stem).items():
        out[name] = mean_ci([v * 100 for v in vals], seed=seed)
    extra = sacrebleu_scores(predictions, references)
    if extra:
        out.update(extra)
    return out


# ---------------------------------------------------------------- perplexity


def perplexity(nll_sum: float, n_tokens: int) -> float:
    """exp(mean token negative log-likelihood); inf when nothing was scored rather than a fake 1.0."""
    if n_tokens <= 0:
        return float("inf")
    return math.exp(nll_sum / n_tokens)
