"""The four dedup checks: pass, fail and edge cases, with their evidence."""

import pandas as pd
import pytest

from curate.checks import CheckContext, SkipCheck
from curate.dedup.checks import (max_conflicting_answers, max_eval_leakage, max_exact_duplicate_rate,
                                 max_near_duplicate_rate)
from curate.dedup.config import DedupConfig
from curate.dedup.stage import dedup
from tests.dedup.helpers import ANSWER, OTHER, sft_batch

ROWS = [("a", "How do I freeze my card?", ANSWER), ("b", "how do i freeze my card", ANSWER),
        ("c", "How do I freeze my card?", ANSWER.replace("choose Freeze", "pick Freeze")),
        ("d", "Where is my transfer?", OTHER), ("e", "where is my transfer", "It arrived yesterday, check Activity.")]


def signals(rows):
    b = sft_batch(rows)
    df = pd.DataFrame(dedup(b, config=DedupConfig()))
    df.insert(0, "id", b["id"])
    return df


@pytest.fixture(scope="module")
def sig():
    return signals(ROWS)


def test_exact_duplicates_fail_with_evidence(sig):
    r = max_exact_duplicate_rate(sig, None, max_rate=0.0)
    assert not r.passed and r.flagged == ["b"] and r.value == 0.2
    assert r.evidence["b"] == "exact duplicate of a (prompt+response identical after normalisation)"
    assert r.details["table"] == [{"kept": "a", "duplicates": ["b"], "count": 1}]
    assert max_exact_duplicate_rate(sig, None, max_rate=0.2).passed


def test_near_duplicates_fail_with_evidence(sig):
    r = max_near_duplicate_rate(sig, None, max_rate=0.1)
    assert not r.passed and r.flagged == ["c"]
    assert r.evidence["c"].startswith("near-duplicate of a (Jaccard 0.9") and r.evidence["c"].endswith("field response)")
    (row,) = r.details["table"]
    assert row["kept"] == "a" and row["members"] == ["c"] and row["cluster"] == 0
    assert max_near_duplicate_rate(sig, None, max_rate=0.2).passed


def test_conflicts_are_reported_not_dropped(sig):
    r = max_conflicting_answers(sig, None, max_count=0)
    assert not r.passed and sorted(r.flagged) == ["d", "e"]
    assert r.evidence["e"].startswith("answers differently from d (same prompt, answer Jaccard 0.")
    assert r.details["pairs"] == 1 and r.details["table"][0]["a"] == "d"
    assert max_conflicting_answers(sig, None, max_count=2).passed


def test_leakage_check_fails_passes_and_skips():
    sig = pd.DataFrame({"id": ["a", "b"], "leaks_into": [[{"set": "test", "id": "e9", "similarity": 1.0}], []]})
    ctx = CheckContext(dataset=None, eval_sets=[type("D", (), {"name": "test"})()])
    r = max_eval_leakage(sig, ctx, max_count=0)
    assert not r.passed and r.flagged == ["a"]
    assert r.evidence["a"] == "prompt appears in eval set test as e9 (identical after normalisation)"
    assert r.details["table"] == [{"train_id": "a", "set": "test", "eval_id": "e9", "similarity": 1.0}]
    assert max_eval_leakage(sig, ctx, max_count=1).passed
    with pytest.raises(SkipCheck, match="--eval"):
        max_eval_leakage(sig, CheckContext(dataset=None), max_count=0)


@pytest.mark.parametrize("check", [max_exact_duplicate_rate, max_near_duplicate_rate, max_conflicting_answers],
                         ids=["exact", "near", "conflicts"])
def test_empty_dataset_fails_and_single_record_passes(check):
    assert not check(signals([]), None).passed  # nothing is vacuously true
    one = check(signals([("a", "q", "a")]), None)
    assert one.passed and one.flagged == []


def test_signals_survive_a_parquet_round_trip(tmp_path, sig):
    import pyarrow.parquet as pq

    sig.to_parquet(tmp_path / "s.parquet", index=False)
    back = pd.DataFrame(pq.read_table(tmp_path / "s.parquet").to_pydict())
    assert max_near_duplicate_rate(back, None).evidence == max_near_duplicate_rate(sig, None).evidence
    assert max_conflicting_answers(back, None).flagged == max_conflicting_answers(sig, None).flagged
