"""Text hygiene: control characters, mojibake, invalid Unicode, runs of repeated text.

Stage `hygiene` (row-local, every text field) writes lists of {field, detail}:
    control_chars    control characters other than \\n \\t (\\r\\n line ends are allowed), zero-width
                     spaces and byte-order marks inside text
    mojibake         text decoded with the wrong encoding ("cafÃ©"), found and fixed by ftfy with only
                     its encoding fixers on (curly quotes, ligatures and widths are left as they are)
    invalid_unicode  lone surrogates, noncharacters, U+FFFD replacement characters
    repetition       a character run (`!!!!!!...`), a phrase repeated back to back, or the same line
                     over and over: the degenerate loops of generated data
    text_fixes       {field, text, changes}: the repaired text of every field `fix_text` would change
                     and what it changed; what `curate clean` writes back (it reads this column)

`fix_text(text) -> (fixed, changes)` is the repair `curate clean` applies for `fix="fix_text"` checks.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

import ftfy

from curate.content.codeish import looks_like_code
from curate.stages import register_stage

# Only the encoding repairs: a detector that also uncurls quotes would call every typographic quote mojibake.
ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=False, fix_encoding=True, restore_byte_a0=True,
    replace_lossy_sequences=True, decode_inconsistent_utf8=True, fix_c1_controls=True, fix_latin_ligatures=False,
    fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False, fix_surrogates=True,
    remove_control_chars=False, normalization=None, explain=False)
INVISIBLE = {"\ufeff": "BOM", "\u200b": "zero-width space", "\u2060": "word joiner", "\u00ad": "soft hyphen"}
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colour codes: drop the whole sequence, not only ESC
# Unicode category Cc (U+0000-001F, U+007F-009F: fixed since Unicode 1.1) other than \n \t \r, plus the
# invisible characters: one regex scan instead of a unicodedata call per character
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(INVISIBLE) + "]")
LONE_CR_RE = re.compile(r"\r(?!\n)")
SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
NONCHAR_RE = re.compile(r"[\ufdd0-\ufdef\ufffe\uffff]")
CHAR_RUN_RE = re.compile(r"([^\s\-=_*#.~`|+<>/\\])\1{19,}")  # 20+ of one char; markdown rules/separators excluded
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
PHRASE_RE = re.compile(r"(\b\w[^\n]{2,60}?)(?:[\s,;.]+\1\b){5,}")  # a phrase 6+ times back to back ("1 plus 1 plus..." x5 is maths)
PHRASE_SEP_RE = re.compile(r"[\s,;.]+")  # the separator PHRASE_RE allows between copies
_PHRASE_SEP_TO_SPACE = str.maketrans(",;.", "   ")  # on ASCII, PHRASE_SEP_RE splits where str.split() then does


@dataclass
class HygieneConfig:
    max_same_line: int = 3  # a line (10+ chars) seen more than this many times in one field is `repetition`


@functools.lru_cache(maxsize=16)  # asked twice per field: by the finding and by the repair of the same text
def _control_detail(text: str) -> str | None:
    bad = [(m.start(), m.group()) for m in CONTROL_RE.finditer(text)]
    if "\r" in text:  # a lone \r (not part of \r\n) overwrites the line in a terminal
        bad += [(m.start(), "\r") for m in LONE_CR_RE.finditer(text)]
    if not bad:
        return None
    bad.sort()
    names = sorted({INVISIBLE.get(c, f"U+{ord(c):04X}") for _, c in bad})
    return f"{len(bad)} control char(s) {', '.join(names[:4])} first at char {bad[0][0]}"


def _diff_span(old: str, new: str, width: int = 12) -> str:
    """The first place `old` and `new` differ, as 'old…' -> 'new…' with a little context."""
    i = next((k for k, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    j = 0
    while j < min(len(old), len(new)) - i and old[-1 - j] == new[-1 - j]:
        j += 1
    lo = max(0, i - width)
    a, b = old[lo:min(len(old) - j, i + 3 * width) or None], new[lo:min(len(new) - j, i + 3 * width) or None]
    return f"{a[:50]!r} -> {b[:50]!r}"


def fix_mojibake(text: str) -> str:
    # ASCII is never mojibake: ftfy's encoding step returns it unchanged (its first plan) and the C1 and
    # surrogate fixers only touch non-ASCII code points, so the (slow) call is skipped
    return text if text.isascii() else _fix_mojibake(text)


@functools.lru_cache(maxsize=16)  # the stage asks twice per field: once to detect, once for the repair
def _fix_mojibake(text: str) -> str:
    return ftfy.fix_text(text, ENCODING_ONLY)


def fix_text(text: str) -> tuple[str, list[str]]:
    """Repair one text: mojibake (ftfy), control characters other than \\n \\t, invalid Unicode.

    Returns the repaired text and short descriptions of what changed ([] when nothing did).
    """
    changes: list[str] = []
    out = text
    if not out.isascii() and (SURROGATE_RE.search(out) or NONCHAR_RE.search(out)):
        n = len(SURROGATE_RE.findall(out)) + len(NONCHAR_RE.findall(out))
        out = NONCHAR_RE.sub("\ufffd", SURROGATE_RE.sub("\ufffd", out))
        changes.append(f"replaced {n} invalid code point(s) with U+FFFD")
    fixed = fix_mojibake(out)
    if fixed != out:
        changes.append(f"fixed mojibake {_diff_span(out, fixed)}")
        out = fixed
    detail = _control_detail(out)
    if detail:
        out = ANSI_RE.sub("", out).replace("\r\n", "\n").replace("\r", "\n")
        out = CONTROL_RE.sub("", out)
        changes.append(f"removed {detail}")
    return out, changes


def repetition(text: str, max_same_line: int) -> str | None:
    # Each regex below runs only where a cheap necessary condition holds (`tokens`: the text split at
    # whitespace, which is what re's \s matches): the findings are those of the regexes alone.
    tokens = text.split()
    m = CHAR_RUN_RE.search(text) if max(map(len, tokens), default=0) >= 20 else None  # a run sits inside one token
    if m:
        return f"{m.group(1)!r} repeated {len(m.group(0))} times at char {m.start()}"
    # code repeats itself by nature: `return False` in every branch, a row of `<td>` cells, `[0, 0, 0, ...]`;
    # only a phrase with words looping back to back is degenerate there
    code = looks_like_code(text)
    if len(text) < 20000 and _may_loop(text):  # the back-reference regex is quadratic on huge texts
        m = PHRASE_RE.search(text)
        if m and code and not re.search(r"[A-Za-z]{3,}", m.group(1)):
            m = None
        if m:
            n = len(re.findall(re.escape(m.group(1)), m.group(0)))
            return f"{m.group(1)[:40]!r} repeated {n} times in a row"
    if code:
        return None
    # three copies of a sentence in a row are three copies of its words in a row
    sents = list(map(str.strip, SENTENCE_RE.split(text))) if _back_to_back(tokens, 3) else []
    if len(set(sents)) < len(sents):  # a run needs one sentence twice
        run, best, prev = 1, (1, ""), None
        for sent in sents:
            run = run + 1 if sent and sent == prev else 1
            if run > best[0]:
                best = (run, sent)
            prev = sent
        if best[0] >= 3 and len(best[1]) >= 10:
            return f"sentence {best[1][:40]!r} repeated {best[0]} times in a row"
    lines = Counter(map(str.strip, text.splitlines()))  # in order of first appearance, like the loop it replaced
    if lines and max(lines.values()) > max_same_line:
        counts = {s: n for s, n in lines.items() if len(s) >= 10}
        if counts:
            line, n = max(counts.items(), key=lambda kv: kv[1])
            if n > max_same_line:
                return f"line {line[:40]!r} appears {n} times"
    return None


def _may_loop(text: str) -> bool:
    """A cheap necessary condition for PHRASE_RE (whose back-reference search costs ~60 steps per word).

    Split at the separators PHRASE_RE allows between copies, copies 2 to 5 of a looping phrase are the same
    block of m whole words four times in a row (m <= 31: a phrase is at most 61 characters)."""
    # re.split also yields an empty string at either end; _back_to_back never matches on one (see its doc)
    words = text.translate(_PHRASE_SEP_TO_SPACE).split() if text.isascii() else PHRASE_SEP_RE.split(text)
    return _back_to_back(words, 4, max_len=31)


def _back_to_back(words: list[str], copies: int, max_len: int | None = None) -> bool:
    """Some block of m <= max_len words occurs `copies` times in a row in `words`.

    Such a block's first word pair occurs `copies` times, or `copies - 1` times for a one-word block, so
    only the starts of pairs seen that often are tried; m is the distance between two of them. An empty
    word at either end never takes part: inside a run every word has a copy one block further on."""
    pairs = Counter(zip(words, words[1:]))
    need = copies - 1
    if not pairs or max(pairs.values()) < need:
        return False
    starts: dict[tuple[str, str], list[int]] = {}
    for i, pair in enumerate(zip(words, words[1:])):
        if pairs[pair] >= need:
            starts.setdefault(pair, []).append(i)
    span = copies - 1
    for pos in starts.values():
        for a, p in enumerate(pos):
            for q in pos[a + 1:]:
                m = q - p
                if max_len is not None and m > max_len:
                    break
                if words[p:p + span * m] == words[q:q + span * m]:
                    return True
    return False


def field_findings(name: str, text: str, cfg: HygieneConfig) -> dict[str, str | None]:
    ascii = text.isascii()  # no surrogates, noncharacters or U+FFFD to look for
    bad = [] if ascii else SURROGATE_RE.findall(text) + NONCHAR_RE.findall(text)
    fffd = 0 if ascii else text.count("\ufffd")
    invalid = None
    if bad or fffd:
        parts = ([f"{len(bad)} invalid code point(s) ({', '.join(sorted({f'U+{ord(c):04X}' for c in bad})[:3])})"] if bad else []) + \
                ([f"{fffd} U+FFFD replacement char(s): earlier decoding lost text"] if fffd else [])
        invalid = "; ".join(parts)
    clean = SURROGATE_RE.sub("\ufffd", text) if bad else text
    fixed = fix_mojibake(clean)
    return {"control_chars": _control_detail(text),
            "mojibake": _diff_span(clean, fixed) if fixed != clean else None,
            "invalid_unicode": invalid,
            "repetition": repetition(text, cfg.max_same_line)}


COLUMNS = ("control_chars", "mojibake", "invalid_unicode", "repetition")


@register_stage("hygiene", config=HygieneConfig, columns=(*COLUMNS, "text_fixes"), row_local=True)
def hygiene(batch: dict[str, list], *, config: HygieneConfig) -> dict[str, list]:
    """Control characters, mojibake (with the ftfy fix), invalid Unicode and repetition in every text field."""
    out: dict[str, list] = {c: [] for c in (*COLUMNS, "text_fixes")}
    for fields in batch["fields"]:
        found: dict[str, list] = {c: [] for c in COLUMNS}
        fixes = []
        for f in fields or []:
            for col, detail in field_findings(f["name"], f["text"], config).items():
                if detail:
                    found[col].append({"field": f["name"], "detail": detail})
            fixed, changes = fix_text(f["text"])
            if changes:
                fixes.append({"field": f["name"], "text": fixed, "changes": changes})
        for c in COLUMNS:
            out[c].append(found[c])
        out["text_fixes"].append(fixes)
    return out
