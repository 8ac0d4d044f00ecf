"""Usefulness per record. Classification: the margin of a probe classifier on the embeddings.

The probe is the cross-validated logistic regression of the label-issues stage (each record is
scored by a model that never saw it): margin = p(given label) - the highest probability of any
other label, in [-1, 1]. A negative margin means the data itself prefers another label (a likely
mislabel or an ambiguous text); such a record teaches a small classifier the wrong boundary, so
selection weights a record's gain by (1 + margin) / 2 raised to `margin_power` (0: ignore the score).

The margin is a stage signal (`probe_margin`), cached like every other, so a rule can read it too.
The SFT score (answer perplexity / IFD under a causal LM) is in ifd.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.embed.encode import embed_texts, record_texts
from curate.embed.label_issues import LabelIssuesConfig, out_of_sample_probs
from curate.stages import register_stage


@dataclass
class ProbeMarginConfig(LabelIssuesConfig):
    pass


def margins(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    rows = np.arange(len(y))
    given = probs[rows, y]
    other = probs.copy()
    other[rows, y] = -np.inf
    return given - other.max(1) if probs.shape[1] > 1 else given


STAGE_NAME = "probe_margin"


@register_stage(STAGE_NAME, config=ProbeMarginConfig, columns=("probe_margin",))
def probe_margin(batch: dict[str, list], *, config: ProbeMarginConfig) -> dict[str, list]:
    """Cross-validated probe classifier's p(given label) minus the best other label's probability."""
    n = len(batch["id"])
    labels = batch["label"]
    if n < 4 or any(lab is None for lab in labels) or len(set(map(str, labels))) < 2:
        return {"probe_margin": [None] * n}
    names = sorted(set(map(str, labels)))
    pos = {name: i for i, name in enumerate(names)}
    y = np.array([pos[str(lab)] for lab in labels])
    x = embed_texts(record_texts(batch, config.side), config)
    probs = out_of_sample_probs(x, y, len(names), config.folds, config.C, config.seed)
    return {"probe_margin": np.round(margins(probs, y), 4).astype(float).tolist()}


def usefulness_from_margin(margin, power: float) -> np.ndarray:
    m = np.asarray([0.0 if v is None else float(v) for v in margin])
    return np.clip((1.0 + m) / 2.0, 1e-3, 1.0) ** power
