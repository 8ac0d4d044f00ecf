"""The leakage stage: training records whose prompt (or whole record) appears in an eval set."""

import pytest

from curate.dedup.config import LeakageConfig
from curate.dedup.leakage import leakage
from tests.dedup.helpers import ANSWER, OTHER, sft_batch


class EvalSet:
    """Stands in for a CurateDataset: a name, a length and batch(columns)."""

    def __init__(self, name, batch):
        self.name, self._batch = name, batch

    def __len__(self):
        return len(self._batch["id"])

    def batch(self, cols=None):
        return {c: self._batch[c] for c in (cols or self._batch)}


TRAIN = sft_batch([("t1", "How do I freeze my lost card right now?", ANSWER),
                   ("t2", "Why is my transfer to another bank late?", OTHER),
                   ("t3", "Can I change the PIN of my card in the app?", "Yes, under Cards, then Security.")])


def test_exact_after_normalisation_and_near_with_similarity():
    ev = EvalSet("test", sft_batch([("e1", "how do i FREEZE my lost card right now", "A new answer."),
                                    ("e2", "Why is my transfer to another bank late?!", "Different answer text."),
                                    ("e3", "What is the weather like?", "Sunny.")]))
    out = leakage(TRAIN, config=LeakageConfig(), eval=[ev])["leaks_into"]
    assert out[0] == [{"set": "test", "id": "e1", "similarity": 1.0}]
    assert out[1] == [{"set": "test", "id": "e2", "similarity": 1.0}]
    assert out[2] == []


def test_copied_record_with_edited_prompt_is_found_through_the_record():
    ev = EvalSet("test", sft_batch([("e1", "How do I really freeze my lost card now?", ANSWER)]))
    by_prompt = leakage(TRAIN, config=LeakageConfig(field="prompt"), eval=[ev])["leaks_into"]
    assert by_prompt[0] == []  # 2 edits in a short prompt: below 0.8 on the prompt alone
    out = leakage(TRAIN, config=LeakageConfig(), eval=[ev])["leaks_into"]
    assert out[0][0]["id"] == "e1" and 0.8 <= out[0][0]["similarity"] < 1.0


def test_second_user_turn_of_a_conversation_is_compared_too():
    train = sft_batch([("t1", "Hello there", "Hi, how can I help?")])
    train["messages"][0] += [{"role": "user", "content": "Why is my transfer to another bank late?"},
                             {"role": "assistant", "content": "Let me check."}]
    train["prompt"][0] = "Hello there\n\nWhy is my transfer to another bank late?"
    ev = EvalSet("test", sft_batch([("e1", "why is my transfer to another bank late", "...")]))
    assert leakage(train, config=LeakageConfig(), eval=[ev])["leaks_into"][0][0]["id"] == "e1"


def test_several_eval_sets_are_named():
    a = EvalSet("dev", sft_batch([("d1", "How do I freeze my lost card right now?", "x")]))
    b = EvalSet("test", sft_batch([("x1", "how do i freeze my lost card right now", "y")]))
    out = leakage(TRAIN, config=LeakageConfig(), eval=[a, b])["leaks_into"][0]
    assert {(d["set"], d["id"]) for d in out} == {("dev", "d1"), ("test", "x1")}


@pytest.mark.parametrize("evals", [None, []], ids=["none", "empty-list"])
def test_no_eval_set_gives_empty_lists(evals):
    assert leakage(TRAIN, config=LeakageConfig(), eval=evals)["leaks_into"] == [[], [], []]


def test_empty_training_set():
    ev = EvalSet("test", sft_batch([("e1", "q", "a")]))
    assert leakage(sft_batch([]), config=LeakageConfig(), eval=[ev])["leaks_into"] == []


def test_each_named_eval_record_comes_with_the_jaccard_to_that_record():
    import numpy as np

    from curate.dedup.minhash import shingle_sets
    from curate.dedup.verify import jaccard_pairs

    train_text = "How do I freeze my lost card right now, today, from the app?"
    near = ["How do I freeze my lost card right now, today, from the app please?",
            "So how do I freeze my lost card right now, today, from the app?"]
    ev = EvalSet("test", sft_batch([("e1", near[0], "x"), ("e2", near[1], "y")]))
    train = sft_batch([("t1", train_text, "z")])
    out = leakage(train, config=LeakageConfig(field="prompt"), eval=[ev])["leaks_into"][0]
    sets = shingle_sets([train_text] + near, shingle="char", ngram=5)
    want = jaccard_pairs(sets, np.array([[0, 1], [0, 2]]))
    assert {d["id"]: d["similarity"] for d in out} == {"e1": round(want[0], 4), "e2": round(want[1], 4)}
    assert [d["similarity"] for d in out] == sorted((d["similarity"] for d in out), reverse=True)
