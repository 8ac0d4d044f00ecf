"""shared_blocks hashes texts in batches (bounded memory): the blocks it finds do not depend on the batch size."""

from __future__ import annotations

import numpy as np
import pytest

from curate.dedup.shared import shared_blocks
from curate.dedup.stage import record_texts
from tests.dedup.helpers import sft_batch
from tests.dedup.tool_data import PREAMBLE, request, rows as tool_rows

TAIL = " Always answer in English and cite the policy number you used when a rule applies to the case."


def two_templates(n=80):
    """Half the records open with the tool preamble, a third end with a shared footer, some both."""
    out = []
    for k in range(n):
        t = request(k) * 2
        if k % 2 == 0:
            t = PREAMBLE + "\n" + t
        if k % 3 == 0:
            t = t + TAIL
        out.append(t)
    return out


CASES = {
    "tool-preamble": lambda: record_texts(sft_batch(tool_rows())),
    "preamble-and-footer": two_templates,
    "no-template": lambda: [request(k) * 3 for k in range(40)],
    "empty-and-short": lambda: ["", "x", PREAMBLE, "", PREAMBLE] * 5,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("batch_chars", [1, 300, 5000], ids=["one-text-per-batch", "small", "medium"])
def test_same_blocks_for_any_batch_size(case, batch_chars):
    texts = CASES[case]()
    kw = dict(share=0.1, min_chars=64, active=np.arange(len(texts)))
    whole = shared_blocks(texts, batch_chars=1 << 30, **kw)
    part = shared_blocks(texts, batch_chars=batch_chars, **kw)
    assert (part.texts, part.block, part.chars, part.blocks) == (whole.texts, whole.block, whole.chars, whole.blocks)
    if case != "no-template" and case != "empty-and-short":
        assert whole.blocks, "the case should hold a template"


def test_footer_found_in_its_share_of_records():
    texts = two_templates(90)
    res = shared_blocks(texts, share=0.2, min_chars=64, batch_chars=200)
    cut = {b["text"].strip() for b in res.blocks}
    assert any(TAIL.strip() in c or c in TAIL for c in cut)
