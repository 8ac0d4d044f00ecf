"""Label issues (classification): records whose given label the data itself disagrees with.

Out-of-sample class probabilities come from a logistic regression on the embeddings, fitted in
`folds`-fold cross-validation (each record is scored by a model that never saw it). A record is
flagged the confident-learning way (Northcutt et al. 2021, the idea behind cleanlab): with the
per-class threshold t_j = mean probability of class j over the records labelled j, a record labelled
y whose probability for some other class j reaches t_j (and beats its probability for y) is
likely mislabelled, and j is the suggested label. A record whose given label gets less than
`max_given_prob` is flagged too (cleanlab's self-confidence), with the most probable class suggested:
when the classifier hesitates between several other classes no single one reaches its threshold
(4 of the 10 planted mislabels in sample_data/intents_train.csv, all with p(given) < 0.01).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from curate.embed.encode import EmbedConfig, Embeddings
from curate.stages import register_stage


@dataclass
class LabelIssuesConfig(EmbedConfig):  # the EmbedConfig fields come from the embed stage (curate/engine/graph.py)
    folds: int = 5  # cross-validation folds for the out-of-sample probabilities
    C: float = 10.0  # inverse regularisation of the logistic regression (unit vectors need a weak penalty)
    max_given_prob: float = 0.02  # also flag a record whose given label gets less than this probability
    seed: int = 0  # fold shuffling seed


def out_of_sample_probs(x: np.ndarray, y: np.ndarray, n_classes: int, folds: int, C: float, seed: int) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, StratifiedKFold

    probs = np.zeros((len(y), n_classes))
    smallest = np.bincount(y, minlength=n_classes)[np.bincount(y, minlength=n_classes) > 0].min()
    k = max(2, min(folds, len(y)))
    split = StratifiedKFold(k, shuffle=True, random_state=seed) if smallest >= k else KFold(k, shuffle=True, random_state=seed)
    for tr, te in split.split(x, y):
        if len(set(y[tr])) < 2:  # a fold with one class cannot fit a classifier: it predicts that class
            probs[np.ix_(te, np.unique(y[tr]))] = 1.0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = LogisticRegression(C=C, max_iter=300).fit(x[tr], y[tr])
        probs[np.ix_(te, clf.classes_)] = clf.predict_proba(x[te])
    return probs


def find_label_issues(probs: np.ndarray, y: np.ndarray, max_given_prob: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """(issue mask, suggested class) by confident learning's per-class thresholds."""
    n, k = probs.shape
    thresholds = np.array([probs[y == j, j].mean() if (y == j).any() else 1.0 for j in range(k)])
    above = probs >= thresholds[None, :]
    masked = np.where(above, probs, -1.0)
    suggested = masked.argmax(1)
    rows = np.arange(n)
    issue = above.any(1) & (suggested != y) & (probs[rows, suggested] > probs[rows, y])
    low = (probs[rows, y] < max_given_prob) & (probs.argmax(1) != y)
    suggested = np.where(issue, suggested, probs.argmax(1))
    issue |= low
    return issue, np.where(issue, suggested, y)


@register_stage("label_issues", config=LabelIssuesConfig, reads=("embedding",),
                columns=("label_issue", "label_given_prob", "label_suggested", "label_suggested_prob"))
def label_issues(batch: dict[str, list], *, config: LabelIssuesConfig, embedding: Embeddings) -> dict[str, list]:
    """Likely mislabelled records: cross-validated classifier on embeddings, confident-learning thresholds."""
    n = len(batch["id"])
    labels = batch["label"]
    if n < 4 or any(lab is None for lab in labels) or len(set(labels)) < 2:
        return {"label_issue": [False] * n, "label_given_prob": [None] * n, "label_suggested": [None] * n,
                "label_suggested_prob": [None] * n}
    names = sorted(set(map(str, labels)))
    y = np.array([names.index(str(lab)) for lab in labels])
    x = embedding.vectors
    probs = out_of_sample_probs(x, y, len(names), config.folds, config.C, config.seed)
    issue, sugg = find_label_issues(probs, y, config.max_given_prob)
    rows = np.arange(n)
    return {"label_issue": issue.tolist(), "label_given_prob": np.round(probs[rows, y], 4).tolist(),
            "label_suggested": [names[s] if f else None for s, f in zip(sugg, issue)],
            "label_suggested_prob": [round(float(probs[i, s]), 4) if f else None for i, (s, f) in enumerate(zip(sugg, issue))]}
