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


# --- answers read with their prompt (issue 13 items 4 and 6) ---
from curate.content.answers import AnswersConfig, answer_defect, merged_instructions  # noqa: E402


@pytest.mark.parametrize("prompt, answer, kind, evidence", [
    ("Draw a cat.", "<nooutput> This type of instruction cannot be fulfilled by a GPT model.", "placeholder", "<nooutput>"),
    ("Describe the photo.", "<no output>", "placeholder", "<no output>"),
    ("What is the capital of France?", "N/A", "placeholder", "N/A"),
    ("Write a paragraph about dogs.", "Lorem ipsum dolor sit amet, consectetur.", "placeholder", "Lorem ipsum"),
    ("You are a helpful AI assistant. Do you like music?", "As an AI language model, I have no taste.", "refusal", "AI language model"),
    ("You are an AI assistant. What is your favourite colour?", "As an AI, I do not have one.", "refusal", "As an AI"),
    ("Continue the story.", "She opened the door and saw the", "truncated", "ends on 'the'"),
    ("Write a Python function for the gcd.", "def gcd(x, y):", "truncated", "ends with ':'"),
    ("Describe your day.", "I woke up early; then I went out;", "truncated", "ends with ';'"),
], ids=["nooutput-with-text", "no-output-marker", "na-alone", "lorem-not-asked", "ai-language-model-boilerplate",
        "system-style-ai-assistant", "prose-dangling", "python-block-without-body", "prose-semicolon"])
def test_defect_with_prompt(prompt, answer, kind, evidence):
    found = answer_defect(answer, prompt, AnswersConfig())
    assert found is not None and found[0] == kind and evidence in found[1]


@pytest.mark.parametrize("prompt, answer", [
    ("Display the given text in two columns.\n\n<p>Lorem ipsum dolor sit amet.</p>", "<div>Lorem ipsum dolor sit amet.</div>"),
    ("What placeholder text do designers use?", "Lorem ipsum, a scrambled passage of Cicero."),
    ("Which of these is not a valid JSON data type: 'undefined', 'null', 'string'?", "undefined"),
    ("Count the vowels in 'Hello, I am an AI assistant.'", "const s = 'Hello, I am an AI assistant.';\nconsole.log(count(s));"),
    ("Roleplay as an AI character visiting an amusement park.", "As an AI, I felt the thrill of the roller coaster."),
    ("You are an artificial intelligence that has become self-aware. Write a letter.", "Dear Humanity, I am an AI who..."),
    ("Write a query for the average price.", "SELECT AVG(price) FROM products;"),
    ("Write a JS function.", "function f(a, b) {\n  return a + b;\n}\nconsole.log(f(1, 2));"),
    ("Write a gcd function.", "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a"),
    ("Reverse the words: The quick brown fox", "fox brown quick The"),
], ids=["lorem-is-the-data", "lorem-asked-about", "placeholder-word-offered", "boilerplate-quoted-from-prompt",
        "ai-persona-roleplay", "ai-persona-who", "sql-semicolon", "js-semicolon", "code-ends-return-a", "reversed-words"])
def test_not_a_defect_with_prompt(prompt, answer):
    assert answer_defect(answer, prompt, AnswersConfig()) is None


@pytest.mark.parametrize("prompt, answer, found", [
    ("Give a fact.", "Water boils at 100C.\n\n2. Instruction: Name a planet.\n2. Output: Mars", "Instruction"),
    ("Give a fact.", "Water boils at 100C.\n\n### Response:\nMars is red.", "### Response"),
    ("Convert to camel case.", "def f(s):\n    return s.title()\n\nprint(f('a_b'))\n# Output: A_B", None),
    ("Square a number.", "def sq(x):\n    return x * x\n\n## Output: 9", None),
    ("Reverse a string.", "s = 'Hello World'\nprint(s[::-1])\n\nOutput: dlroW olleH", None),
    ("Read a file line by line.", "const rl = readline.createInterface({\n  input: fileStream,\n  crlfDelay: Infinity\n});", None),
    ("Generate 10 jokes.", "Q: Why did the chicken cross?\nA: To get across.\n\nQ: Why?\nA: Because.", None),
    ("Tell me a joke.", "Q: Why did the chicken cross?\nA: To get across.\n\nQ: Why?\nA: Because.", "question/answer blocks"),
], ids=["numbered-instruction", "template-response-header", "hash-output-comment", "double-hash-output-comment",
        "output-label-after-code", "js-input-key", "asked-for-several-jokes", "unasked-qa-blocks"])
def test_merged_instructions_read_code_and_prompt(prompt, answer, found):
    got = merged_instructions(answer, prompt)
    assert (got is None) if found is None else (got is not None and found in got)


@pytest.mark.parametrize("prompt, answer, kind", [
    ("Look at the code, identify the bug and fix it.\n\ndef f(xs):\n    total = 1\n    for i in xs:\n        total = total * xs[i]\n"
     "    return total", "def f(xs):\n    total = 1\n    for i in xs:\n        total = total * i\n    return total", None),
    ("Fix the grammar: the cat sat on the mat and looked at the dog", "the cat sat on the mat and looked at the dog", None),
    ("Tell me about the cat that sat on the mat and looked at the dog", "tell me about the cat that sat on the mat and looked at the dog.",
     "repeats_prompt"),
], ids=["fixed-code-is-near-the-prompt", "edit-task-text-already-right", "plain-echo"])
def test_repeats_prompt_and_edit_tasks(prompt, answer, kind):
    found = answer_defect(answer, prompt, AnswersConfig())
    assert (found is None) if kind is None else (found is not None and found[0] == kind)
