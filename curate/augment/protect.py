"""Which parts of a text an edit may touch.

An edit works on plain words only. Protected, never edited, moved or deleted: code (the PII
stage's code regions: fenced, inline and code lines), URLs, e-mail addresses, placeholders
({name}, {{var}}, <MASK>, [NAME], %s, $VAR), quoted spans ("...", '...', “...”), and every token
holding a digit (an answer's numbers must stay right) or code-like punctuation (snake_case,
dotted.names, call()). What is protected is also what a generated record must keep verbatim:
`changed_protected` compares a candidate with its source for the gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PROTECTED = re.compile("|".join([
    r"https?://\S+|www\.\S+",  # URLs
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    r"\{\{.*?\}\}|\{[^{}\s]*\}|<[^<>\s]{1,40}>|\[[A-Z0-9_ ]{2,40}\]|%[sdif]|\$\{?\w+\}?",  # placeholders
    r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|(?<!\w)'[^'\n]{1,200}'(?!\w)",  # quoted spans
    r"\S*\d\S*",  # anything holding a digit: numbers, amounts, dates, versions, ids
    r"\w+(?:[_.]\w+)+\(?\)?|\w+\(\)?",  # snake_case, dotted.names, calls
]))
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


@dataclass
class Piece:
    text: str
    kind: str  # "word" (editable), "protected", or "other" (spaces, punctuation)


def protected_spans(text: str) -> list[tuple[int, int]]:
    from curate.pii.context import code_regions

    spans = list(code_regions(text)) + [m.span() for m in _PROTECTED.finditer(text)]
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def pieces(text: str) -> list[Piece]:
    """`text` cut into editable words, protected spans and the rest; joined they give `text` back."""
    out: list[Piece] = []
    pos = 0
    for a, b in protected_spans(text) + [(len(text), len(text))]:
        seg = text[pos:a]
        last = 0
        for m in WORD.finditer(seg):
            if m.start() > last:
                out.append(Piece(seg[last:m.start()], "other"))
            out.append(Piece(m.group(), "word"))
            last = m.end()
        if last < len(seg):
            out.append(Piece(seg[last:], "other"))
        if b > a:
            out.append(Piece(text[a:b], "protected"))
        pos = b
    return out


def protected_parts(text: str) -> list[str]:
    """The pattern-protected spans of `text` (numbers, URLs, placeholders, quotes...), sorted."""
    return sorted(m.group().strip() for m in _PROTECTED.finditer(text))


def changed_protected(old: str, new: str) -> tuple[list[str], list[str]]:
    """(protected parts of `old` that `new` lost, protected parts `new` added); both empty: a faithful rewrite.

    Pattern spans must match exactly; each code region of `old` must appear verbatim in `new` (whether
    a line of `new` reads as code is not compared: a plain-word edit can tip that heuristic).
    """
    from collections import Counter

    from curate.pii.context import code_regions

    a, b = Counter(protected_parts(old)), Counter(protected_parts(new))
    lost = sorted((a - b).elements()) + [old[x:y].strip() for x, y in code_regions(old) if old[x:y].strip() not in new]
    return lost, sorted((b - a).elements())
