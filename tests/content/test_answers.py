"""Answer defects (empty, placeholder, refusal, prompt echo, truncated) and merged instructions."""

from __future__ import annotations

import pytest

from content_helpers import chat, dataset, run_check, signals

GOOD = "You can freeze your card in the app under Cards, then Freeze. It takes effect immediately."


@pytest.mark.parametrize("answer, kind, evidence", [
    ("", "empty", "empty string"),
    ("  \n ", "empty", "whitespace only"),
    ("N/A", "placeholder", "'N/A'"),
    ("<nooutput>", "placeholder", "<nooutput>"),
    ("...", "placeholder", "no letters or digits"),
    ("[Image of a red logo]", "placeholder", "Image of a red logo"),
    ("As an AI language model, I cannot access your account.", "refusal", "As an AI language model"),
    ("I'm sorry, but I cannot help with that.", "refusal", "I cannot help"),
    ("I apologize, but I'm not able to help with this.", "refusal", "not able to help"),
    ("How do I freeze my debit card in the app", "repeats_prompt", "answer is the prompt again"),
    ("To freeze the card, open the app and go to", "truncated", "ends on 'to'"),
    ("Here is the code:\n```python\nprint('hi')\n", "truncated", "code block opened but never closed"),
], ids=["empty", "whitespace", "na", "nooutput", "dots", "image-placeholder", "as-an-ai", "sorry-cannot",
        "apologize", "echo", "mid-sentence", "open-code-block"])
def test_answer_defect_kind_and_evidence(tmp_path, answer, kind, evidence):
    ds = dataset(tmp_path, [chat("How do I freeze my debit card in the app?", answer)])
    sig = signals(ds, ["answers"])
    assert sig["answer_defect"][0] == kind
    assert evidence in sig["answer_evidence"][0]
    assert sig["answer_evidence"][0].startswith("messages.1.content: ")


@pytest.mark.parametrize("answer", [
    GOOD,
    "I'm sorry to hear that your card was lost. You can freeze it in the app right away and order a new one.",
    "Steps:\n1. Open Cards\n2. Tap Freeze",
    "Your balance is $40",
], ids=["plain", "sorry-but-helpful", "list-no-final-period", "ends-on-number"])
def test_good_answers_have_no_defect(tmp_path, answer):
    ds = dataset(tmp_path, [chat("How do I freeze my card?", answer)])
    assert signals(ds, ["answers"])["answer_defect"][0] is None


@pytest.mark.parametrize("check, answer", [
    ("max_empty_or_placeholder_answers", "N/A"),
    ("max_refusal_answers", "As an AI language model, I can't help with that."),
    ("max_answers_repeating_prompt", "How do I freeze my card in the app"),
    ("max_truncated_answers", "Open the app and tap the"),
], ids=["placeholder", "refusal", "echo", "truncated"])
def test_answer_checks_fail_pass_and_empty_edge(tmp_path, check, answer):
    bad = dataset(tmp_path, [chat("How do I freeze my card in the app?", answer, rid="bad"),
                             chat("Another question?", GOOD, rid="ok")], "bad.jsonl")
    res = run_check(check, bad, signals(bad, ["answers"]))
    assert not res.passed and res.flagged == ["bad"] and res.value == 0.5
    good = dataset(tmp_path, [chat("How do I freeze my card?", GOOD, rid="ok")], "good.jsonl")
    assert run_check(check, good, signals(good, ["answers"])).passed
    empty_sig = signals(good, ["answers"]).iloc[0:0]
    assert not run_check(check, good, empty_sig).passed  # an empty dataset is never vacuously clean


def test_merged_instructions_block_found(tmp_path):
    answer = GOOD + "\n\n2. Instruction: How do I close my account?\nOutput: Go to Settings."
    ds = dataset(tmp_path, [chat("How do I freeze my card?", answer, rid="m"), chat("Q?", GOOD, rid="ok")])
    res = run_check("max_merged_instructions", ds, signals(ds, ["answers"]))
    assert res.flagged == ["m"] and "2. Instruction: How do I close" in res.evidence["m"]


@pytest.mark.parametrize("answer", ["Output: 42", "Here is the input format you asked for: name, date."],
                         ids=["output-label-first-line", "word-input-in-prose"])
def test_merged_instructions_not_flagged(tmp_path, answer):
    ds = dataset(tmp_path, [chat("Q?", answer)])
    assert run_check("max_merged_instructions", ds, signals(ds, ["answers"])).passed
