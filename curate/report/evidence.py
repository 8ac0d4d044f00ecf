"""Evidence in context: what the record browser of report.html shows for each finding.

Everything here returns text that has already been through the PII sanitiser, cut into pieces the
browser inserts with `textContent` (never as HTML):

- a PII finding: the words around each detected span, the span itself masked as its type plus a
  hint (`<EMAIL_ADDRESS …rg>`: the last two characters), the rest of the text readable;
- any other finding: the snippet its evidence quotes, found in the record's fields and highlighted
  in context; when the evidence quotes nothing findable, the start of the field, said as such;
- a duplicate: the kept record and the flagged one side by side, the differing words marked
  (difflib over words), with the similarity the decision was made on.
"""

from __future__ import annotations

import difflib
import re

CONTEXT = 90  # characters shown on each side of a highlighted span
SIDE = 420  # characters of each record in a side-by-side duplicate view
HINT = 2  # characters of a masked PII value shown as its hint

_QUOTED = re.compile(r"'([^']{3,})'|\"([^\"]{3,})\"|`([^`]{3,})`|«([^»]{3,})»")


def _cut_left(text: str, n: int) -> str:
    """The last ~n characters of `text`, starting at a word edge, with a visible ellipsis."""
    if len(text) <= n:
        return text
    piece = text[-n:]
    space = piece.find(" ")
    return "…" + (piece[space + 1:] if 0 <= space < n // 3 else piece)


def _cut_right(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    piece = text[:n]
    space = piece.rfind(" ")
    return (piece[:space] if space > 2 * n // 3 else piece) + "…"


def _one_line(text: str) -> str:
    return re.sub(r"[ \t]*\n[ \t\n]*", " ⏎ ", text)


def pii_contexts(rec: dict, spans, san, limit: int = 2) -> list[dict]:
    """Each PII span of the record in its context: {field, before, mark, after}; the span masked."""
    texts = {f["name"]: f["text"] for f in rec["fields"]}
    out = []
    for s in list(spans)[:limit]:
        text = texts.get(s["field"])
        if text is None:
            continue
        a, b = int(s["start"]), int(s["end"])
        value = text[a:b]
        hint = value.strip()[-HINT:] if len(value.strip()) > 2 * HINT else ""
        mark = f"<{s['entity_type']}" + (f" …{hint}>" if hint else ">")
        # the sanitiser sees each side on its own: other values there go too, and a piece of a value cut
        # at the window's edge is recognised at the edge
        out.append({"field": s["field"], "before": san.text(_one_line(_cut_left(text[:a], CONTEXT))),
                    "mark": mark, "after": san.text(_one_line(_cut_right(text[b:], CONTEXT))), "masked": True})
    return out


def _snippets(evidence: str) -> list[str]:
    """Quoted pieces of an evidence string, longest first, without the ellipsis of a cut quote."""
    found = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(evidence or "")]
    cleaned = [q.strip().rstrip("…").rstrip(".").strip() for q in found]
    return sorted({q for q in cleaned if len(q) >= 3}, key=len, reverse=True)


def snippet_context(rec: dict, evidence: str, san, prefer_answer: bool = False) -> dict:
    """The quoted snippet of the evidence, found in a field and highlighted; else the field's start."""
    fields = [f for f in rec["fields"] if f.get("role") != "system"] or list(rec["fields"])
    texts = [(f["name"], san.text(f["text"])) for f in fields]
    for snip in _snippets(san.text(evidence)):
        # the evidence may have squeezed whitespace: match any run of whitespace
        pattern = re.compile(r"\s+".join(re.escape(w) for w in snip.split()), re.IGNORECASE)
        for name, text in texts:
            m = pattern.search(text)
            if m:
                return {"field": name, "before": _one_line(_cut_left(text[:m.start()], CONTEXT)),
                        "mark": _one_line(_cut_right(text[m.start():m.end()], 3 * CONTEXT)),
                        "after": _one_line(_cut_right(text[m.end():], CONTEXT))}
    if not texts:
        return {"field": "", "before": "", "mark": "", "after": "", "note": "the record has no text"}
    answers = [t for t, f in zip(texts, fields) if f.get("role") == "assistant"]
    name, text = (answers or texts)[-1 if prefer_answer and answers else 0]
    return {"field": name, "before": "", "mark": "", "after": _one_line(_cut_right(text, 2 * CONTEXT)),
            "note": "start of the field (the evidence names no position in the text)" if text.strip()
            else "the field is empty"}


def record_text(rec: dict) -> str:
    """What a person compares between two records: the user and assistant text, in order."""
    fields = [f for f in rec["fields"] if f.get("role") != "system"] or list(rec["fields"])
    return "\n".join(f["text"] for f in fields) if fields else f"{rec.get('prompt') or ''}\n{rec.get('response') or ''}"


def word_diff(kept: str, other: str, san, limit: int = SIDE) -> tuple[list, list]:
    """Both texts (sanitised first, so a value split between pieces is never half-masked) as
    [[same?, text], ...] pieces: the words the other side lacks are marked (difflib over words).
    The whole texts are compared and only then cut to `limit` characters, so a cut never shows as a difference."""
    a = _one_line(san.text(kept[:8 * limit]))
    b = _one_line(san.text(other[:8 * limit]))
    wa, wb = re.findall(r"\S+\s*", a), re.findall(r"\S+\s*", b)
    sm = difflib.SequenceMatcher(None, [w.strip() for w in wa], [w.strip() for w in wb], autojunk=False)
    left, right = [], []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        same = op == "equal"
        if i2 > i1:
            _push(left, same, "".join(wa[i1:i2]))
        if j2 > j1:
            _push(right, same, "".join(wb[j1:j2]))
    return _cut_pieces(left, limit), _cut_pieces(right, limit)


def _cut_pieces(pieces: list, limit: int) -> list:
    out, used = [], 0
    for same, text in pieces:
        if used + len(text) > limit:
            out.append([same, _cut_right(text, max(limit - used, 1))])
            if not out[-1][1].endswith("…"):
                out[-1][1] += "…"
            return out
        out.append([same, text])
        used += len(text)
    return out


def _push(pieces: list, same: bool, text: str) -> None:
    core = text.rstrip()
    if not same and core != text:  # mark the words, not the space after them
        _push(pieces, False, core)
        _push(pieces, True, text[len(core):])
        return
    if pieces and pieces[-1][0] == int(same):
        pieces[-1][1] += text
    else:
        pieces.append([int(same), text])
