"""The classifier the selection and augmentation benches compare data with: logistic regression on
frozen embeddings (C=10), scored as accuracy."""

from __future__ import annotations

import warnings


def accuracy(x_tr, y_tr, x_te, y_te) -> float:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(C=10.0, max_iter=1000).fit(x_tr, y_tr)
    return float((clf.predict(x_te) == y_te).mean())
