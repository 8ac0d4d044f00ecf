"""The probe margin: negative where the data prefers another label, a weight that keeps such records out."""

from __future__ import annotations

import numpy as np
import pytest

from curate.select.score import ProbeMarginConfig, margins, probe_margin, usefulness_from_margin

PASSWORD = ["reset my password", "i forgot my password", "password reset link expired", "change my password please",
            "password not accepted", "new password needed", "password locked out", "my password expired"]
CARD = ["my card was stolen", "lost my card", "block my stolen card", "card never arrived", "card declined at shop",
        "replace my broken card", "card stuck in atm", "my card expired"]


def batch(texts, labels):
    n = len(texts)
    return {"id": [str(i) for i in range(n)], "prompt": texts, "response": [""] * n, "label": labels}


def test_a_mislabelled_record_gets_a_negative_margin_and_the_rest_positive():
    labels = ["password"] * 8 + ["card"] * 8
    labels[2] = "card"  # "password reset link expired" labelled card
    out = probe_margin(batch(PASSWORD + CARD, labels), config=ProbeMarginConfig(model="hashing", show_progress=False))
    m = np.array(out["probe_margin"])
    assert m[2] < 0
    assert (np.delete(m, 2) > 0).mean() >= 0.8


@pytest.mark.parametrize("labels", [[None] * 16, ["a"] * 16], ids=["unlabelled", "one-class"])
def test_no_margin_without_two_labels(labels):
    out = probe_margin(batch(PASSWORD + CARD, labels), config=ProbeMarginConfig(model="hashing", show_progress=False))
    assert out["probe_margin"] == [None] * 16


def test_margin_and_weight():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])
    assert np.allclose(margins(probs, np.array([0, 0])), [0.5, -0.5])
    assert np.allclose(usefulness_from_margin([0.5, -0.5, None], 1.0), [0.75, 0.25, 0.5])
    assert np.allclose(usefulness_from_margin([0.5, -1.0], 0.0), [1.0, 1.0])
