"""Arithmetic claims in answers: find `a op b = c` (and chains `a = b op c = d`) and recompute them.

Written for math word-problem data (GSM8K writes `48/2 = 24 clips`, `$100-$94 = $6`, `10 x 1,248 =
11,480`, `<<48/2=24>>`). What keeps false positives down:
- unit words between a number and an operator are skipped (`7 stickers/page * 6 pages = 42`), but a
  single letter is a variable, so `3x + 2 = 11` is never read as `3 + 2`;
- a claim passes when it is the true value rounded *or* truncated to its own precision
  (`10/3 = 3.33`, `100/3 = 33` people, `2/3 = 0.66`); an integer claim for a whole-number result
  must be exact;
- `%` is tried both as /100 and as a plain number (`20% * 50 = 10`, `1/4*100 = 25%`);
- in a chain the next segment may continue the calculation (`16-3-4 = 9 * $2 = $18`): the claim is
  then its first number;
- a unit conversion (`1/2 hour = 30 minutes`) and anything in a fenced code block are not checked.
"""

from __future__ import annotations

import ast
import operator
import re

TOKEN_RE = re.compile(r"""
 (?P<num>(?:[$€£]\ ?)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:\ \d{3})+(?!\d|[.,]\d)|\d+)(?:\.\d+)?(?:\ ?%)?|[$€£]?\.\d+%?)
|(?P<op>[+\-*/×÷^–−]|(?<=[\d\s)])[xX](?=\s*[$\d(.]))
|(?P<lp>\()|(?P<rp>\))
|(?P<eq>(?<![<>!=])=(?!=))
|(?P<word>[A-Za-z](?:[A-Za-z'’/\-]*[A-Za-z])?)
|(?P<stop>\S|\n)
""", re.X)
CONVERSION_UNITS = {
    "second", "sec", "minute", "min", "hour", "hr", "day", "week", "month", "year", "decade", "century", "dozen",
    "inch", "foot", "feet", "ft", "yard", "yd", "mile", "meter", "metre", "cm", "mm", "km", "kg", "g", "gram",
    "kilogram", "pound", "lb", "ounce", "oz", "ton", "cup", "gallon", "quart", "pint", "liter", "litre", "ml",
    "cent", "dollar", "nickel", "dime", "quarter", "penny", "pennie", "percent",
}
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
       ast.Pow: operator.pow}
FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.S)
MAX_UNIT_WORDS = 4
# words that join clauses, never part of a unit ("9 because - 18/-2 = 9" is not 9 - 18/-2)
PROSE_WORDS = {"because", "so", "and", "then", "which", "is", "are", "was", "were", "or", "but", "if", "that", "this",
               "we", "he", "she", "they", "it", "thus", "therefore", "hence", "since", "means", "gives", "equals",
               "makes", "leaves", "plus", "minus", "times", "when", "while", "after", "before", "now", "total"}
LABEL_WORDS = {"day", "week", "month", "year", "step", "page", "line", "part", "level", "round", "chapter",
               "question", "number", "no", "grade", "room", "floor", "game", "test", "lap", "stage", "phase"}
SCALES = (1, 1e3, 1e6, 1e9)  # "losing 5 thousand dollars ... 5 * 3 = $15,000": a scale word said in prose


def tokenize(text: str) -> list[tuple[str, str]]:
    toks = [(m.lastgroup, m.group(0).strip(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    # "20% of 50" multiplies
    for i in range(1, len(toks) - 1):
        if toks[i][:2] == ("word", "of") and toks[i - 1][0] == "num" and toks[i - 1][1].endswith("%") and toks[i + 1][0] == "num":
            toks[i] = ("op", "*", *toks[i][2:])
    return toks


def _is_unit_run(words: list[str]) -> bool:
    return 0 < len(words) <= MAX_UNIT_WORDS and all(len(w) > 1 and w.lower() not in PROSE_WORDS for w in words)


def _walk(toks, i, step):
    """Collect an expression next to index i, moving by `step` (-1 left, +1 right).

    Returns (tokens, end index, tainted): tainted when the expression runs on into something that is
    not arithmetic we can read -- a variable (`2x - 5`, `30 + M`), a mixed number (`1 and 1/4`), a
    clock time (`6:00`), or prose between numbers -- so its value is not what the writer computed.
    """
    out, j = [], i + step
    while 0 <= j < len(toks):
        kind, val = toks[j][:2]
        if kind in ("num", "op", "lp", "rp"):
            out.append(toks[j])
            j += step
            continue
        if kind == "word":
            k = j
            while 0 <= k < len(toks) and toks[k][0] == "word":
                k += step
            run = [toks[x][1] for x in range(j, k, step)]  # run[0] is the word next to the expression
            inner = out[-1] if out else None  # the token on the '=' side of the run
            outer = toks[k] if 0 <= k < len(toks) else None
            if len(run[0]) == 1 and run[0] != "a":
                return _finish(out, step), j, True  # a variable
            if step == -1 and out and out[-1][0] == "num" and run[0].lower() in LABEL_WORDS:
                return _finish(out, step), j, True  # "day 1 * 2": a label, not a quantity
            if step == -1 and not out and run[-1].lower() == "of":
                return _finish(out, step), j, True  # "1/3 of Solomon = 22": a share of something unnamed
            if step == 1:
                if inner and inner[0] == "op":
                    return _finish(out, step), j, True  # "= 30 + M trees"
                if inner and inner[0] in ("num", "rp") and (outer is None or outer[0] not in ("op", "rp", "eq")):
                    out.append(("unit", " ".join(run[:MAX_UNIT_WORDS]), 0, 0))  # words after the claim: "24 clips in May"
                    break
            num_side, op_side = (outer, inner) if step == -1 else (inner, outer)
            # a unit sits between a number (or ')') and an operator or '='
            if _is_unit_run(run) and num_side and num_side[0] in ("num", "rp") and (
                    op_side is None or op_side[0] in ("op", "eq", "rp") or (step == -1 and not out)):
                out.append(("unit", " ".join(run if step == 1 else run[::-1]), 0, 0))
                j = k
                continue
            beyond = toks[k - 1] if outer is not None and k >= 1 else None  # what precedes the number past the run
            if step == -1 and out and ((outer is not None and outer[0] in ("op", "lp"))
                                       or (outer is not None and outer[0] in ("num", "rp") and len(run) <= 3
                                           and (run == ["and"] or (beyond is not None and beyond[0] in ("op", "lp"))))
                                       or inner[0] == "op"):
                return _finish(out, step), j, True  # prose inside the arithmetic: "1 and 1/4", "bikes + 12 - 18"
            break
        if kind == "stop" and out:
            far = toks[j + step] if 0 <= j + step < len(toks) else None
            glued = far and (toks[j - 1][3] == toks[j][2] if step == -1 else toks[j + 1][2] == toks[j][3])
            if (val == ":" and glued and far[0] == "num") or (far and far[0] == "op"):
                return _finish(out, step), j, True  # a clock time (6:00 + 18), or a typo inside the sum (+ . 84)
            if val == "." and step == 1 and far and far[1] == "." and glued:
                return _finish(out, step), j, True  # "8.333...": an approximation
            if val in ",." and far and far[0] == "num" and glued:
                return _finish(out, step), j, True  # a malformed number: 16,0000 or "14, 400"
        break
    return _finish(out, step), j, False


def _finish(out, step):
    return out[::-1] if step == -1 else out


def _to_python(toks, percent_scale: bool) -> str | None:
    parts = []
    for kind, val, *_ in toks:
        if kind == "num":
            v = val.lstrip("$€£ ").replace(",", "").replace(" ", "")
            if v.endswith("%"):
                v = f"({v[:-1]}/100)" if percent_scale else v[:-1]
            parts.append(v)
        elif kind == "op":
            parts.append({"x": "*", "X": "*", "×": "*", "÷": "/", "^": "**", "–": "-", "−": "-"}.get(val, val))
        elif kind in ("lp", "rp"):
            parts.append(val)
    return " ".join(parts) if parts else None


def _eval(node):
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return OPS[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def evaluate(toks, percent_scale: bool = True) -> float | None:
    src = _to_python(toks, percent_scale)
    if not src:
        return None
    try:
        return _eval(ast.parse(src, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def _trim(toks):
    """Drop units and dangling operators/parentheses at the ends of a collected expression (inner units stay)."""
    core = list(toks)

    def lp_extra():
        return sum(t[0] == "lp" for t in core) - sum(t[0] == "rp" for t in core)

    while core and (core[0][0] == "unit" or (core[0][0] == "op" and core[0][1] not in "-−–")
                    or (core[0][0] == "lp" and lp_extra() > 0)):
        core = core[1:]
    while core and (core[-1][0] in ("unit", "op") or (core[-1][0] == "rp" and lp_extra() < 0)):
        core = core[:-1]
    return core


def _decimals(toks) -> int:
    return max((len(v.split(".")[1].rstrip("% ")) for k, v, *_ in toks if k == "num" and "." in v), default=0)


def _units(toks) -> set[str]:
    words = {w.lower().rstrip("s") for k, v, *_ in toks if k == "unit" for w in re.split(r"[\s/]+", v)}
    if any(k == "num" and v.startswith("$") for k, v, *_ in toks):
        words.add("dollar")
    return words & CONVERSION_UNITS


def _values(toks) -> list[float]:
    vals = {evaluate(toks, True), evaluate(toks, False)}
    # "25 / 1/3 = 75": people divide by a written fraction; read a / b / c also as a / (b/c)
    # "24 degrees / 3 degrees / 5%": a unit followed by "/ number" is a rate ("per 5%"), drop the denominator
    for n in range(len(toks) - 2):
        if toks[n][0] == "unit" and toks[n + 1][1] == "/" and toks[n + 2][0] == "num":
            vals.add(evaluate(toks[:n + 1] + toks[n + 3:], True))
    for n in range(len(toks) - 3):
        if [t[0] for t in toks[n:n + 4]] == ["op", "num", "op", "num"] and toks[n][1] in "/÷" and toks[n + 2][1] == "/":
            alt = toks[:n + 1] + [("lp", "(", 0, 0)] + toks[n + 1:n + 4] + [("rp", ")", 0, 0)] + toks[n + 4:]
            vals.add(evaluate(alt, True))
    return [v for v in vals if v is not None]


def _close(actual: float, claimed: float, decimals: int) -> bool:
    # rounded or truncated to the claim's own precision; exact (to float noise) for whole numbers
    tol = 10.0 ** -decimals
    return abs(actual - claimed) < tol - 1e-12 * max(1.0, abs(actual)) or abs(actual - claimed) <= 1e-9 * max(1.0, abs(actual))


def _show(toks) -> str:
    return " ".join(v for k, v, *_ in toks if k != "unit")


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"


def check_text(text: str) -> tuple[int, list[dict]]:
    """(number of equations checked, [{expression, claimed, actual}] for the wrong ones) in one text."""
    if "=" not in text:
        return 0, []
    text = FENCE_RE.sub("\n", text) if "```" in text else text
    toks = tokenize(text)
    checked, errors, seen = 0, [], set()
    for i, (kind, *_) in enumerate(toks):
        if kind != "eq" or i in seen:
            continue
        left, _, bad = _walk(toks, i, -1)
        segments, tainted = [left], [bad]
        j = i
        while True:  # a chain: a = b = c
            seg, end, bad = _walk(toks, j, +1)
            segments.append(seg)
            tainted.append(bad)
            if end < len(toks) and toks[end][0] == "eq":
                seen.add(end)
                j = end
                continue
            break
        for k, (a, b) in enumerate(zip(segments, segments[1:])):
            if tainted[k] or tainted[k + 1]:
                continue
            lhs, rhs = _trim(a), _trim(b)
            if not lhs or not rhs or not any(t[0] == "op" for t in lhs) or sum(t[0] == "num" for t in lhs) < 2:
                continue
            ua, ub = _units(a), _units(b)
            if (ua and ub and not ua & ub) or len(ua) > 1:
                continue  # a unit conversion (1/2 hour = 30 minutes) or mixed units (4 pounds - 6 ounces)
            actual = _values(lhs)
            first = rhs[:1] if rhs[0][0] == "num" else []
            claims = [(rhs, _values(rhs))] + ([(first, _values(first))] if first and len(rhs) > 1 else [])
            claims = [(t, v) for t, v in claims if v]
            if not actual or not claims:
                continue
            checked += 1
            if any(_close(x * scale, y, _decimals(t)) for t, vs in claims for y in vs for x in actual for scale in SCALES):
                continue
            claim_toks = claims[-1][0]
            errors.append({"expression": _show(lhs), "claimed": _show(claim_toks),
                           "actual": _fmt(evaluate(lhs, True))})
    return checked, errors
