"""The fast paths of the content stages decide exactly what the slow code they replaced decided.

Each test holds the plain definition that was replaced (a per-character loop, a full regex scan) and
compares it with the fast one on the cases a rewrite can get wrong: Unicode whitespace and letters that
re.I folds, phrases that end in punctuation or start inside a word, overlapping spans. The byte-identity
of whole stage outputs on real data is measured by bench/content_speed.py.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import ftfy
import pytest

from curate.content import answers, hygiene, prompts
from curate.content.codeish import CODE_LINE_RE, code_line, looks_like_code
from curate.content.hygiene import ENCODING_ONLY, PHRASE_RE, HygieneConfig, _may_loop, field_findings, fix_text


# ---- hygiene -----------------------------------------------------------------------------------------

def test_control_regex_is_category_cc_and_the_invisibles():
    def old_is_control(c):
        return (unicodedata.category(c) == "Cc" and c not in "\n\t\r") or c in hygiene.INVISIBLE
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, sys.maxunicode + 1)))
    assert {m.group() for m in hygiene.CONTROL_RE.finditer(every)} == {c for c in every if old_is_control(c)}


@pytest.mark.parametrize("text, detail", [
    ("a\x00b\x7fc\x9fd", "3 control char(s) U+0000, U+007F, U+009F first at char 1"),
    ("tab\tnew\nline\r\nok", None),
    ("over\rwrite", "1 control char(s) U+000D first at char 4"),
    ("\ufeffbom and zero\u200bwidth", "2 control char(s) BOM, zero-width space first at char 0"),
], ids=["c0-del-c1", "allowed-whitespace", "lone-cr", "invisibles"])
def test_control_detail(text, detail):
    assert field_findings("f", text, HygieneConfig())["control_chars"] == detail


def test_fix_text_drops_every_control_char():
    assert fix_text("a\x07b\u200bc\x7fd") == ("abcd", ["removed 3 control char(s) U+0007, U+007F, zero-width space first at char 1"])


@pytest.mark.parametrize("text", ["".join(map(chr, range(128))), "plain words, \x1b[31mred\x1b[0m", "a\r\nb\rc", ""],
                         ids=["every-ascii-char", "ansi", "line-ends", "empty"])
def test_ascii_is_left_alone_by_ftfy(text):
    # why fix_mojibake may skip ftfy on ASCII text
    assert ftfy.fix_text(text, ENCODING_ONLY) == text
    assert hygiene.fix_mojibake(text) == text


# Phrase loops PHRASE_RE finds, built to trip a word-splitting shortcut
LOOPS = [
    "thank you " * 6,
    "yes, " * 7,
    "okay okay okay okay okay okay",
    "x-abc abc abc abc abc abc",  # the first copy starts inside a word
    "x-abc abc abc abc abc abc-y",  # ... and the last ends inside one: only copies 2-5 are whole words
    "abc.; abc.; abc.; abc.; abc.; abc.; end",  # copies end in separator characters
    "gogo\u2003gogo\u2003gogo\u2003gogo\u2003gogo\u2003gogo",  # Unicode whitespace separates them
    " ".join(["a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5"] * 6),  # a 61-char phrase
    "I said: run, run, run, run, run, run!",
    "1 plus 1 plus 1 plus 1 plus 1 plus 1 plus 1",
]


@pytest.mark.parametrize("text", LOOPS, ids=[f"loop{i}" for i in range(len(LOOPS))])
def test_phrase_prefilter_passes_every_loop(text):
    assert PHRASE_RE.search(text) and _may_loop(text)


def test_phrase_prefilter_never_hides_a_match():
    rng = random.Random(0)
    words = ["ab", "abc", "x", "the", "go", "a-b", "ok", "1"]
    seps = [" ", ", ", ". ", ";", "\n", " \t", "\u00a0", "-", "!"]
    matched = 0
    for _ in range(3000):
        phrase = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 4))).rstrip("\n")
        text = rng.choice(["", "x", "x-", "word "]) + (phrase + rng.choice(seps)) * rng.randint(3, 8) + rng.choice(["", "z", "-y"])
        if PHRASE_RE.search(text):
            matched += 1
            assert _may_loop(text), repr(text)
    assert matched > 300  # the generator does make loops


@pytest.mark.parametrize("text", ["one two three four five six seven eight nine ten",
                                  "of the cat of the dog of the bird of the fish"], ids=["no-repeat", "pair-not-a-run"])
def test_phrase_prefilter_rejects(text):
    assert not PHRASE_RE.search(text) and not _may_loop(text)


@pytest.mark.parametrize("text, expected", [
    ("ok. ok. ok. ok. This is long. This is long. This is long.", None),  # the longest run is a short sentence
    ("Say it. This is long enough. This is long enough. This is long enough.", "repeated 3 times in a row"),
    ("line number one\nline number one\nother\nline number one\nline number one", "appears 4 times"),
    ("short\nshort\nshort\nshort\nshort", None),  # lines under 10 characters are not counted
], ids=["short-run-wins", "sentence-run", "same-line", "short-lines"])
def test_sentence_and_line_repetition(text, expected):
    got = hygiene.repetition(text, 3)
    assert got == expected if expected is None else expected in got


# ---- codeish -----------------------------------------------------------------------------------------

CODE_LINES = ["}", "  ) + 1", "x = 1", "a[i] += 2", "print(x)", "foo(bar);", "if (a) {", "return;", "SELECT a FROM t;",
              "It costs $5; cheap.", "He said \"hi\"; then left.", "Just prose here.", "", "   ", "call it (maybe)",
              "def f(x):", "<div>", "end", "ending", "ORDER BY x", "a = ", "\u00a0}", "x\u2003=\u20031"]


@pytest.mark.parametrize("line", CODE_LINES)
def test_code_line_is_the_regex(line):
    assert code_line(line) == bool(CODE_LINE_RE.search(line))


def test_code_line_random_lines():
    rng = random.Random(1)
    alphabet = "ab Z(){}[];=<>$\"'_.#-+*/%\tDEFSELECTdefreturn"
    for _ in range(5000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert code_line(line) == bool(CODE_LINE_RE.search(line)), repr(line)


def test_looks_like_code_counts_nonblank_lines():
    assert looks_like_code("x = 1\n\n   \nSome prose line here.") is True  # 1 of 2 non-blank lines
    assert looks_like_code("Prose one.\nProse two.\nx = 1") is False


# ---- answers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Hello,   World!", "a\u2003b\u00a0c\x1cd", "  <tag> a/b  ", "", "...", "Ünïcode  ẞ",
                                  "".join(map(chr, range(128))) * 2, "A_b\x1fc\x0bd--e"],
                         ids=["punct", "unicode-space", "kept-chars", "empty", "only-punct", "unicode-letters",
                              "every-ascii-char", "ascii-separators"])
def test_norm_is_the_two_substitutions(text):
    old = re.sub(r"\s+", " ", re.sub(r"[^\w\s/<>]", " ", text.lower())).strip()
    assert answers._norm(text) == old and answers._norm_words(text) == old.split()


def test_repeats_is_sequence_matcher():
    import difflib
    rng = random.Random(2)
    for _ in range(2000):
        a = [rng.choice("abcde") for _ in range(rng.randint(3, 12))]
        p = [rng.choice("abcde") for _ in range(rng.randint(1, 12))]
        for threshold in (0.5, 0.9):
            sm = difflib.SequenceMatcher(None, a, p, autojunk=False)
            old = None if a != p and (sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold) else (
                1.0 if a == p else sm.ratio())
            old = old if old is None or old >= threshold else None
            assert answers._repeats(a, " ".join(p), threshold) == old


@pytest.mark.parametrize("tail", ["It ends with the", "no letters 42", "don't", "café", "x'", "A", "end.\nthe"],
                         ids=["word", "digits", "apostrophe", "non-ascii", "quote-end", "one-letter", "two-lines"])
def test_trailing_word_is_the_findall(tail):
    run = tail[len(tail.rstrip(answers.TRAILING_LETTERS)):]
    assert ([run] if run else []) == re.findall(r"[A-Za-z']+$", tail)


@pytest.mark.parametrize("answer, keys, rx", [
    ("As an AI language model, I cannot.", answers.REFUSAL_STRONG_KEYS, answers.REFUSAL_STRONG_RE),
    ("i'm just an AI", answers.REFUSAL_STRONG_KEYS, answers.REFUSAL_STRONG_RE),
    ("I am an ai", answers.REFUSAL_STRONG_KEYS, answers.REFUSAL_STRONG_RE),
    ("I don't have personal opinions.", answers.REFUSAL_STRONG_KEYS, answers.REFUSAL_STRONG_RE),
    ("I do not have the ability to browse.", answers.REFUSAL_STRONG_KEYS, answers.REFUSAL_STRONG_RE),
    ("Sure.\n2. INSTRUCTION: do more", answers.MERGED_KEYS, answers.MERGED_RE),
    ("x\n### Response:", answers.MERGED_KEYS, answers.MERGED_RE),
], ids=["as-an-ai", "im-an-ai", "i-am-an-ai", "dont-have", "do-not-have", "instruction", "response"])
def test_answer_keywords_are_in_every_match(answer, keys, rx):
    assert rx.search(answer) and not answers._lacks(answers._ascii_lower(answer), keys)


def test_non_ascii_answers_are_always_searched():
    assert not answers._lacks(answers._ascii_lower("\u212a"), ("k",))  # re.I folds the Kelvin sign to 'k': no keyword shortcut


# ---- prompts -----------------------------------------------------------------------------------------

PATTERN_CASES = [
    ("attachment", "See attached."), ("attachment", "Open the enclosed PDF"), ("attachment", "I have uploaded it"),
    ("image", "Describe this photo."), ("image", "the chart below"), ("image", "Here's a screenshot"),
    ("image", "Interpret the diagram"), ("image", "what is in this scan"),
    ("audio_video", "Transcribe the recording."), ("audio_video", "listen to this"), ("audio_video", "my voicemail"),
    ("audio_video", "this soundtrack"), ("audio_video", "watch this clip"),
    ("browse", "Search the web for it"), ("browse", "google it"), ("browse", "look up the latest scores"),
    ("browse", "Go to the website"), ("browse", "real-time prices"), ("browse", "live weather"),
    ("browse", "look it up online"),
    ("image_generation", "Draw a picture of a cat."), ("image_generation", "Can you create a 3D model of a car"),
    ("image_generation", "Please design me a logo"), ("image_generation", "Make an infographic"),
    ("image", "the paragraph and this graph"), ("audio_video", "this movie clip"), ("browse", "open the webpage"),
    ("image_generation", "Generate a cool-looking 3D model"),
]


@pytest.mark.parametrize("reason, text", PATTERN_CASES, ids=[f"{r}:{t[:20]}" for r, t in PATTERN_CASES])
def test_pattern_keywords_are_in_every_match(reason, text):
    rx = dict(prompts.PATTERNS)[reason]
    assert rx.search(text) and not prompts._lacks_word(prompts._ascii_lower(text), prompts.PATTERN_KEYS[reason])


@pytest.mark.parametrize("text, keys, lacks", [
    ("a paragraph of text", ("graph",), True), ("the graph below", ("graph",), False), ("graph first", ("graph",), False),
    ("my_graph", ("graph",), True), ("(graph)", ("graph",), False), ("invoice, then voice", ("voice",), False),
    ("\u212aey", ("key",), False),
], ids=["inside-word", "after-space", "at-start", "after-underscore", "after-paren", "second-occurrence", "non-ascii"])
def test_lacks_word(text, keys, lacks):
    assert prompts._lacks_word(prompts._ascii_lower(text), keys) is lacks


@pytest.mark.parametrize("text", ["Tools: request(url)", "You have access to the following functions", "\"type\": \"function\"",
                                  "you can call search", "Plugins available"])
def test_tool_cue_keywords_are_in_every_match(text):
    assert prompts.TOOL_CUE_RE.search(text) and not prompts._lacks(prompts._ascii_lower(text), prompts.TOOL_CUE_KEYS)


@pytest.mark.parametrize("prompt, reason", [
    ("Open the lin\u212a and tell me what it says.", "browse"),  # the Kelvin sign is a 'k' to re.I
    ("Describe this pi\u212ature \u2014 what is in it?", None),
    ("Summarize the following article.", "missing_content"),
    ("Summarize https://example.com/a", "link"),
    ("Write a function that sorts the given list.", None),  # a code task: the list is the input
], ids=["kelvin-sign", "non-ascii-no-match", "missing", "link", "code-task"])
def test_unanswerable_on_fallback_paths(prompt, reason):
    found = prompts.unanswerable(prompt, prompts.PromptsConfig())
    assert (found[0] if found else None) == reason


@pytest.mark.parametrize("spans", [[], [(0, 3)], [(2, 5), (4, 8)], [(6, 9), (1, 3)], [(1, 9), (2, 4)], [(3, 3)]],
                         ids=["none", "one", "overlap", "unsorted", "nested", "empty-span"])
def test_blank_is_the_per_character_loop(spans):
    text = "abcdefghijk"
    out = list(text)
    for a, b in spans:
        out[a:b] = " " * (b - a)
    assert prompts._blank(text, spans) == "".join(out)


@pytest.mark.parametrize("text", ["abc_12 !", "naïve ½ ٣", "", "___"], ids=["ascii", "unicode-numerics", "empty", "underscores"])
def test_alnum_counts_like_isalnum(text):
    assert prompts._alnum(text) == sum(c.isalnum() for c in text)


# ---- hygiene.repetition against the code it replaced, on generated texts ----------------------------

def _old_repetition(text: str, max_same_line: int) -> str | None:
    """hygiene.repetition before the prefilters (base c5a6994), verbatim but for the names."""
    m = hygiene.CHAR_RUN_RE.search(text)
    if m:
        return f"{m.group(1)!r} repeated {len(m.group(0))} times at char {m.start()}"
    code = looks_like_code(text)
    if len(text) < 20000:
        m = PHRASE_RE.search(text)
        if m and code and not re.search(r"[A-Za-z]{3,}", m.group(1)):
            m = None
        if m:
            n = len(re.findall(re.escape(m.group(1)), m.group(0)))
            return f"{m.group(1)[:40]!r} repeated {n} times in a row"
    if code:
        return None
    run, best, prev = 1, (1, ""), None
    for sent in hygiene.SENTENCE_RE.split(text):
        sent = sent.strip()
        run = run + 1 if sent and sent == prev else 1
        if run > best[0]:
            best = (run, sent)
        prev = sent
    if best[0] >= 3 and len(best[1]) >= 10:
        return f"sentence {best[1][:40]!r} repeated {best[0]} times in a row"
    counts: dict[str, int] = {}
    for line in text.splitlines():
        s = line.strip()
        if len(s) >= 10:
            counts[s] = counts.get(s, 0) + 1
    if counts:
        line, n = max(counts.items(), key=lambda kv: kv[1])
        if n > max_same_line:
            return f"line {line[:40]!r} appears {n} times"
    return None


def _generated_text(rng: random.Random) -> str:
    """Sentences and lines repeated 1-6 times with assorted separators, now and then a character run."""
    units = ["Pay on time.", "Pay on time!", "ok.", "..........", "Thanks a lot", "x = 1;", "a-b, c", "word", "é",
             "Same line here", "Il a dit « oui ».", "!" * rng.choice([5, 19, 20, 25]), "zz" * 10, "go go go"]
    seps = [" ", "\n", "\n\n", ". ", "? ", ", ", "\t", "\u2003", "  \n "]
    out = []
    for _ in range(rng.randint(0, 6)):
        unit, sep = rng.choice(units), rng.choice(seps)
        out.append(sep.join([unit] * rng.choice([1, 1, 2, 3, 4, 5, 6])) + rng.choice(seps))
    return "".join(out)


@pytest.mark.parametrize("seed", range(4))
def test_repetition_matches_the_old_code(seed):
    rng = random.Random(seed)
    kinds = set()
    for _ in range(2000):
        text = _generated_text(rng)
        old, new = _old_repetition(text, 3), hygiene.repetition(text, 3)
        assert new == old, repr(text)
        if old:
            kinds.add("char" if "times at char" in old else old.split()[0] if old.startswith(("sentence", "line")) else "phrase")
    assert kinds == {"char", "phrase", "sentence", "line"}  # the generator makes every kind


def test_pattern_keywords_on_generated_prompts():
    rng = random.Random(3)
    vocab = ["this", "the", "my", "a", "an", "photo", "paragraph", "graph", "describe", "look at", "watch", "clip", "movie",
             "invoice", "voice", "message", "open", "website", "web page", "link", "live", "deliver", "news", "draw",
             "picture", "infographic", "of", "me", "generate", "3d", "model", "listen", "to", "below", "above", "see",
             "attached", "uploaded", "i", "have", "search", "online", "google", "it", "look", "up", "real-time", "data",
             "please", "screenshot", "song", "transcribe", "recording", "can you", "here's", "xgraph", "unattached"]
    seps = [" ", " ", " ", ", ", "-", "_", "'", ". ", "\n", "("]
    matched = set()
    for _ in range(20000):
        text = "".join(rng.choice(vocab) + rng.choice(seps) for _ in range(rng.randint(1, 8)))
        for reason, rx in prompts.PATTERNS:
            if rx.search(text):
                matched.add(reason)
                assert not prompts._lacks_word(prompts._ascii_lower(text), prompts.PATTERN_KEYS[reason]), (reason, text)
    assert matched == {r for r, _ in prompts.PATTERNS}
