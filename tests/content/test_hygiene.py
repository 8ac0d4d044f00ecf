"""Control characters, mojibake, invalid Unicode, repetition, and the fix_text repair API used by clean."""

from __future__ import annotations

import pytest

from curate.content.hygiene import HygieneConfig, field_findings, fix_text, repetition
from content_helpers import chat, dataset, run_check, signals


@pytest.mark.parametrize("text, fixed, change", [
    ("caf\u00c3\u00a9 au lait", "caf\u00e9 au lait", "fixed mojibake"),
    ("I\u00e2\u20ac\u2122m here", "I\u2019m here", "fixed mojibake"),
    ("bell\x07 and \x1b[0mcolour", "bell and colour", "removed 2 control char(s)"),
    ("zero\u200bwidth", "zerowidth", "zero-width space"),
    ("lone \ud83d surrogate", "lone \ufffd surrogate", "replaced 1 invalid code point"),
], ids=["mojibake-accent", "mojibake-quote", "control+ansi", "zero-width", "surrogate"])
def test_fix_text_repairs_and_says_what(text, fixed, change):
    out, changes = fix_text(text)
    assert out == fixed
    assert any(change in c for c in changes)


@pytest.mark.parametrize("text", ["plain text", "curly \u201cquotes\u201d \u2013 and dashes", "tabs\tand\nnewlines\r\n",
                                  "caf\u00e9 na\u00efve", ""],
                         ids=["ascii", "typography", "whitespace", "accents", "empty"])
def test_fix_text_leaves_clean_text_alone(text):
    assert fix_text(text) == (text, [])


@pytest.mark.parametrize("text, column, detail", [
    ("Wow!!!!!!!!!!!!!!!!!!!!!!!!!", "repetition", "'!' repeated"),
    ("Pay on time. Pay on time. Pay on time. Pay on time.", "repetition", "repeated 4 times in a row"),
    ("thank you thank you thank you thank you thank you thank you so much", "repetition", "'thank you' repeated 6 times"),
    ("ok\ufffdok", "invalid_unicode", "U+FFFD"),
    ("caf\u00c3\u00a9", "mojibake", "-> 'caf\u00e9'"),
    ("a\x00b", "control_chars", "U+0000"),
], ids=["char-run", "sentence-run", "phrase-run", "replacement-char", "mojibake", "nul"])
def test_field_findings(text, column, detail):
    found = field_findings("output", text, HygieneConfig())
    assert found[column] is not None and detail in found[column]


@pytest.mark.parametrize("text", ["Title\n==========================\n-----------------------------",
                                  "1 plus 1 plus 1 plus 1 plus 1 = 5", "I paid. I paid again."],
                         ids=["markdown-rules", "sum-of-ones", "two-sentences"])
def test_not_repetition(text):
    assert field_findings("o", text, HygieneConfig())["repetition"] is None



@pytest.mark.parametrize("check, bad", [
    ("max_control_char_records", "Freeze\x07 it in the app."),
    ("max_mojibake_records", "We\u00e2\u20ac\u2122re happy to help."),
    ("max_invalid_unicode_records", "Freeze it \ufffd in the app."),
    ("max_repetition", "Freeze it now. Freeze it now. Freeze it now. Freeze it now."),
], ids=["control", "mojibake", "invalid-unicode", "repetition"])
def test_hygiene_checks_fail_and_pass(tmp_path, check, bad):
    ds = dataset(tmp_path, [chat("How do I freeze my card?", bad, rid="bad"), chat("And unfreeze?", "Tap Unfreeze.", rid="ok")])
    sig = signals(ds, ["hygiene"])
    res = run_check(check, ds, sig)
    assert not res.passed and res.flagged == ["bad"] and res.evidence["bad"].startswith("messages.1.content: ")
    assert run_check(check, ds, sig, max_rate=0.5).passed


def test_text_fixes_column_holds_the_repaired_field(tmp_path):
    ds = dataset(tmp_path, [chat("Caf\u00c3\u00a9 charge?", "Yes.")])
    fixes = signals(ds, ["hygiene"])["text_fixes"][0]
    assert fixes == [{"field": "messages.0.content", "text": "Caf\u00e9 charge?",
                      "changes": ["fixed mojibake 'Caf\u00c3\u00a9' -> 'Caf\u00e9'"]}]  # what clean's changes.jsonl says


@pytest.mark.parametrize("text, expected", [
    ("def f(x):\n    if x > 1:\n        return False\n    if x < 0:\n        return False\n    if x == 0:\n"
     "        return False\n    if x == 1:\n        return False\n    return True", None),
    ("<table>\n<tr>\n<td>Row 1</td>\n<td>Row 1</td>\n<td>Row 1</td>\n</tr>\n</table>", None),
    ("arr = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]", None),
    ("def f():\n    return 1\n# try again, try again, try again, try again, try again, try again, try again", "'try again' repeated"),
    ("I like it.\nI like it a lot more now.\nI like it a lot more now.\nI like it a lot more now.\n"
     "I like it a lot more now.", "I like it a lot more now"),
], ids=["code-return-false", "html-cells", "zero-list", "code-phrase-loop", "prose-lines-still-flagged"])
def test_repetition_in_code(text, expected):
    got = repetition(text, 3)
    assert (got is None) if expected is None else (got is not None and expected in got)
