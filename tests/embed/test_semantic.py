"""Semantic duplicates are verified against the record that is KEPT (SemHash's rule), the printed
cosine is the one to the named record, and shared template text is not similarity."""

from __future__ import annotations

import numpy as np
import pytest

from curate.embed.semantic import SemanticConfig, keep_verified, number_keys, semantic_columns
from tests.dedup.tool_data import PREAMBLE, request, rows as tool_rows
from tests.embed.helpers import audit, prompts_file


def fan(cosines_to_first: list[float]) -> np.ndarray:
    """Unit vectors in a plane at the angles whose cosine to the first vector is given."""
    ang = np.arccos(np.asarray([1.0] + list(cosines_to_first)))
    return np.stack([np.cos(ang), np.sin(ang)], axis=1).astype(np.float32)


def test_a_paraphrase_of_a_removed_record_is_kept():
    # b is 0.96 to a; c is 0.96 to b but only 0.84 to a: union-find removed c "for a"
    v = fan([0.96, np.cos(2 * np.arccos(0.96))])
    dup_of, sim = keep_verified(v, 0.95)
    assert list(dup_of) == [-1, 0, -1]
    assert sim[1] == pytest.approx(0.96, abs=1e-4)


def test_printed_similarity_is_the_cosine_to_the_named_kept_record():
    # x sits at 0.997 to a removed record and 0.83 to the kept one: never "0.997 to the kept one"
    a, b = fan([0.96])
    x = np.array([np.cos(np.arccos(0.96) + np.arccos(0.997)), np.sin(np.arccos(0.96) + np.arccos(0.997))],
                 dtype=np.float32)
    d = np.array([np.cos(0.01), np.sin(0.01)], dtype=np.float32)  # a paraphrase of the kept record
    vecs = np.stack([a, b, x, d])
    cols = semantic_columns(vecs, ["a", "b", "x", "d"], [], [], SemanticConfig(threshold=0.95))
    assert cols["semantic_dup_of"] == [None, "a", None, "a"]
    for i, (of, s) in enumerate(zip(cols["semantic_dup_of"], cols["semantic_dup_similarity"])):
        if of:
            assert s >= 0.95 and s == pytest.approx(float(vecs[i] @ vecs["abxd".index(of)]), abs=1e-4)
    assert cols["semantic_dup_cluster"] == [0, 0, -1, 0]


@pytest.mark.parametrize("other, is_dup", [
    ("A train travels 60 km in 2 hours. What is its speed?", True),
    ("A train travels 80 km in 2 hours. What is its speed?", False),
    ("A train travels 2 km in 60 hours. What is its speed?", True),  # the same numbers, another order
    ("A train travels 1,000 km in 2 hours. What is its speed?", False),
], ids=["same-numbers", "other-number", "same-multiset", "thousands"])
def test_texts_with_other_numbers_are_not_duplicates_or_leaks(other, is_dup):
    # GSM8K: the same story with other numbers is another problem, however close the vectors
    texts = ["A train travels 60 km in 2 hours. What is its speed?", other]
    v = fan([0.99])
    keys = number_keys(texts)
    dup_of, _ = keep_verified(v, 0.95, same=keys)
    assert bool(dup_of[1] == 0) is is_dup
    class Eval:
        name, ids = "test", ["t0"]
    cols = semantic_columns(v[1:], ["x"], [Eval], [v[:1]], SemanticConfig(threshold=0.95),
                            keys=keys[1:], eval_keys=[keys[:1]])
    assert (cols["semantic_leak_of"] == ["test:t0"]) is is_dup


def test_number_keys_ignore_thousands_separators_and_words():
    assert number_keys(["It costs $1,200 for 3 items"])[0] == number_keys(["3 items at 1200 dollars"])[0]
    assert number_keys(["no numbers here"])[0] == number_keys(["none here either"])[0]


def test_empty_texts_are_never_duplicates():
    v = fan([0.999, 0.999])
    dup_of, _ = keep_verified(v, 0.95, candidate=np.array([True, False, True]))
    assert list(dup_of) == [-1, -1, 0]


@pytest.mark.parametrize("extra, flagged", [([], []), (["d"], ["d"])], ids=["distinct-requests", "one-repeat"])
def test_a_shared_preamble_is_not_a_semantic_duplicate(tmp_path, extra, flagged):
    rows = tool_rows()[:35]
    texts = [p for _, p, _ in rows] + [PREAMBLE + request(4).upper() + "!" for _ in extra]
    data = prompts_file(tmp_path / "tools.jsonl", texts, prefix="r")
    out, _ = audit(tmp_path, data, [{"check": "max_semantic_duplicate_rate", "severity": "warn",
                                      "params": {"max_rate": 0.0}}])
    o = out["max_semantic_duplicate_rate"]
    assert o.flagged == [f"r{35 + k}" for k in range(len(flagged))], o.message
    for rid in o.flagged:
        assert "to r4" in o.evidence[rid]
    (block, *_) = o.details["shared_blocks"]
    assert block["text"].startswith(PREAMBLE) and block["records"] == len(texts)
    assert f"{len(texts)} records share a {block['chars']}-char block" in o.message
