"""Metrics checked against hand-computed values, scikit-learn and Google's rouge-score."""

from __future__ import annotations

import math

import pytest

from train import metrics as M

CLASSIFICATION_CASES = [
    pytest.param(["a", "a", "b", "b"], ["a", "a", "b", "b"], 1.0, 1.0, id="perfect"),
    pytest.param(["a", "a", "b", "b"], ["a", "b", "b", "b"], 0.75, (2 / 3 + 0.8) / 2, id="one-error"),
    pytest.param(["a", "b"], ["b", "a"], 0.0, 0.0, id="all-wrong"),
    pytest.param(["a"], ["a"], 1.0, 1.0, id="single-record"),
]


@pytest.mark.parametrize("y_true,y_pred,acc,f1", CLASSIFICATION_CASES)
def test_classification_matches_sklearn(y_true, y_pred, acc, f1):
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    got = M.classification_metrics(y_true, y_pred)
    labels = sorted(set(y_true))
    assert got["accuracy"] == pytest.approx(acc)
    ref_f1 = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    assert got["macro_f1"] == pytest.approx(ref_f1)
    assert got["macro_f1"] == pytest.approx(f1)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=got["labels"], zero_division=0)
    for i, row in enumerate(got["per_class"]):
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx((p[i], r[i], f[i], s[i]))


def test_confusion_rows_are_true_labels_and_unknown_predictions_count_as_errors():
    got = M.classification_metrics(["a", "a", "b"], ["a", "b", "zzz"], labels=["a", "b"])
    assert got["confusion"] == [[1, 1], [0, 0]]  # 'zzz' has no column: b's row is empty, b's recall 0
    assert got["per_class"][1] == {"label": "b", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert got["accuracy"] == pytest.approx(1 / 3)


def test_classification_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 references but 1 predictions"):
        M.classification_metrics(["a", "b"], ["a"])


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    y_true = ["a"] * 50 + ["b"] * 50
    y_pred = ["a"] * 40 + ["b"] * 10 + ["b"] * 45 + ["a"] * 5
    ci = M.classification_cis(y_true, y_pred, n_resamples=300, seed=1)
    assert ci["accuracy"][0] < 0.85 < ci["accuracy"][1]
    assert ci == M.classification_cis(y_true, y_pred, n_resamples=300, seed=1)
    # a perfect model has a degenerate interval, never one that spills past 1
    assert M.classification_cis(["a", "b"], ["a", "b"], n_resamples=50)["accuracy"] == [1.0, 1.0]


def test_bootstrap_empty_is_nan_not_zero():
    low, high = M.bootstrap_ci(0, lambda idx: 0.0)
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize("pred,ref,expected", [
    pytest.param("The Cat sat.", "cat  sat", 1.0, id="case-article-punct"),
    pytest.param("a dog", "the cat", 0.0, id="different"),
    pytest.param("", "", 1.0, id="both-empty"),
])
def test_exact_match_after_normalisation(pred, ref, expected):
    assert M.exact_match(pred, ref) == expected


ROUGE_PAIRS = [
    ("#Person1# asks #Person2# about the weather and decides to take an umbrella.",
     "#Person1# wants to know the weather; #Person2# says it will rain, so #Person1# takes an umbrella."),
    ("the cat was found under the bed", "the cat was under the bed"),
    ("Running runners ran quickly to the stations", "the runner runs quick to a station"),
    ("", "nothing predicted here"),
    ("only prediction", ""),
    ("repeated repeated repeated words", "repeated words words"),
    ("Numbers 123 and 4.5% matter", "numbers 123 and 45 matter"),
]


@pytest.mark.parametrize("stem", [False, True], ids=["no-stem", "porter-stem"])
def test_rouge_equals_rouge_score_package(stem):
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=stem)
    preds, refs = [p for p, _ in ROUGE_PAIRS], [r for _, r in ROUGE_PAIRS]
    ours = M.rouge_scores(preds, refs, stem=stem)
    for i, (p, r) in enumerate(ROUGE_PAIRS):
        ref = scorer.score(r, p)  # rouge-score takes (target, prediction)
        for key in ("rouge1", "rouge2", "rougeL"):
            assert ours[key][i] == pytest.approx(ref[key].fmeasure), (key, p, r)


def test_rouge_on_dialogsum_matches_rouge_score():
    """All 500 DialogSum dev summaries scored against a shifted reference: identical to rouge-score."""
    import json

    from tests.conftest import shared_file

    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    rows = [json.loads(line) for line in shared_file("dialogsum/dialogsum.dev.jsonl").read_text().splitlines()][:150]
    refs = [r["summary"] for r in rows]
    preds = refs[1:] + refs[:1]  # a wrong-but-plausible summary for each dialogue
    ours = M.generation_metrics(preds, refs)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    ref_scores = [scorer.score(r, p) for p, r in zip(preds, refs)]
    for key in ("rouge1", "rouge2", "rougeL"):
        mean = 100 * sum(s[key].fmeasure for s in ref_scores) / len(ref_scores)
        assert ours[key]["mean"] == pytest.approx(mean, abs=1e-9)
        assert ours[key]["ci"][0] <= mean <= ours[key]["ci"][1]


def test_generation_metrics_identity_is_perfect():
    got = M.generation_metrics(["Paris is the capital."], ["paris is the capital"])
    assert got["exact_match"]["mean"] == 1.0 and got["rouge1"]["mean"] == pytest.approx(100.0)


@pytest.mark.parametrize("nll,n,expected", [
    pytest.param(0.0, 10, 1.0, id="certain"),
    pytest.param(10 * math.log(4), 10, 4.0, id="uniform-over-4"),
    pytest.param(5.0, 0, math.inf, id="no-tokens"),
])
def test_perplexity(nll, n, expected):
    assert M.perplexity(nll, n) == pytest.approx(expected)
