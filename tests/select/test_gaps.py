"""The suggested label of a gap says where it comes from, and never claims more than the data shows."""

from __future__ import annotations

import numpy as np
import pytest

from curate.select.gaps import suggest_label


@pytest.mark.parametrize("how,ref_labels,train_labels,sims,label,source", [
    ("label", ["crypto", "crypto"], ["card", "card"], [0.2, 0.3], "crypto", "the group's label"),
    ("cluster", ["crypto", "crypto", "card"], [None] * 3, [0.1] * 3, "crypto", "reference label of 2 of 3 records"),
    ("cluster", [None, None, None], ["card", "card", "pin"], [0.7, 0.65, 0.9], "card",
     "label of 2 of 3 nearest training records at cosine >= 0.6"),
    ("cluster", [None, None], ["card", "pin"], [0.7, 0.2], "card", "label of 1 of 1 nearest training records at cosine >= 0.6"),
    ("cluster", [None, None], ["card", "pin"], [0.3, 0.2], "", "none: no training record at cosine >= 0.6; a new label"),
    ("cluster", [None, None], [None, None], [0.9, 0.9], "", "none: neither side has labels"),
], ids=["by-label", "reference-labels", "close-training-labels", "only-close-ones-count", "new-topic", "no-labels"])
def test_suggest_label(how, ref_labels, train_labels, sims, label, source):
    got, why = suggest_label(how, "crypto" if how == "label" else "#3: bitcoin, wallet", ref_labels, train_labels,
                             np.array(sims), 0.6)
    assert got == label and why.startswith(source)
