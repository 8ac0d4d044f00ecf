"""Is a text code? Finds Python written without a ``` fence, and keeps code out of the prose checks.

`unfenced_python` is deliberately strict (false alarms on prose are worse than misses): the answer
must open with a statement only Python writes -- `def name(...):`, `class Name:`, `import x`,
`from x import y`, a decorator or a python shebang -- carry no fence, and not answer a task in
another language. The code runs until the first prose line at column 0 ("This function returns...",
"Output:"), so an explanation after the code is not compiled. `looks_like_code` tells the answer
checks that a trailing ';' or a last word "a" is a statement, not a sentence cut off.
"""

from __future__ import annotations

import re

PY_START_RE = re.compile(
    r"^(?:def \w+\s*\(.*\)\s*(?:->\s*[^:]+)?:\s*(?:#.*)?"  # def f(x):   (Ruby/Elixir/Scala defs have no colon)
    r"|class \w+\s*(?:\([^)]*\))?\s*:\s*(?:#.*)?"
    r"|import [\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*(?:#.*)?"  # not Java's `import a.b;`, not JS `import x from`
    r"|from [\w.]+ import (?:\(|[\w*, ]+)\s*(?:#.*)?"
    r"|@\w[\w.]*(?:\(.*\))?\s*"
    r"|#!.*python.*)$")
# A task in another language: its `def`/`import` lines are not Python
OTHER_LANG_RE = re.compile(r"\b(?:ruby|javascript|typescript|java|c\+\+|c#|php|perl|scala|kotlin|swift|rust|golang|"
                           r"elixir|groovy|julia|haskell|lua|bash|shell|node\.?js)\b", re.I)
PY_CAPS = {"True", "False", "None"}
# A task whose answer is a program ("write a function...", "... in Python"): a given list or URL is then the
# program's input, and JSON it mentions is what the program handles, not the answer's format
_LANGS = (r"python|javascript|js|typescript|java|c\+\+|c#|c|ruby|go|golang|rust|php|sql|bash|shell|swift|kotlin|"
          r"haskell|perl|scala|r|matlab|html|css|node\.?js|react|jquery|dart|lua|julia|visual basic|vb\.net")
CODE_TASK_RE = re.compile(
    r"\b(?:write|create|implement|develop|generate|construct|design|build|code|compose|make|provide|give|show|suggest)\b"
    r"(?:\s+[\w+#.-]+){0,6}?\s+(?:function|program|script|method|class|code|query|regex|regular expression|algorithm|"
    r"snippet|module|api|endpoint|server|app|application|routine|macro|command|one-liner|lambda|loop|component|"
    r"procedure|subroutine|closure|decorator|generator|hook|test|program)s?\b"
    rf"|\b(?:in|using|with) (?:{_LANGS})\b(?!-)|^(?:{_LANGS}):", re.I)
LABEL_RE = re.compile(r"^(?:output|example|explanation|usage|result|results|note|input|returns?|sample)s?\b[^=()]*:", re.I)
# A line of code in any common language
CODE_LINE_RE = re.compile(
    r"[{}]\s*$|[(){}\[\]=<>$\"'][^\n]*;\s*$|^\s*[})\]]"  # braces; a ';' ending a line with code characters
    r"|^\s*(?:[A-Z]{2,}\s+)+[\w*,() ]*;?\s*$"  # SQL: "SELECT DISTINCT list FROM list;"
    r"|^\s*(?:def|class|return|import|from|if|elif|else|for|while|try|except|with|print|"
    r"console\.|var|let|const|function|public|private|protected|static|#include|using|package|SELECT|INSERT|UPDATE|"
    r"DELETE|CREATE|ALTER|DROP|echo|fi|done|end|puts|System\.|int|void|val|func|fn|<\/?\w+)\b"
    r"|^\s*[\w.\[\]'\"]+\s*[+\-*/%]?=\s*\S|\w\([^()]*\)\s*;?\s*$")
# CODE_LINE_RE split into its alternatives, each tried only where it can match: `search` tried every
# alternative at every character of every line, the costliest regex of the content stages.
_CODE_LINE_START_RE = re.compile(  # the alternatives anchored at ^: only position 0 can match
    r"\s*[})\]]"
    r"|\s*(?:[A-Z]{2,}\s+)+[\w*,() ]*;?\s*$"
    r"|\s*(?:def|class|return|import|from|if|elif|else|for|while|try|except|with|print|"
    r"console\.|var|let|const|function|public|private|protected|static|#include|using|package|SELECT|INSERT|UPDATE|"
    r"DELETE|CREATE|ALTER|DROP|echo|fi|done|end|puts|System\.|int|void|val|func|fn|<\/?\w+)\b"
    r"|\s*[\w.\[\]'\"]+\s*[+\-*/%]?=\s*\S")
_BRACE_END_RE = re.compile(r"[{}]\s*$")
_SEMICOLON_END_RE = re.compile(r"[(){}\[\]=<>$\"'][^\n]*;\s*$")
_CALL_END_RE = re.compile(r"\w\([^()]*\)\s*;?\s*$")


def code_line(line: str) -> bool:
    """`bool(CODE_LINE_RE.search(line))`, faster: each unanchored alternative needs a character the line must hold."""
    return bool(_CODE_LINE_START_RE.match(line)
                or (("{" in line or "}" in line) and _BRACE_END_RE.search(line))
                or (";" in line and _SEMICOLON_END_RE.search(line))
                or ("(" in line and _CALL_END_RE.search(line)))


def _prose_line(line: str) -> bool:
    """A sentence or a label at column 0: where code written without a fence ends."""
    s = line.strip()
    if not s or line[0].isspace() or s.startswith(("#", "@", '"""', "'''")):
        return False
    if LABEL_RE.match(s):
        return True
    words = s.split()
    return (len(words) >= 4 and bool(re.match(r"^[A-Z][a-z']*[,:]?$", words[0])) and words[0] not in PY_CAPS
            and not re.search(r"\s=\s|[;{}]$|^\w+\(", s) and sum(w.strip(",.:;!?'\"").isalpha() for w in words) >= 0.6 * len(words))


# "write out the function signature", "give the method's prototype", "a class skeleton": the answer is an
# opener with no body by design, neither cut off nor broken code
SIGNATURE_TASK_RE = re.compile(r"\b(?:signatures?|prototypes?|declarations?|headers?|stubs?|skeletons?)\b", re.I)


def signature_only(answer: str, prompt: str) -> bool:
    """The prompt asks for a signature/prototype/stub and the answer is a few lines of just that."""
    lines = [ln for ln in answer.strip().splitlines() if ln.strip()]
    return bool(SIGNATURE_TASK_RE.search(prompt or "")) and 0 < len(lines) <= 3


def unfenced_python(answer: str, prompt: str = "") -> str | None:
    """The Python source an unfenced answer opens with, or None when it is not confidently Python."""
    if "```" in answer:
        return None
    lines = answer.strip("\n").splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not PY_START_RE.match(first.strip()) or first[:1].isspace():
        return None  # tested before the prompt's language: one match at the start, not a scan of the prompt
    if OTHER_LANG_RE.search(prompt) and not re.search(r"\bpython\b", prompt, re.I):
        return None
    code = []
    for ln in lines:
        if _prose_line(ln) or ln.lstrip().startswith(">>>"):
            break
        code.append(ln)
    if sum(ln.rstrip().endswith(("{", "};", "}")) for ln in code) >= 2:
        return None  # braces close blocks: Swift/Go/Java code that happens to open with `import X`
    return "\n".join(code).rstrip() or None


def printed_output_start(code: str, error_line: int) -> bool:
    """The line that does not compile, and every line after it, read as the program's printed output or a
    note about it ("1 3 5 7 9", "Hello World!", "// Output: 5", "/* uses recursion */"): not broken code."""
    rest = code.splitlines()[error_line - 1:]
    return bool(rest) and all(not ln.strip() or ln.lstrip().startswith(("//", "/*", "*"))
                              or not (code_line(ln) or re.search(r"\w\s*=\s*\S|\w\(", ln)) for ln in rest)


def looks_like_code(text: str) -> bool:
    """Most non-empty lines of `text` are code (any language): its last ';' or word ends a statement."""
    lines = list(filter(str.strip, text.splitlines()))
    if not lines:
        return False
    return sum(map(code_line, lines)) >= 0.5 * len(lines)
