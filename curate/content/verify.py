"""Verifiable answers: arithmetic that does not add up, JSON that does not parse, code that does not compile.

Stage `verify` (row-local, assistant texts of SFT formats) writes:
    arithmetic_errors   list of {expression, claimed, actual}: `2/4 = 2` gives
                        {expression: "2 / 4", claimed: "2", actual: "0.5"} (see arithmetic.py for
                        what is read as a claim and what is left alone)
    arithmetic_checked  how many equations were recomputed (0: nothing checkable)
    json_invalid        None, or why the answer's JSON does not parse ("line 1 col 20: Expecting ','
                        delimiter"), when the prompt asks for JSON or the answer has a ```json block
    code_invalid        None, or the first ```python block that does not compile, with the error line;
                        an answer that is Python without a fence (it opens with `def f(...):`,
                        `import x`...; see codeish.py) is compiled too: "unfenced code, line 2: ..."
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
import warnings
from dataclasses import dataclass

from curate.content.arithmetic import check_text
from curate.content.codeish import CODE_TASK_RE, looks_like_code, printed_output_start, signature_only, unfenced_python
from curate.load.formats import alternative_answers
from curate.stages import register_stage

# JSON as the answer's format ("reply in JSON", "convert this to JSON", "return a JSON object"); a prompt
# that only mentions JSON ("convert the following JSON object to XML", "is 'undefined' valid JSON?") does not ask for it
ASKS_JSON_RE = re.compile(r"\b(?:in|as|into|to|returns?|output|respond with|reply with|give(?: me)?|produce|generate|create|"
                          r"write|format(?:ted)? as|only)\s+(?:a |an |the |valid |only |some |well-formed )*json\b", re.I)
# an answer meant as JSON: double-quoted keys or strings ('{'name': 'x'}' is a Python literal, '[A-Z]' a regex)
JSONISH_RE = re.compile(r"^\s*(?:\{\s*\"[^\"]*\"\s*:|\[\s*(?:\"|\{|-?\d[\d.]*\s*[,\]]))")
FENCE_RE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
PYTHON_TAGS = {"python", "py", "python3", "py3"}


@dataclass
class VerifyConfig:
    arithmetic: bool = True  # recompute `a op b = c` claims in answers
    max_code_chars: int = 20000  # longer code blocks are not compiled (keeps the stage fast)


def _where(err: json.JSONDecodeError) -> str:
    return f"line {err.lineno} col {err.colno}: {err.msg}"


def json_problem(prompt: str, answer: str) -> str | None:
    """Why the JSON in `answer` does not parse, or None (also None when no JSON is expected)."""
    blocks = [b for tag, b in FENCE_RE.findall(answer) if tag.lower() == "json"]
    # a program that handles JSON is answered with code: only its ```json blocks are JSON
    # ASKS_JSON_RE needs the word: on ASCII text `in` finds exactly what re.I would
    maybe_json = not prompt.isascii() or "json" in prompt.lower()
    asked = maybe_json and bool(ASKS_JSON_RE.search(prompt)) and not CODE_TASK_RE.search(prompt)
    if not blocks:
        s = answer.strip()
        if "```" in s or looks_like_code(s) and not JSONISH_RE.match(s) and not (asked and s.startswith(("{", "["))):
            return None
        if JSONISH_RE.match(s) and s.endswith(("}", "]")):
            blocks = [s]
        elif asked:
            starts = [i for i in (s.find("{"), s.find("[")) if i >= 0]
            if not starts:
                return "the prompt asks for JSON but the answer has none"
            end = max(s.rfind("}"), s.rfind("]"))
            blocks = [s[min(starts):end + 1] if end > min(starts) else s[min(starts):]]
        else:
            return None
    for b in blocks:
        try:
            json.loads(b)
        except json.JSONDecodeError as e:
            return f"{_where(e)} near {b[max(0, e.pos - 15):e.pos + 15]!r}"
    return None


def _compile_error(code: str, *, output_may_follow: bool = False) -> str | None:
    """'line 3: invalid syntax ('def f(:')' when `code` does not compile, else None.

    `output_may_follow`: unfenced code is often followed by what it prints; when the failing line and
    all after it read as output and the code before them compiles, the code is fine."""
    # a block indented as a whole (inside a numbered list) is dedented; notebook magics are dropped
    src = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in textwrap.dedent(code).splitlines())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences warn, they are not errors
            ast.parse(src)
    except SyntaxError as e:
        if output_may_follow and e.lineno and e.lineno > 1 and printed_output_start(src, e.lineno):
            return _compile_error("\n".join(src.splitlines()[:e.lineno - 1]))
        line = (e.text or "").strip()
        return f"line {e.lineno}: {e.msg}" + (f" ({line[:40]!r})" if line else "")
    except (ValueError, RecursionError) as e:
        return str(e)
    return None


def code_problem(prompt: str, answer: str, max_chars: int) -> str | None:
    """The first Python block that does not compile, as 'block 2, line 3: invalid syntax ('def f(:')'."""
    prompt_python = "python" in prompt.lower()
    for n, (tag, code) in enumerate(FENCE_RE.findall(answer), 1):
        tag = tag.lower()
        if not (tag in PYTHON_TAGS or (not tag and prompt_python and re.search(r"^\s*(def |import |class |print\()", code, re.M))):
            continue
        if len(code) > max_chars or code.lstrip().startswith(">>>"):
            continue  # interactive sessions mix output with code
        err = _compile_error(code)
        if err:
            return f"block {n}, {err}" if err.startswith("line") else f"block {n}: {err}"
    code = unfenced_python(answer, prompt)
    if code and len(code) <= max_chars and not signature_only(answer, prompt):
        err = _compile_error(code, output_may_follow=True)
        if err:
            return f"unfenced code, {err}" if err.startswith("line") else f"unfenced code: {err}"
    return None


def _answers(fmt, messages, fields=()):
    if fmt not in ("alpaca", "prompt_completion", "chat"):
        return []
    out, last_user = [], ""
    for m in messages:
        if m["role"] == "user":
            last_user = m["content"]
        elif m["role"] == "assistant":
            out.append((last_user, m["content"]))
    # a preference pair's rejected answer, other reference answers: verified like the answer itself
    return out + [(last_user, f["text"]) for f in alternative_answers(fields)]


@register_stage("verify", config=VerifyConfig, row_local=True,
                columns=("arithmetic_errors", "arithmetic_checked", "json_invalid", "code_invalid"))
def verify(batch: dict[str, list], *, config: VerifyConfig) -> dict[str, list]:
    """Recompute arithmetic in answers; parse JSON answers and Python code blocks."""
    cols: dict[str, list] = {"arithmetic_errors": [], "arithmetic_checked": [], "json_invalid": [], "code_invalid": []}
    for fmt, messages, fields in zip(batch["format"], batch["messages"], batch["fields"]):
        errors, checked, bad_json, bad_code = [], 0, None, None
        for prompt, answer in _answers(fmt, messages or [], fields or []):
            if config.arithmetic:
                n, errs = check_text(answer)
                checked += n
                errors += errs
            bad_json = bad_json or json_problem(prompt, answer)
            bad_code = bad_code or code_problem(prompt, answer, config.max_code_chars)
        cols["arithmetic_errors"].append(errors)
        cols["arithmetic_checked"].append(checked)
        cols["json_invalid"].append(bad_json)
        cols["code_invalid"].append(bad_code)
    return cols
