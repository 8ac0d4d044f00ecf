"""The dedup stage: clusters, kept record, evidence columns, per-field matches, conflicts."""

import pytest

from curate.dedup.config import DedupConfig
from curate.dedup.stage import COLUMNS, dedup
from curate.errors import CurateError
from tests.dedup.helpers import ANSWER, OTHER, clf_batch, sft_batch


def rows_of(out, ids):
    return {i: {k: v[n] for k, v in out.items()} for n, i in enumerate(ids)}


def test_exact_duplicate_after_normalisation_points_at_the_kept_record():
    b = sft_batch([("a", "How do I freeze my card?", ANSWER), ("b", "how do i  freeze my card", ANSWER.upper()),
                   ("c", "Where is my transfer?", OTHER)])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["a"]["exact_dup_of"] is None and r["a"]["near_dup_cluster"] == 0  # kept, but in the cluster
    assert r["b"]["exact_dup_of"] == "a" and r["b"]["exact_dup_field"] == "prompt+response"
    assert r["b"]["near_dup_of"] is None  # exactly one pointer per dropped record
    assert r["c"]["near_dup_cluster"] is None


def test_near_duplicate_evidence_names_field_and_real_jaccard():
    edited = ANSWER.replace("choose Freeze", "pick Freeze")
    b = sft_batch([("a", "How do I freeze my card?", ANSWER), ("b", "How do I freeze my card?", edited),
                   ("c", "Where is my transfer?", OTHER)])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["b"]["near_dup_of"] == "a" and r["b"]["near_dup_field"] == "response"
    assert r["b"]["near_dup_method"] == "minhash"
    assert 0.8 <= r["b"]["near_dup_jaccard"] < 1.0
    assert r["a"]["near_dup_cluster"] == r["b"]["near_dup_cluster"] == 0
    assert r["b"]["conflicts_with"] == []  # a near-duplicate answer is a duplicate, not a conflict


@pytest.mark.parametrize("keep, kept", [("first", "a"), ("longest", "b")], ids=["first", "longest"])
def test_keep_policy(keep, kept):
    b = sft_batch([("a", "How do I freeze my card?", ANSWER), ("b", "How do I freeze my card?", ANSWER + " Thanks!")])
    r = rows_of(dedup(b, config=DedupConfig(keep=keep)), b["id"])
    other = "b" if kept == "a" else "a"
    assert r[kept]["near_dup_of"] is None and r[kept]["exact_dup_of"] is None
    assert r[other]["near_dup_of"] == kept


def test_same_prompt_different_answer_is_a_conflict_not_a_duplicate():
    b = sft_batch([("a", "Is there a fee to close my account?", "No, closing is free and takes a minute in the app."),
                   ("b", "is there a fee to close my account", "Yes: closing in the first year costs twenty dollars."),
                   ("c", "Where is my transfer?", OTHER)])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["b"]["same_prompt_as"] == "a"
    assert r["a"]["exact_dup_of"] is None and r["b"]["exact_dup_of"] is None and r["b"]["near_dup_of"] is None
    (ca,), (cb,) = r["a"]["conflicts_with"], r["b"]["conflicts_with"]
    assert ca["id"] == "b" and cb["id"] == "a" and ca["prompt_jaccard"] == 1.0 and ca["answer_jaccard"] < 0.3


def test_near_identical_prompts_conflict_only_when_asked():
    b = sft_batch([("a", "Hi team, is there a fee to close my account today?", "No, closing is free in the app."),
                   ("b", "Is there a fee to close my account today?", "Yes, it costs twenty dollars in year one.")])
    strict = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert strict["a"]["conflicts_with"] == []
    loose = rows_of(dedup(b, config=DedupConfig(conflict_threshold=0.7)), b["id"])
    assert loose["a"]["conflicts_with"][0]["id"] == "b" and loose["a"]["conflicts_with"][0]["prompt_jaccard"] < 1.0


def test_same_answer_to_different_prompts():
    b = sft_batch([("a", "Can you write my essay?", "Sorry, I can't help with that."),
                   ("b", "Tell me a joke about banks", "sorry, I can't help with that"),
                   ("c", "Empty one", ""), ("d", "Another empty", "")])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["b"]["same_response_as"] == "a"
    assert r["d"]["same_response_as"] is None  # empty answers are a content defect, not a duplicate


def test_classification_label_conflict_and_same_label_duplicate():
    b = clf_batch([("0", "i want to close my account because of the fee", "close_account"),
                   ("1", "I want to close my account because of the fee!", "fee_inquiry"),
                   ("2", "how do i reset my password", "password_reset"),
                   ("3", "How do I reset my password?", "password_reset")])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["3"]["exact_dup_of"] == "2" and r["3"]["exact_dup_field"] == "text+label"
    assert r["1"]["exact_dup_of"] is None and r["1"]["near_dup_of"] is None  # a conflict needs a human
    assert r["1"]["same_prompt_as"] == "0"
    assert r["0"]["conflicts_with"] == [{"id": "1", "prompt_jaccard": 1.0, "label": "fee_inquiry"}]


@pytest.mark.parametrize("rows", [[], [("a", "only one", "record")], [("a", "", ""), ("b", "", "")]],
                         ids=["empty", "single", "all-empty-texts"])
def test_edge_cases_give_one_value_per_row(rows):
    b = sft_batch(rows)
    out = dedup(b, config=DedupConfig())
    assert set(out) == set(COLUMNS)
    assert all(len(v) == len(rows) for v in out.values())
    assert all(v is None for v in out["near_dup_cluster"])  # empty texts are not duplicates of each other


@pytest.mark.parametrize("kwargs, words", [({"threshold": 1.5}, "threshold"), ({"shingle": "token"}, "shingle"),
                                           ({"keep": "best"}, "keep"), ({"ngram": 0}, "ngram")],
                         ids=["threshold", "shingle", "keep", "ngram"])
def test_bad_config_names_the_field_and_fix(kwargs, words):
    with pytest.raises(CurateError) as e:
        DedupConfig(**kwargs)
    assert words in e.value.message and e.value.fix


def test_calibration_counts_what_each_threshold_removes():
    from curate.dedup.calibrate import calibrate

    b = clf_batch([("0", "i lost my card yesterday at the bar", "lost_card"),
                   ("1", "hi i lost my card yesterday at the bar", "lost_card"),
                   ("2", "I lost my card yesterday at the bar!", "dispute"),  # a label conflict is never removed
                   ("3", "how do i reset my password", "password_reset")])
    cal = calibrate(b, DedupConfig())
    removed = {r["threshold"]: r["removed"] for r in cal.removed}
    assert removed[None] == 0 and removed[0.8] == 1 and removed[0.5] == 1
    (band,) = [x for x in cal.bands if x["pairs"]]  # 0-2 differ in label, so only 0-1 is a pair
    assert band["pairs"] == 1 and band["examples"][0][:2] == ("0", "1")
    assert band["lo"] <= band["examples"][0][2] < band["hi"] + 1e-9
