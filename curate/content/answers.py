"""Answer defects: the broken targets the Alpaca clean-up found (empty, "N/A", boilerplate refusals...).

Stage `answers` (row-local, SFT formats) looks at every assistant text (the Alpaca `output`, each
assistant turn of a chat) and writes:
    answer_defect        None, or the first defect found: `empty` (empty/whitespace-only),
                         `placeholder` ("N/A", "<nooutput>", "[image]", "lorem ipsum"...),
                         `refusal` ("As an AI language model..."), `repeats_prompt` (the answer is the
                         prompt again), `truncated` (ends mid-sentence or inside a code block)
    answer_evidence      short readable evidence: the field and the matching span
    merged_instructions  None, or the span where a further instruction/answer block starts inside
                         the answer ("2. Instruction: ...") -- two examples fused into one record
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from curate.content.codeish import code_line, looks_like_code, signature_only
from curate.load.formats import alternative_answers
from curate.stages import register_stage

# Whole answers that stand for "no answer" (Alpaca's `<nooutput>`, spreadsheet "N/A", templates).
PLACEHOLDERS = {
    "n/a", "na", "n.a", "none", "null", "nil", "nan", "undefined", "nooutput", "no output", "no answer", "noanswer",
    "no response", "no output required", "not applicable", "tbd", "todo", "to do", "fixme", "placeholder", "...", "-",
    "--", "?", "output", "answer", "response", "your answer here", "answer here", "insert answer here",
    "insert response here", "(no output)", "empty", "blank", "image", "no image", "<image>", "[image]",
}
PLACEHOLDER_RE = re.compile(
    r"^\s*[\[<({]\s*(?:image|img|picture|photo|drawing|illustration|logo|video|audio|chart|graph|diagram|insert|"
    r"answer|output|response|placeholder|no ?output|attachment)\b[^\]>)}]{0,80}[\]>)}]\s*\.?\s*$", re.I)
# A "no answer" marker opening the answer, whatever follows it: Alpaca's
# "<nooutput> This type of instruction cannot be fulfilled by a GPT model."
NO_ANSWER_MARKER_RE = re.compile(r"^\s*[\[<({]\s*no[ _-]?(?:output|answer|response)\s*[\]>)}]", re.I)
LOREM_RE = re.compile(r"\blorem ipsum\b", re.I)
ASKS_LOREM_RE = re.compile(r"\blorem\b|\b(?:placeholder|dummy|filler|sample|lipsum) (?:text|copy|paragraph)", re.I)
# Boilerplate of a model talking about itself: a training target should never teach it.
REFUSAL_STRONG_RE = re.compile(
    r"\bas an? (?:ai|artificial intelligence)(?: language model| model| assistant| chatbot)?\b|"
    r"\bas a (?:large )?language model\b|\bi(?:'m| am) (?:just |only )?an? (?:ai|language model)\b|"
    r"\bi (?:do not|don't) have (?:the ability|personal (?:opinions|experiences|feelings)|access to (?:the internet|real-time))",
    re.I)
# A task whose answer is the given text, edited
EDIT_TASK_RE = re.compile(r"\b(?:fix|correct|edit|rewrite|re-write|modify|debug|improve|update|change|format|reformat|"
                          r"refactor|proofread|revise|amend|clean up|optimi[sz]e|repair)\b", re.I)
# The prompt casts the model as an AI character (role play): "as an AI, I ..." is then in character
# ("You are a helpful AI assistant" is a system prompt, not a character: it needs a role-play verb or a
# "who/that ..." clause that makes the AI someone)
_AI = r"an?\s+(?:[\w-]+\s+){0,3}?(?:ai|artificial intelligence|robot|android|chatbot)\b(?!\s+(?:language )?model\b)"
AI_PERSONA_RE = re.compile(
    rf"\b(?:role[- ]?play(?:ing)?|act|pretend(?: to be)?|imagine(?: you(?:'re| are))?|assume(?: you(?:'re| are))?|"
    rf"playing)\s+(?:as\s+)?{_AI}"
    rf"|\byou(?:'re| are)(?: now)?\s+{_AI}(?:[\w\s,-]{{0,30}}?)\s(?:that|who|which|named|called)\b", re.I)
# A refusal at the start of a short answer ("I'm sorry, but I cannot help with that.")
REFUSAL_OPENING_RE = re.compile(
    r"^\W*(?:(?:unfortunately|sorry),? )?(?:i(?:'m| am) sorry,? (?:but )?|i apologi[sz]e,? (?:but )?)?"
    r"i(?: cannot| can't| can not| am unable to|'m unable to| am not able to|'m not able to|"
    r" won't be able to| will not) (?:help|assist|comply|fulfil+|complete|provide|generate|create|do|answer|perform)"
    r"[^.!?\n]{0,80}", re.I)
# Alpaca-style blocks inside an answer: "2. Instruction:", "### Response:", "Input:" at a line start.
MERGED_RE = re.compile(
    r"(?:^|\n)[ \t]*(?:#+[ \t]*)?(?:\d+[.)][ \t]*)?(?:instruction|input|output|response)[ \t]*\d*[ \t]*:", re.I)
QA_RE = re.compile(r"(?:^|\n)[ \t]*(?:\d+[.)][ \t]*)?(?:question|q)[ \t]*\d*[ \t]*[:.]", re.I)
# Words a finished sentence does not end on.
DANGLING_WORDS = {"the", "a", "an", "and", "or", "but", "to", "of", "with", "for", "in", "on", "at", "by", "from",
                  "that", "which", "is", "are", "was", "were", "be", "your", "my", "our", "their", "this", "if",
                  "because", "as", "so", "then", "than", "into", "will", "can", "should", "would", "could"}


@dataclass
class AnswersConfig:
    refusal_max_chars: int = 400  # an opening "I cannot help..." counts as a refusal only in answers this short
    echo_min_similarity: float = 0.9  # word-level similarity to the prompt above which an answer `repeats_prompt`


NOT_WORD_RE = re.compile(r"[^\w\s/<>]+")
ALNUM_RE = re.compile(r"[^\W_]")  # str.isalnum, as a regex
TRAILING_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'"
# Keywords one of which every match of a regex below holds (lower case; checked on ASCII text only, where
# `in text.lower()` is exactly what re.I finds): most answers hold none and skip the regex
REFUSAL_STRONG_KEYS = ("as a", "i'm ", "i am ", "i do not have", "i don't have")
MERGED_KEYS = ("instruction", "input", "output", "response")


# NOT_WORD_RE's characters among ASCII, each to a space: on ASCII text str.translate does its work in one C pass
_ASCII_NOT_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if NOT_WORD_RE.match(c)})


def _norm_words(text: str) -> list[str]:
    """The words of `_norm(text)` (str.split and re's \\s agree on what is whitespace)."""
    if text.isascii():
        return text.lower().translate(_ASCII_NOT_WORD).split()
    return NOT_WORD_RE.sub(" ", text.lower()).split()


def _norm(text: str) -> str:
    return " ".join(_norm_words(text))


def _ascii_lower(text: str) -> str | None:
    return text.lower() if text.isascii() else None


def _lacks(low: str | None, keys: tuple[str, ...]) -> bool:
    """`low` (an ASCII text lower-cased, None for other text) holds none of `keys`: a regex needing one cannot match."""
    return low is not None and not any(k in low for k in keys)


def _short(text: str, n: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def truncation(answer: str) -> str | None:
    """Why `answer` looks cut off, or None: an unclosed code fence, or a dangling last word/punctuation."""
    if answer.count("```") % 2 == 1:
        return "code block opened but never closed"
    tail = answer.rstrip()
    if not tail:
        return None
    code = looks_like_code(answer)
    last_line = tail.splitlines()[-1]
    # in code a last ';' or ',' ends a statement ("SELECT * FROM t;", Python 2's `print x,`)
    words_last = [w.strip(",.;:!?'\"") for w in last_line.split()]
    prose_last = len(words_last) >= 4 and sum(w.isalpha() for w in words_last) >= 0.8 * len(words_last)
    # a ';' is a cut-off sentence only in prose: any code line in the answer makes it a statement's end
    code_end = code and tail[-1] in ",;" or tail[-1] == ";" and (
        not prose_last or any(map(code_line, tail.splitlines())) or bool(re.search(r"[(){}\[\]=<>$`\"']", last_line)))
    if tail[-1] in ",;:(-" and not tail.endswith(("--", ":-)", ":)")) and not code_end:
        return f"ends with '{tail[-1]}': {_short(tail[-40:], 44)}"
    if code:
        return None  # "return a", "echo $a": a last word in code is not a sentence cut off
    words = tail.split()
    run = tail[len(tail.rstrip(TRAILING_LETTERS)):]  # what re.findall(r"[A-Za-z']+$", tail) finds, without the scan
    last = [run] if run else []
    # "768 sq in", "$0.25 per can": a unit or a noun after a number/article is a finished phrase
    before = words[-2].lower() if len(words) >= 2 else ""
    noun_use = before in ("per", "a", "an", "the", "sq", "square", "cubic") or any(c.isdigit() for c in before)
    # a capitalised "The" not opening a sentence is a title or a reversed word list ("fox brown quick The"),
    # not a sentence cut off
    odd_capital = bool(last) and last[0][0].isupper() and not re.search(r"[.!?:]\s+\S+$", tail)
    if last and last[0].lower() in DANGLING_WORDS and len(words) > 3 and not noun_use and not odd_capital:
        return f"ends on '{last[0]}': {_short(tail[-40:], 44)}"
    return None


def _offered(answer_norm: str, prompt: str) -> bool:
    """The prompt itself offers the answer's word as a value ("which is not a JSON type: 'undefined'")."""
    return bool(answer_norm) and bool(re.search(rf"(?<![\w<\[])['\"`]?{re.escape(answer_norm)}['\"`]?(?![\w>\]])", prompt, re.I))


def repeats_prompt(answer: str, prompt: str, min_similarity: float) -> float | None:
    return _repeats(_norm_words(answer), prompt, min_similarity)


def _repeats(a: list[str], prompt: str, min_similarity: float) -> float | None:
    if len(a) < 3:
        return None
    p = _norm_words(prompt)
    if not p:
        return None
    if a == p:
        return 1.0
    # SequenceMatcher's real_quick_ratio and quick_ratio (the same float arithmetic), without building its index
    length = len(a) + len(p)
    if 2.0 * min(len(a), len(p)) / length < min_similarity:
        return None
    if 2.0 * sum((Counter(a) & Counter(p)).values()) / length < min_similarity:
        return None
    r = difflib.SequenceMatcher(None, a, p, autojunk=False).ratio()
    return r if r >= min_similarity else None


def answer_defect(answer: str, prompt: str, cfg: AnswersConfig) -> tuple[str, str] | None:
    """(kind, evidence) for the first defect of one assistant text, or None."""
    if not answer.strip():
        return "empty", ("whitespace only: " + repr(answer[:20])) if answer else "empty string"
    words = _norm_words(answer)
    low = _ascii_lower(answer)
    n = " ".join(words).strip(" /")
    stripped = answer.strip().lower().strip(" .!")
    m = NO_ANSWER_MARKER_RE.search(answer)
    if m:
        return "placeholder", f"opens with the no-answer marker {m.group(0).strip()!r}: {_short(answer, 50)}"
    if (n in PLACEHOLDERS or stripped in PLACEHOLDERS or stripped.strip("<>[]() ") in PLACEHOLDERS) and not _offered(n, prompt):
        return "placeholder", f"whole answer is {_short(answer, 40)}"
    if not ALNUM_RE.search(answer):
        return "placeholder", f"no letters or digits: {_short(answer, 40)}"
    m = PLACEHOLDER_RE.search(answer)
    if m:
        return "placeholder", f"placeholder {_short(m.group(0), 50)}"
    m = None if _lacks(low, ("lorem ipsum",)) else LOREM_RE.search(answer)
    if m and not ASKS_LOREM_RE.search(prompt):  # lorem ipsum the prompt gives or asks about is the task's data
        return "placeholder", f"placeholder {_short(answer[m.start():m.start() + 40], 44)}"
    persona = None
    for m in () if _lacks(low, REFUSAL_STRONG_KEYS) else REFUSAL_STRONG_RE.finditer(answer):
        if m.group(0).lower() in prompt.lower():
            continue  # the phrase is in the prompt: quoted data ("count the vowels in 'I am an AI model'")
        if persona is None:
            persona = AI_PERSONA_RE.search(prompt) or False
        if persona and not re.search(r"language model", m.group(0), re.I):
            continue  # the prompt casts the model as an AI character: "I am an AI" is in character
        return "refusal", f"boilerplate {_short(m.group(0))}"
    if len(answer) <= cfg.refusal_max_chars:
        m = REFUSAL_OPENING_RE.search(answer)
        if m:
            return "refusal", f"refuses: {_short(m.group(0))}"
    sim = _repeats(words, prompt, cfg.echo_min_similarity)
    if sim is not None and sim < 1.0 and EDIT_TASK_RE.search(prompt):
        sim = None  # "fix the bug in this code": the answer is the given text with the edit, near-identical by design
    if sim is not None:
        return "repeats_prompt", f"answer is the prompt again ({sim:.0%} same words): {_short(answer, 50)}"
    why = truncation(answer)
    if why and not signature_only(answer, prompt):
        return "truncated", why
    return None


def _is_block(m: re.Match, answer: str) -> bool:
    """A header that starts another record, not the answer showing a result or code naming a key."""
    head = m.group(0).strip().lstrip("#").strip().lower()
    line_end = answer.find("\n", m.end())
    line = answer[m.start():line_end if line_end >= 0 else len(answer)].strip()
    if line.endswith((",", "{", "(", "[")):
        return False  # `input: fileStream,` is an object key inside code
    if re.match(r"(?:\d+[.)]\s*)?instruction", head):
        return True  # a second instruction: the fused record's signature
    if m.group(0).strip().startswith("#") and looks_like_code(answer[:m.start()]):
        return False  # "# Output: 212" after code is a comment showing what the code prints
    if re.match(r"(?:\d+[.)]\s*)?input", head):
        # "Input: ..." then "Output: ..." after the answer: an example pair only if not inside code
        return bool(MERGED_RE.search(answer, m.end())) and not looks_like_code(answer[:m.start()])
    # "Output:" / "Response:" alone: a result label ("Output: dlroW olleH"), unless a numbered or
    # markdown template header ("2. Output:", "### Response:") that only a fused record has
    return bool(re.match(r"\s*(?:#{2,}[ \t]*|\d+[.)])", m.group(0).lstrip("\n"))) and not looks_like_code(answer[:m.start()])


def _asks_for_several(prompt: str) -> bool:
    """The prompt asks for several items (jokes, questions, a quiz): Q/A blocks are then the answer's format."""
    return bool(re.search(r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|some|a few|multiple|a list of)\s+"
                          r"(?:[\w-]+\s+){0,2}?[\w-]+s\b|\b(?:questions|quiz|faq|q&a|jokes|riddles|trivia|flashcards|"
                          r"interview|dialogue|conversation)\b", prompt, re.I))


def merged_instructions(answer: str, prompt: str = "") -> str | None:
    """The span where a second instruction/answer block starts inside an answer, or None."""
    low = _ascii_lower(answer)
    for m in () if _lacks(low, MERGED_KEYS) else MERGED_RE.finditer(answer):
        # "Output:" or "Input:" as the answer's own first line may be a format the task asked for
        if m.start() == 0 and m.group(0).strip().lower().startswith(("output", "response")):
            continue
        if not _is_block(m, answer):
            continue
        return f"block at char {m.start()}: {_short(answer[m.start():m.start() + 60], 60)}"
    qs = [] if low is not None and low.count("q") < 2 else list(QA_RE.finditer(answer))  # each match holds a 'q'
    if len(qs) >= 2 and not _asks_for_several(prompt) and re.search(r"(?:^|\n)[ \t]*(?:answer|a)[ \t]*\d*[ \t]*:", answer, re.I):
        return f"{len(qs)} question/answer blocks: {_short(answer[qs[1].start():qs[1].start() + 60], 60)}"
    return None


def _assistant_texts(fmt, messages, fields):
    """[(field name, answer text, prompt it answers)] for every assistant text of a record."""
    if fmt not in ("alpaca", "prompt_completion", "chat"):
        return []
    alternatives = alternative_answers(fields)  # a preference pair's rejected answer, other references
    fields = [f for f in fields if not f.get("alternative")]
    names = [f["name"] for f in fields] if len(fields) == len(messages) else None
    out, last_user = [], ""
    for i, m in enumerate(messages):
        if m["role"] == "user":
            last_user = m["content"]
        elif m["role"] == "assistant":
            name = names[i] if names and fmt == "chat" else next((f["name"] for f in fields if f["role"] == "assistant"), "response")
            out.append((name, m["content"], last_user))
    return out + [(f["name"], f["text"], last_user) for f in alternatives]


@register_stage("answers", config=AnswersConfig, row_local=True,
                columns=("answer_defect", "answer_evidence", "merged_instructions"))
def answers(batch: dict[str, list], *, config: AnswersConfig) -> dict[str, list]:
    """Empty, placeholder, refusal, prompt-echo and truncated answers; merged instruction blocks."""
    kinds, evidence, merged = [], [], []
    for fmt, messages, fields in zip(batch["format"], batch["messages"], batch["fields"]):
        kind = ev = mer = None
        for name, answer, prompt in _assistant_texts(fmt, messages or [], fields or []):
            found = answer_defect(answer, prompt, config)
            if found and kind is None:
                kind, ev = found[0], f"{name}: {found[1]}"
            m = merged_instructions(answer, prompt)
            if m and mer is None:
                mer = f"{name}: {m}"
        kinds.append(kind)
        evidence.append(ev)
        merged.append(mer)
    return {"answer_defect": kinds, "answer_evidence": evidence, "merged_instructions": merged}
