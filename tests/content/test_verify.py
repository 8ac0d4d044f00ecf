"""Arithmetic claims (including GSM8K's writing habits), JSON answers and Python code blocks."""

from __future__ import annotations

import json

import pytest

from curate.content.arithmetic import check_text
from curate.content.verify import code_problem, json_problem
from content_helpers import chat, dataset, run_check, signals
from conftest import shared_file


@pytest.mark.parametrize("text, expression, claimed, actual", [
    ("2/4 = 2", "2 / 4", "2", "0.5"),
    ("The season record is 10 x 1,248 = 11,480 points.", "10 x 1,248", "11,480", "12480"),
    ("Total = 5 + 3 = 9", "5 + 3", "9", "8"),
    ("She paid $100-$94 = $7 more", "$100 - $94", "$7", "6"),
    ("So 13 marbles + 4 marbles + 16 marbles = 45 marbles", "13 + 4 + 16", "45", "33"),
    ("Sending 3 transfers costs 3 x $4.99 = $15.97 in fees.", "3 x $4.99", "$15.97", "14.97"),
], ids=["half", "thousands", "chain", "dollars", "units", "cents"])
def test_wrong_claim_reported(text, expression, claimed, actual):
    checked, errors = check_text(text)
    assert checked >= 1
    assert errors == [{"expression": expression, "claimed": claimed, "actual": actual}]


@pytest.mark.parametrize("text", [
    "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.",
    "Weng earns 12/60 = $0.2 per minute. Working 50 minutes, she earned 0.2 x 50 = $10.",
    "Mary added 7 stickers/page * 6 pages= 42 stickers to the 6 other pages.",
    "16 - 3 - 4 = 9 * $2 = $18",
    "<<48/2=24>>24",
    "20% of 50 = 10",
    "1/4*100 = 25%",
    "100/3 = 33 people per bus",
    "10/3 = 3.33",
    "25 / 1/3 = 75 total decorations",
    "-14 + (-8) + 1 = -21 degrees",
    "600 x 30 = 18 000 watts",
    "$80 000+ $16 000 + $4 000 = $100 000.",
], ids=["gsm8k-natalia", "gsm8k-weng", "unit-rate", "continued-chain", "annotation", "percent-of",
        "percent-result", "floor", "rounded", "divide-by-fraction", "negatives",
        "space-thousands", "space-thousands-dollars"])
def test_correct_claims_pass(text):
    checked, errors = check_text(text)
    assert errors == [] and checked >= 1


@pytest.mark.parametrize("text", [
    "3x + 2 = 11", "2x-5=13", "Let x = 5 * y", "S + 2S + 0 + 1 = 3S + 1 = 7", "12 x 1 and 1/4 = 15",
    "at 6:00+18 hours = 00:00 on Tuesday", "the original number of bikes + 12 - 18 = 45 bikes",
    "```python\nx = 2 + 2 == 5\n```", "if a <= 3 + 4 then", "x = 5", "1/2 hour = 30 minutes",
], ids=["algebra", "algebra-glued", "variable-rhs", "variables-chain", "mixed-number", "clock", "prose-operand",
        "code-block", "inequality", "assignment", "unit-conversion"])
def test_not_arithmetic_claims_are_skipped(text):
    assert check_text(text) == (0, [])


def test_arithmetic_check_fail_pass_and_edge(tmp_path):
    ds = dataset(tmp_path, [chat("Fees?", "Two withdrawals cost 2 x $2.50 = $6.00 in fees.", rid="bad"),
                            chat("Fees?!", "Two withdrawals cost 2 x $2.50 = $5.00 in fees.", rid="ok"),
                            chat("Hi", "Hello! How can I help today?", rid="none")])
    sig = signals(ds, ["verify"])
    res = run_check("max_arithmetic_errors", ds, sig)
    assert not res.passed and res.flagged == ["bad"]
    assert res.evidence["bad"] == "2 x $2.50 = $6.00 (actually 5)"
    assert res.details == {"equations_checked": 2, "wrong_claims": 1}
    assert run_check("max_arithmetic_errors", ds, sig, max_rate=0.34).passed


def test_gsm8k_all_records_wrong_claims_are_real():
    """All 7,473 GSM8K train answers: the wrong claims found are the known slips of the dataset's writers."""
    data = json.loads(shared_file("gsm8k_alpaca/gsm_8k_train.json").read_text())
    assert len(data) == 7473
    checked, flagged = 0, {}
    for i, r in enumerate(data):
        n, errs = check_text(r["output"])
        checked += n
        if errs:
            flagged[i] = errs
    assert checked > 20000  # most of the ~26k '=' signs are real calculations and get recomputed
    assert 15 <= len(flagged) <= 35  # measured: 24 records, 25 wrong claims, each read by hand as a real slip
    assert flagged[6256] == [{"expression": "10 x 1,248", "claimed": "11,480", "actual": "12480"}]
    assert flagged[167] == [{"expression": "192 * 100", "claimed": "$1920", "actual": "19200"}]
    assert flagged[6812] == [{"expression": "50 - 8", "claimed": "44", "actual": "42"}]
    assert 1 not in flagged and 0 not in flagged  # Natalia / Weng: rounding, $ and units are fine


@pytest.mark.parametrize("prompt, answer, problem", [
    ("Return the result as JSON.", '{"a": 1, "b": 2', "Expecting ',' delimiter"),
    ("Give the answer in JSON format.", "Sure, the total is 3.", "asks for JSON but the answer has none"),
    ("List them.", '```json\n{"a": [1, 2,]}\n```', "line 1 col"),
], ids=["unclosed", "no-json", "json-fence"])
def test_invalid_json(prompt, answer, problem):
    assert problem in json_problem(prompt, answer)


@pytest.mark.parametrize("prompt, answer", [
    ("Return the result as JSON.", '{"a": 1}'),
    ("Return the result as JSON.", 'Here it is:\n```json\n[1, 2]\n```'),
    ("What is JSON?", "JSON is a text format for data."),
    ("Hi", ""),
], ids=["object", "fenced", "not-asked", "empty"])
def test_valid_or_not_expected_json(prompt, answer):
    assert json_problem(prompt, answer) is None


@pytest.mark.parametrize("answer, problem", [
    ("```python\ndef f(:\n    pass\n```", "block 1, line 1"),
    ("```py\nprint 'hi'\n```", "block 1, line 1"),
], ids=["bad-def", "python2-print"])
def test_invalid_python(answer, problem):
    assert problem in code_problem("write python", answer, 20000)


@pytest.mark.parametrize("answer", ["```python\ndef f(x):\n    return x * 2\n```", "```\n$ ls -la\n```",
                                    "```python\n>>> 1 +\n```", "```javascript\nconst x = {;\n```", "no code"],
                         ids=["valid", "shell-untagged", "repl", "other-language", "none"])
def test_python_not_flagged(answer):
    assert code_problem("write some python", answer, 20000) is None


def test_json_and_code_checks(tmp_path):
    ds = dataset(tmp_path, [chat("Reply with JSON only.", '{"ok": tru}', rid="j"),
                            chat("Write python to add.", "```python\ndef add(a, b)\n    return a + b\n```", rid="c"),
                            chat("Hello", "Hi there, how can I help?", rid="ok")])
    sig = signals(ds, ["verify"])
    rj, rc = run_check("max_invalid_json_answers", ds, sig), run_check("max_invalid_code_answers", ds, sig)
    assert rj.flagged == ["j"] and "Expecting value" in rj.evidence["j"]
    assert rc.flagged == ["c"] and "block 1, line 1" in rc.evidence["c"] and "def add(a, b)" in rc.evidence["c"]
    one = dataset(tmp_path, [chat("Hello", "Hi there.")], "one.jsonl")
    s1 = signals(one, ["verify"])
    assert run_check("max_invalid_json_answers", one, s1).passed and run_check("max_invalid_code_answers", one, s1).passed


# --- Python written without a fence (issue 13 item 5) ---

@pytest.mark.parametrize("prompt, answer, problem", [
    ("Write a function that adds two numbers.", "def add(a, b):\nreturn a + b", "unfenced code, line 2: expected an indented block"),
    ("Write a function that adds two numbers.", "def add(a, b):\n    return a +\n", "unfenced code, line 2: invalid syntax"),
    ("Print a greeting.", "import sys\nprint('hi\nsys.exit(0)", "unfenced code, line 2: unterminated string"),
    ("Compute a factorial.", "def f(n):\n    return 1 if n < 2 else n * f(n - 1)\n\nf(5) => 120", "unfenced code, line 4"),
    ("Write a class.", "class A:\n    def f(self):\n    return 1\n\nThis class has one method.", "unfenced code, line 3"),
    ("Add two numbers.", "   ```python\n   def add(a, b):\n   return a + b\n   ```", "block 1, line 2"),
], ids=["lost-indentation", "dangling-operator", "unterminated-string", "output-on-code-line", "prose-after-broken-code",
        "fenced-indented-block-still-checked"])
def test_unfenced_python_compiled(prompt, answer, problem):
    assert problem in code_problem(prompt, answer, 20000)


@pytest.mark.parametrize("prompt, answer", [
    ("Write a function that adds two numbers.", "def add(a, b):\n    return a + b\n\nThis function returns the sum of a and b."),
    ("Write a function.", "def f(x):\n    return x * 2\n\nprint(f(2))\n4"),
    ("Write a function.", "def f(x):\n    print(x)\n\nf('Hello World!')\nHello World!"),
    ("Write a function.", "def f(n):\n    return n\n\n/* The function returns its argument.\n   Nothing else. */"),
    ("Sort a list in Ruby.", "def sort_list(list)\n  list.sort\nend"),
    ("Write a Java import.", "import java.util.List;\nclass A { }"),
    ("Create a view controller.", "import UIKit\n\nclass MyViewController: UIViewController {\n    let x = 1\n}"),
    ("Explain recursion.", "Recursion is when a function calls itself. def is the keyword.\nIt needs a base case."),
    ("Explain imports.", "import is a keyword: it loads a module. For example you can import math and use it."),
    ("Explain sorting.", "To sort, use sorted(). The function returns a new list:\n\nsorted([3, 1, 2])"),
    ("Set up flask.", "1. Install Flask:\n\n  ```python\n  from flask import Flask\n  app = Flask(__name__)\n  ```"),
], ids=["prose-after-valid-code", "printed-number", "printed-text", "c-comment-after-code", "ruby-def", "java-import",
        "swift-import", "prose-mentions-def", "prose-starts-with-import", "prose-then-code", "indented-fenced-block"])
def test_unfenced_prose_or_valid_code_not_flagged(prompt, answer):
    assert code_problem(prompt, answer, 20000) is None


@pytest.mark.parametrize("prompt, answer", [
    ("Design a web server in Node.js that returns a JSON object with a greeting.",
     "const http = require('http');\nconst server = http.createServer((req, res) => {\n  res.end(JSON.stringify({a: 1}));\n});"),
    ("Write a Python script that fetches data from a REST API and parses the JSON response.",
     "import requests\n\nr = requests.get(url)\nprint(r.json())"),
    ("Convert the following JSON object to XML format.\n\n{\"name\": \"John\"}", "<person>\n  <name>John</name>\n</person>"),
    ("Identify which of these is not a valid JSON data type: 'undefined'.", "undefined"),
    ("Extract the words that start with 'a'.", "['apple', 'around', 'since']"),
    ("Generate a regular expression for capitalised words.", "[A-Z][a-z]*"),
    ("Classify the numbers into prime and non-prime.", "[41, 7] : Prime Numbers\n[16] : Non-Prime Numbers"),
], ids=["code-task-mentions-json", "python-parses-json", "json-is-the-source", "asks-about-json", "python-list-literal",
        "regex-in-brackets", "list-then-prose"])
def test_json_mentioned_but_not_the_answer_format(prompt, answer):
    assert json_problem(prompt, answer) is None


@pytest.mark.parametrize("prompt, answer, problem", [
    ("Convert this record to JSON.", "{'name': 'John', 'age': 25}", "Expecting property name"),
    ("Tell me about John.", '{"name": "John", "age": 25,}', "Expecting property name"),
    ("List three colours as JSON.", '["red", "green" "blue"]', "Expecting ','"),
], ids=["asked-single-quotes", "unasked-but-meant-as-json", "array-missing-comma"])
def test_json_still_checked(prompt, answer, problem):
    assert problem in json_problem(prompt, answer)
