"""Structure stage + require_valid_structure / max_template_token_leaks: role order, empty turns, leaked tokens."""

from __future__ import annotations

import pytest

from content_helpers import chat, dataset, run_check, signals

U, A, S = "user", "assistant", "system"


def convo(*turns):
    return {"id": "r1", "messages": [{"role": r, "content": c} for r, c in turns]}


@pytest.mark.parametrize("turns, code, detail", [
    ([(A, "Hi! How can I help?"), (U, "Card lost"), (A, "Freeze it in the app.")], "role_order", "turn 0 is assistant before any user turn"),
    ([(U, "My card"), (U, "was stolen"), (A, "Freeze it.")], "role_order", "turn 1 is user after user"),
    ([(U, "Card lost"), (A, "Freeze it."), (U, "Thanks, and the PIN?")], "no_final_answer", "ends on a user turn"),
    ([(U, "Hi"), (S, "Be terse."), (A, "Hello.")], "system_not_first", "system turn at position 1"),
    ([(U, ""), (A, "Hello.")], "empty_turn", "user turn 0 is empty"),
], ids=["assistant-first", "two-users", "ends-on-user", "system-late", "empty-user-turn"])
def test_chat_structure_issue_named(tmp_path, turns, code, detail):
    ds = dataset(tmp_path, [convo(*turns)])
    sig = signals(ds, ["structure"])
    issues = sig["structure_issues"][0]
    assert code in [i["code"] for i in issues]
    assert any(detail in i["detail"] for i in issues)
    res = run_check("require_valid_structure", ds, sig)
    assert not res.passed and res.flagged == ["r1"] and detail in res.evidence["r1"]


def test_valid_chat_with_system_passes(tmp_path):
    ds = dataset(tmp_path, [chat("Card lost", "Freeze it in the app.", system="Be kind.")])
    res = run_check("require_valid_structure", ds, signals(ds, ["structure"]))
    assert res.passed and res.flagged == [] and res.value == 0


def test_empty_instruction_in_alpaca(tmp_path):
    ds = dataset(tmp_path, [{"instruction": "  ", "input": "", "output": "Paris."},
                            {"instruction": "Capital of France?", "input": "", "output": "Paris."}])
    res = run_check("require_valid_structure", ds, signals(ds, ["structure"]))
    assert res.flagged == ["0"] and "'instruction' is empty" in res.evidence["0"]


@pytest.mark.parametrize("text, token", [
    ("Sure.<|im_end|> Here you go.", "<|im_end|>"),
    ("[INST] do this [/INST] ok", "[INST]"),
    ("First part </s> second part.", "</s>"),
    ("<|im_start|>assistant\nHello", "<|im_start|>"),
], ids=["im_end", "inst", "eos", "im_start"])
def test_template_token_leak_flagged_with_token(tmp_path, text, token):
    ds = dataset(tmp_path, [chat("Question?", text)])
    res = run_check("max_template_token_leaks", ds, signals(ds, ["structure"]))
    assert res.flagged == ["r1"] and token in res.evidence["r1"] and "messages.1.content" in res.evidence["r1"]


@pytest.mark.parametrize("text", ["Use <s>strikethrough</s> in HTML like this: ```html\n<s>old</s>\n```".replace("<s>strikethrough</s> ", ""),
                                  "The price is <b>bold</b> and <span>fine</span>."],
                         ids=["html-in-code-block", "plain-html"])
def test_html_is_not_a_template_leak(tmp_path, text):
    ds = dataset(tmp_path, [chat("Question?", text)])
    assert run_check("max_template_token_leaks", ds, signals(ds, ["structure"])).passed


def test_single_record_edge_and_rate_threshold(tmp_path):
    rows = [chat(f"Question {i}?", f"Answer {i}.", rid=f"r{i}") for i in range(9)] + [convo((U, "a"), (U, "b"), (A, "c."))]
    rows[-1]["id"] = "bad"
    ds = dataset(tmp_path, rows)
    sig = signals(ds, ["structure"])
    assert not run_check("require_valid_structure", ds, sig).passed
    loose = run_check("require_valid_structure", ds, sig, max_rate=0.1)
    assert loose.passed and loose.value == 0.1 and loose.flagged == ["bad"]
