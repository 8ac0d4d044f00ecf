"""Acceptance on sample_data/: every planted content defect is caught by its check, with few false positives.

Pinned numbers (sample_data/support_sft.jsonl, 2,000 chat records, 234 planted): every planted
record of these kinds is flagged by the check named below, and no other record is flagged by
that check (0 false positives for every check). Token lengths use MiniLM's tokenizer here to keep
the test fast; the 4 `very_long` answers (2,500-4,000 words) exceed 2,048 tokens in any tokenizer.
"""

from __future__ import annotations

import json

import pytest

from curate.content.lengths import LengthsConfig
from curate.models import minilm_path
from conftest import SAMPLE, sample_file
from content_helpers import run_check, signals

CHECK_FOR_KIND = {
    "role_order": "require_valid_structure",
    "template_tokens": "max_template_token_leaks",
    "empty_answer": "max_empty_or_placeholder_answers",
    "placeholder_answer": "max_empty_or_placeholder_answers",
    "refusal_answer": "max_refusal_answers",
    "unanswerable_prompt": "max_unanswerable_prompts",
    "merged_instructions": "max_merged_instructions",
    "control_chars": "max_control_char_records",
    "mojibake": "max_mojibake_records",
    "repeated_text": "max_repetition",
    "wrong_arithmetic": "max_arithmetic_errors",
    "truncated_answer": "max_truncated_answers",
    "very_long": "max_truncated_at_max_len",
}
# checks with no planted kind of their own: anything they flag is a false positive
UNPLANTED = ["max_answers_repeating_prompt", "max_invalid_json_answers", "max_invalid_code_answers",
             "max_invalid_unicode_records", "max_off_language_records"]
MAX_FALSE_POSITIVES = 0  # measured: 0 for every check


@pytest.fixture(scope="module")
def sft():
    if not (SAMPLE / "answer_key.json").exists():
        pytest.skip("sample_data/answer_key.json is not generated yet")
    from curate.load import load_dataset

    ds = load_dataset(sample_file("support_sft.jsonl"))
    key = json.loads((SAMPLE / "answer_key.json").read_text())["support_sft.jsonl"]
    sig = signals(ds, ["structure", "answers", "prompts", "hygiene", "verify", "lengths", "language"],
                  {"lengths": LengthsConfig(tokenizer=str(minilm_path()))})
    return ds, key, sig


def _planted(key, check):
    return {e["id"] for kind, c in CHECK_FOR_KIND.items() if c == check for e in key["problems"][kind]["entries"]}


@pytest.mark.parametrize("check", sorted(set(CHECK_FOR_KIND.values())))
def test_every_planted_defect_flagged_by_its_check(sft, check):
    ds, key, sig = sft
    planted = _planted(key, check)
    res = run_check(check, ds, sig)
    flagged = set(res.flagged)
    assert planted, f"no planted records for {check}"
    assert planted <= flagged, f"{check} missed {sorted(planted - flagged)}"
    assert len(flagged - planted) <= MAX_FALSE_POSITIVES, {i: res.evidence[i] for i in sorted(flagged - planted)}
    assert all(res.evidence[i] and len(res.evidence[i]) < 200 for i in planted)  # short, readable evidence


@pytest.mark.parametrize("check", UNPLANTED)
def test_checks_without_planted_defects_flag_nothing(sft, check):
    ds, _, sig = sft
    res = run_check(check, ds, sig)
    assert res.flagged == [] and res.passed


def test_wrong_arithmetic_evidence_names_the_planted_expression(sft):
    ds, key, sig = sft
    res = run_check("max_arithmetic_errors", ds, sig)
    for e in key["problems"]["wrong_arithmetic"]["entries"]:
        assert e["stated_result"] in res.evidence[e["id"]]
    controls = set(key["controls"]["correct_arithmetic"]) if isinstance(key["controls"]["correct_arithmetic"], list) \
        else {c["id"] for c in key["controls"]["correct_arithmetic"]["entries"]}
    assert not controls & set(res.flagged)  # the correct calculations planted as controls pass
    assert res.details["equations_checked"] >= 12


def test_clean_records_are_never_flagged(sft):
    ds, key, sig = sft
    clean = set(key["clean_ids"])
    for check in [*sorted(set(CHECK_FOR_KIND.values())), *UNPLANTED]:
        assert not clean & set(run_check(check, ds, sig).flagged), check


def test_intents_balance():
    from curate.load import load_dataset

    if not (SAMPLE / "answer_key.json").exists():
        pytest.skip("sample_data/answer_key.json is not generated yet")
    ds = load_dataset(sample_file("intents_train.csv"))
    counts = json.loads((SAMPLE / "answer_key.json").read_text())["intents_train.csv"]["label_counts"]
    sig = signals(ds, [])
    res = run_check("max_label_imbalance", ds, sig, max_ratio=10.0)
    top, low = max(counts.values()), min(counts.values())
    assert res.value == round(top / low, 2) and not res.passed  # 251 vs 14: 17.9:1
    thin = run_check("min_records_per_label", ds, sig, min_count=20)
    assert not thin.passed and thin.value == low and "close_account" in thin.message
