"""What a score should be compared with, and what it may be inflated by.

`probe_baseline`: a classifier's honest "before" is not its base model with a freshly initialised
head (that is chance), but the cheap model anyone would try first: the frozen base encoder's
mean-pooled features and a logistic regression fitted on the same training records. A fine-tune
that does not beat it has bought nothing for its cost (Kumar et al. 2022 report linear probes
within a few points of fine-tuning on in-distribution data).

`paraphrase_leakage`: the share of test records that have a paraphrase in the training data
(cosine >= the audit's semantic leak threshold in the audit's embedding space). A test score over
paraphrased records measures recall of the training set; the audit's `max_semantic_leakage` rule
only warns, so `curate eval` says it next to the score.
"""

from __future__ import annotations

import numpy as np

from curate.errors import CurateError


def load_training_data(manifest):
    """(the run's training dataset, None) or (None, why it could not be read)."""
    from curate.load import load_dataset

    if not manifest.data_path:
        return None, "run.json names no training file"
    try:
        ds = load_dataset(manifest.data_path, **(manifest.config.get("load_kwargs") or {}))
    except CurateError as e:
        return None, f"training file {manifest.data_path} not readable here ({str(e).splitlines()[0]})"
    if ds.fingerprint != manifest.data_fingerprint:
        return None, f"training file {manifest.data_path} has changed since the run (fingerprint differs)"
    return ds, None


def probe_baseline(base, tok, train_recs: list[dict], test_texts: list[str], labels: list[str], *,
                   batch_size: int, max_length: int, seed: int = 0) -> tuple[list[str], int]:
    """Predictions of a logistic regression on the frozen base model's features, fitted on `train_recs`.

    Returns (predicted labels for `test_texts`, records fitted). Features are standardised, C=1:
    the default probe, not one tuned on the test set.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from train.predict import embed

    fit = [r for r in train_recs if r["label"] in set(labels)]
    x = embed(base, tok, [r["prompt"] for r in fit], batch_size=batch_size, max_length=max_length).numpy()
    y = [r["label"] for r in fit]
    if len(set(y)) < 2:
        raise CurateError("the probe baseline needs at least two labels in the training data")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)).fit(x, y)
    xt = embed(base, tok, test_texts, batch_size=batch_size, max_length=max_length).numpy()
    return [str(p) for p in clf.predict(xt)], len(fit)


def _embed_texts(texts: list[str]) -> np.ndarray:
    from curate.embed.encode import EmbedConfig, embed_texts

    return embed_texts(texts, EmbedConfig())


def paraphrase_leakage(train_texts: list[str], test_texts: list[str], *, threshold: float | None = None,
                       embed=None) -> dict:
    """Test records whose nearest training record is at cosine >= threshold (the audit's leak threshold)."""
    from curate.embed.semantic import SemanticConfig

    threshold = SemanticConfig().leak_threshold if threshold is None else threshold
    embed = embed or _embed_texts
    tr, te = embed(train_texts), embed(test_texts)
    if not len(tr) or not len(te):
        return {"threshold": threshold, "test_records": len(te), "leaked_test_records": 0, "share": 0.0,
                "training_records_paraphrasing": 0, "examples": []}
    sims = te @ tr.T
    best, nearest = sims.max(1), sims.argmax(1)
    hit = np.nonzero(best >= threshold)[0]
    train_hit = (sims >= threshold).any(0)
    return {"threshold": threshold, "test_records": len(te), "leaked_test_records": int(len(hit)),
            "share": float(len(hit) / len(te)), "training_records_paraphrasing": int(train_hit.sum()),
            "examples": [{"test_index": int(i), "train_index": int(nearest[i]), "similarity": round(float(best[i]), 4)}
                         for i in hit[np.argsort(-best[hit])][:10]]}
