"""Is it code? Unfenced Python is found only when sure; prose is never taken for code."""

from __future__ import annotations

import pytest

from curate.content.codeish import looks_like_code, unfenced_python


@pytest.mark.parametrize("text, is_code", [
    ("SELECT id, name\nFROM products\nORDER BY price DESC\nLIMIT 3;", True),
    ("function f(a) {\n  return a;\n}", True),
    ("def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a", True),
    ("The cat sat on the mat.\nIt was happy; very happy.", False),
    ("There were 2 x 20 = 40 tennis balls.\nSo he bought 145 - 115 = 30 volleyballs.", False),
    ("", False),
], ids=["sql", "js", "python", "prose", "word-problem-maths", "empty"])
def test_looks_like_code(text, is_code):
    assert looks_like_code(text) is is_code


@pytest.mark.parametrize("answer, prompt, code", [
    ("def f(x):\n    return x\n\nThis function returns its argument.", "", "def f(x):\n    return x"),
    ("import math\nprint(math.pi)", "", "import math\nprint(math.pi)"),
    ("from a import b\nb()\n\nOutput: 5", "", "from a import b\nb()"),
    ("def f(x):\n    return x", "Write it in Ruby.", None),
    ("```python\ndef f(x):\n    return x\n```", "", None),
    ("Here is how: def f(x): return x", "", None),
    ("import java.util.List;", "", None),
], ids=["code-then-prose", "import", "output-label-ends-code", "other-language-task", "fenced", "prose-first", "java"])
def test_unfenced_python(answer, prompt, code):
    assert unfenced_python(answer, prompt) == code


@pytest.mark.parametrize("prompt, answer, flagged", [
    ("Write out the function signature for a function that returns the gcd of two integers.", "def gcd(x, y):", False),
    ("Give the prototype of a method that adds two numbers.", "def add(a, b):", False),
    ("Write a function that returns the gcd of two integers.", "def gcd(x, y):", True),
], ids=["signature-asked", "prototype-asked", "body-asked"])
def test_a_requested_signature_is_neither_broken_code_nor_cut_off(prompt, answer, flagged):
    from curate.content.answers import AnswersConfig, answer_defect
    from curate.content.verify import code_problem

    assert (code_problem(prompt, answer, 20000) is not None) is flagged
    found = answer_defect(answer, prompt, AnswersConfig())
    assert (found is not None and found[0] == "truncated") is flagged
