"""`curate clean` never changes what code or JSON means: it quarantines the record instead.

Two guards, both per text field:
- before a scrub: a span inside code or JSON (the detector leaves only live credentials there,
  context.py) cannot be replaced without changing the program: `code_conflict` names it;
- after every fix: what parsed before (the whole field as JSON, the whole field as Python, each
  fenced ```python / ```json block) must still parse: `broken_parses` names what no longer does.
"""

from __future__ import annotations

import ast
import json
import re
import warnings

from curate.pii.context import code_regions, in_regions

_FENCE = re.compile(r"(?m)^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```", re.S)
_PYTHON_TAGS = {"python", "py", "python3", "py3", ""}
MAX_CHARS = 100_000  # longer fields are not parsed (a guard, not a linter)


def _python_ok(src: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences warn, they are not errors
            compile(src, "<field>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def _json_ok(src: str) -> bool:
    try:
        json.loads(src)
        return True
    except ValueError:
        return False


def _looks_like_code(text: str) -> bool:
    """Most of the text is code lines: a lone word or "604-457-4895" also compiles as Python."""
    code = sum(b - a for a, b in code_regions(text))
    return code >= 0.5 * len(text.strip()) and "\n" in text.strip()


def parses(text: str) -> set[str]:
    """What in `text` parses: {"json", "python", "block 2 (python)", ...}."""
    if not text or len(text) > MAX_CHARS:
        return set()
    out = set()
    s = text.strip()
    if s[:1] in "{[" and _json_ok(s):
        out.add("json")
    elif _looks_like_code(s) and _python_ok(s):
        out.add("python")
    for n, m in enumerate(_FENCE.finditer(text), 1):
        tag, body = m.group(1).lower(), m.group(2)
        if tag == "json" and _json_ok(body):
            out.add(f"block {n} (json)")
        elif tag in _PYTHON_TAGS and body.strip() and _python_ok(body):
            out.add(f"block {n} (python)")
    return out


def broken_parses(before: str, after: str) -> list[str]:
    """What parsed in `before` and does not in `after`."""
    if before == after:
        return []
    return sorted(parses(before) - parses(after))


def code_conflict(text: str, spans: list[dict]) -> str | None:
    """Why replacing `spans` in `text` would change code or JSON, or None."""
    if not spans:
        return None
    regions = code_regions(text)
    inside = [s for s in spans if in_regions(s["start"], s["end"], regions)]
    if not inside and "json" in parses(text):
        inside = list(spans)
    if not inside:
        return None
    kinds = sorted({s["entity_type"] for s in inside})
    return f"{', '.join(kinds)} inside code or JSON: replacing it would change what the code does"
