"""Imbalance in training: balanced class weights and focal loss, against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from curate.errors import ConfigError
from train.config import TrainConfig
from train.losses import class_weights, classification_loss


@pytest.mark.parametrize("labels, k, expected", [
    ([0, 0, 0, 1], 2, [4 / (2 * 3), 4 / (2 * 1)]),  # the rare class weighs 3x the common one
    ([0, 1, 2], 3, [1.0, 1.0, 1.0]),  # balanced data: plain cross-entropy
    ([0, 0, 2], 3, [3 / (2 * 2), 0.0, 3 / (2 * 1)]),  # a class without training examples weighs nothing
], ids=["3-to-1", "balanced-data", "absent-class"])
def test_balanced_weights_are_sklearns(labels, k, expected):
    w = class_weights(labels, k, "balanced")
    assert w.tolist() == pytest.approx(expected)
    assert float(w[torch.tensor(labels)].mean()) == pytest.approx(1.0)  # the loss keeps its scale
    assert class_weights(labels, k, "none") is None


def test_focal_loss_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 0])
    p = torch.softmax(logits, -1)[:, 0]
    expected = sum(float((1 - pi) ** 2 * -math.log(pi)) for pi in p)
    assert float(classification_loss(logits, y, focal_gamma=2.0)) == pytest.approx(expected, rel=1e-6)
    # an easy example (p_true 0.88) is scaled down far more than a hard one (p_true 0.27)
    per = [(1 - pi) ** 2 for pi in p]
    assert per[0] < 0.02 < 0.5 < per[1]


@pytest.mark.parametrize("gamma, weight", [(0.0, None), (0.0, [1.0, 3.0]), (2.0, [1.0, 3.0])],
                         ids=["plain-ce", "weighted-ce", "weighted-focal"])
def test_weights_multiply_each_examples_term(gamma, weight):
    logits, y = torch.tensor([[1.0, -1.0], [0.5, 0.2], [0.0, 2.0]]), torch.tensor([0, 1, 1])
    w = None if weight is None else torch.tensor(weight)
    ce = F.cross_entropy(logits, y, reduction="none")
    terms = (1 - torch.exp(-ce)) ** gamma * ce * (1 if w is None else w[y])
    assert float(classification_loss(logits, y, weight=w, focal_gamma=gamma)) == pytest.approx(float(terms.sum()), rel=1e-6)


@pytest.mark.parametrize("field, value, message", [
    ("class_weights", "balance", "did you mean 'balanced'"),
    ("loss", "focall", "did you mean 'focal'"),
    ("focal_gamma", -1.0, "focal_gamma must be >= 0"),
], ids=["class-weights-typo", "loss-typo", "negative-gamma"])
def test_bad_loss_settings_are_config_errors(field, value, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict({field: value})
