"""Unanswerable prompts: the model is asked about something it cannot see, or to do what text cannot.

Alpaca-cleaned removed instructions that point to attachments, images, audio, links or "the
following article" with nothing following, requests to browse the web, and image-generation
requests (answered with placeholders). Training on them teaches the model to pretend.

The whole record is read, not only the request sentence:
- the request is the instruction (Alpaca `instruction`, each user turn of a chat); the Alpaca
  `input` field, earlier chat turns and the system prompt are where the referenced object may be
  ("the given data" with the numbers in `input`, "the list above" in an earlier turn);
- quoted or fenced text, backticked code, speaker turns of a dialogue/transcript and the content
  after "the following X:" are data being worked on: a speaker who says "listen to this" or a
  quoted "see the attached file" is not a request to the model;
- a declared tool that fetches URLs or files (a tool/function list naming `request(url)`,
  `browse(url)`, `read_file(path)`...) makes links and files answerable; so does a tool turn;
- a task to write code takes "a given list" / "the provided URL" as the program's input.

Stage `prompts` (row-local, the user text of SFT formats; classification texts are labelled, not answered) writes:
    unanswerable           None, or the reason: `attachment`, `image`, `audio_video`, `link`,
                           `missing_content` ("summarize the following article." and nothing
                           follows), `browse`, `image_generation`
    unanswerable_evidence  the matching span, quoted
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.content.codeish import CODE_TASK_RE
from curate.stages import register_stage

_DOC = (r"article|text|passage|paragraph|essay|document|story|poem|email|e-mail|letter|code|snippet|sentence|"
        r"report|table|data|dataset|review|tweet|conversation|dialogue|dialog|transcript|excerpt|statement|"
        r"function|query|speech|lyrics|recipe|summary|list|product description|news article|blog post|file")
# What a program takes as its input ("write a function that sorts a given list"): not code to be read
_DATA_NOUNS = {"text", "sentence", "paragraph", "table", "data", "dataset", "review", "tweet", "list", "file",
               "email", "e-mail", "statement", "query", "document", "string", "passage"}
_MEDIA_IMAGE = r"image|picture|photo|photograph|screenshot|diagram|chart|graph|figure|painting|drawing|illustration|scan"
_MEDIA_AV = (r"audio clip|audio file|audio|recording|song|podcast|video|video clip|clip|voice (?:message|note|memo)|"
             r"soundtrack|movie clip|tape|voicemail|lecture recording|interview recording")
_DEICTIC = r"this|the following|the given|the above|the provided|the attached|given|that"
# A media noun followed by one of these is a modifier ("image classifier", "Visual Basic"), not the object
_NOT_OBJECT = (r"(?!\s+(?:basic|studio|code|c\b|c\+\+|effects?|classifier|classification|recognition|processing|"
               r"gallery|viewer|uploader|upload|editor|generator|component|model|file ?names?|urls?|links?|tags?|"
               r"elements?|class|library|format|size|resolution|data|player|stream|codec|app|application|api)\b)")

PATTERNS = [
    ("attachment", re.compile(
        r"\b(?:see (?:the )?attached|(?:the|this|my|an?) attached\b(?: \w+)?|(?:i(?:'ve| have)?|we(?:'ve| have)?) attached\b"
        r"|\b(?:in|see|open|check) (?:the|my) attachment\b|\bplease find attached\b|\benclosed (?:file|document|pdf)\b"
        r"|\b(?:uploaded|attached) (?:file|document|pdf|spreadsheet|image|screenshot|photo)s?\b"
        r"|\b(?:i|we)(?:'ve| have)? (?:just )?uploaded\b)", re.I)),
    ("image", re.compile(
        # only deictic references ("this photo", "the attached chart"): word problems say "in the photo"
        rf"\b(?:{_DEICTIC}) (?:{_MEDIA_IMAGE})s?\b{_NOT_OBJECT}"
        rf"|\b(?:look at|describe|caption|analy[sz]e|interpret|what is in|what's in) (?:this|the|that|my) (?:{_MEDIA_IMAGE})\b{_NOT_OBJECT}"
        rf"|\b(?:{_MEDIA_IMAGE})s? (?:below|above)\b|\bscreenshots?\b"
        rf"|\b(?:here's|here is|i(?:'ve| have)? sent|i'm sending|sending you) (?:a|the|my) (?:{_MEDIA_IMAGE})\b", re.I)),
    ("audio_video", re.compile(
        rf"\b(?:{_DEICTIC}) (?:{_MEDIA_AV})s?\b{_NOT_OBJECT}"
        rf"|\b(?:transcribe|transcription of|listen to|watch|what (?:is|was|gets?) (?:said|sung|heard|discussed) in|"
        rf"what do(?:es)? (?:they|he|she|the \w+) say in|summari[sz]e|caption) (?:the|this|that|my|an?) (?:{_MEDIA_AV})\b{_NOT_OBJECT}"
        rf"|\blisten to (?:this|the following|the attached|my)\b|\bwatch (?:this|the following|the attached) (?:{_MEDIA_AV})\b"
        rf"|\bvoice ?(?:message|note|memo|mail)s?\b", re.I)),
    ("browse", re.compile(
        r"\b(?:browse|search|surf) (?:the )?(?:web|internet|online)\b|\blook (?:it |this |that )?up online\b|"
        r"\bgoogle (?:it|this|that)\b|\blook up (?:today|the current|the latest|current|latest|live)\b|\b(?:visit|go to|open) (?:the|this|that|our|their|a) (?:website|web ?page|site|url|link)\b|"
        r"\b(?:real-time|live) (?:data|prices?|weather|scores?|news)\b", re.I)),
    ("image_generation", re.compile(
        # a request to the model: the verb opens a sentence ("Draw a cat", "Can you draw..."), so a story
        # problem ("she can draw a portrait and sell it") is not one
        r"(?:^|[.!?\n]\s*)(?:please\s+|(?:can|could|would|will) you(?: please)?\s+|i(?:'d| would) like you to\s+|"
        r"i want you to\s+|help me\s+)?"
        r"\b(?:generate|create|draw|design|make|produce|paint|sketch|render|illustrate)\s+(?:me\s+)?(?:an?\s+|the\s+|some\s+)?"
        # "a vivid picture of the landscape", "a mental image": pictures made of words
        r"(?:(?!description|caption|title|prompt|name|text|story|poem|list|sure\b|of\b|for\b|about\b|"
        r"(?:vivid|mental|word|verbal|clear|clearer|big|bigger|full|complete|accurate|realistic)\b)[\w-]+\s+){0,3}?"
        r"(?:image|picture|photo|drawing|illustration|logo|painting|sketch|portrait|graphic|artwork|icon|meme|"
        rf"visual|infographic|cartoon|collage|3d model)s?\b{_NOT_OBJECT}", re.I)),
]
MEDIA_REASONS = ("image", "audio_video")
# Keywords one of which every match of a pattern holds at the start of a word (after \\b or a space in every
# alternative), read off its alternatives, lower case. On ASCII text `key in text.lower()` finds exactly what
# re.I would, so a prompt where none starts a word skips the pattern's search ("paragraph" is no graph);
# other text is searched as it is (re.I also folds a few non-ASCII letters: the Kelvin sign is a 'k').
PATTERN_KEYS = {
    "attachment": ("attach", "enclosed", "uploaded"),
    "image": ("image", "picture", "photo", "screenshot", "diagram", "chart", "graph", "figure", "painting", "drawing",
              "illustration", "scan"),
    "audio_video": ("audio", "recording", "song", "podcast", "video", "clip", "voice", "soundtrack", "tape", "listen to"),
    "browse": ("web", "internet", "online", "google", "look up", "site", "url", "link", "live", "real-time"),
    "image_generation": ("image", "picture", "photo", "drawing", "illustration", "logo", "painting", "sketch", "portrait",
                         "graphic", "artwork", "icon", "meme", "visual", "infographic", "cartoon", "collage", "3d model"),
}
URL_RE = re.compile(r"(?:https?://|www\.)[^\s)\]>\"'`]+", re.I)
# Verbs that ask to read what is behind a link; "fetch data from <url>" in a program is not one
LINK_ASK_RE = re.compile(
    r"\b(?:summari[sz]e|read|review|visit|open|check|describe|analy[sz]e|explain|translate|look at|go to|based on|"
    r"according to|what does|what is (?:on|in|at)|tell me about|this link|this url|this article|this page|this website)\b"
    r"[^.?!\n]{0,60}$", re.I)
# "the following article" (or "this tweet") pointing at content; unanswerable when nothing follows/precedes
REF_RE = re.compile(rf"\b(?P<det>the following|following|below|this|the given|given|the above|above|the provided|provided)"
                    rf"(?P<mid> \w+)?? (?P<noun>{_DOC})s?\b", re.I)
REF_AFTER_RE = re.compile(rf"\bthe (?P<noun>{_DOC})s? (?P<det>above|below|provided|given|shown)\b", re.I)
# A tool list the model may call ("Tools: request(url) ...", a JSON function schema): links/files become answerable
TOOL_CUE_RE = re.compile(
    r"\b(?:tools?|functions?|actions?|commands?|plugins?)\b[^\n]{0,60}?(?:available|access|call|use|invoke|following|:)"
    r"|\byou (?:have access to|can (?:use|call|invoke))\b|\"(?:tools|functions)\"\s*:|\"type\"\s*:\s*\"function\"|\"parameters\"\s*:\s*\{", re.I)
_FETCH_NAMES = (r"request|requests?\.get|fetch|browse|browser|open_url|get_url|read_url|http_get|http_request|get|"
                r"web_?search|search|google|bing|download|scrape|crawl|visit|curl|wget|retrieve|lookup|open")
WEB_TOOL_RE = re.compile(
    rf"\b(?:{_FETCH_NAMES})\w*\s*\(\s*[\"']?(?:url|uri|link|href|address|query|q|page|site|website)\b"
    r"|\"(?:url|uri|link|href|query)\"\s*:\s*\{|\"name\"\s*:\s*\"(?:\w*(?:browse|fetch|request|search|url|web|http)\w*)\"", re.I)
FILE_TOOL_RE = re.compile(
    r"\b\w*(?:file|read|open|load|cat|attachment|document|doc)\w*\s*\(\s*[\"']?(?:path|file\w*|filename|name|id|doc\w*)\b"
    r"|\"(?:path|file_?path|filename|file_id)\"\s*:\s*\{|\"name\"\s*:\s*\"(?:\w*(?:file|attachment|document)\w*)\"", re.I)
# Speaker turns of a dialogue or transcript: "#Person1#: ...", "Alice: ...", "A: ..."
SPEAKER_RE = re.compile(r"^[ \t]*(?P<who>#?[A-Z][\w .'-]{0,30}?#?|[A-Z]\d?)[ \t]*:[ \t]*\S.*$", re.M)
NOT_SPEAKERS = {"note", "input", "output", "instruction", "instructions", "question", "answer", "example", "text",
                "task", "context", "response", "summary", "title", "q", "a", "step", "hint", "data", "source", "url"}
TOOL_CUE_KEYS = ("tool", "function", "action", "command", "plugin", "you have access to", "you can use", "you can call",
                 "you can invoke", '"type"', '"parameters"')
NOT_ALNUM_RE = re.compile(r"[\W_]+")  # everything str.isalnum is not
URL_START_KEYS = ("http://", "https://", "www.")  # URL_RE needs one
REF_KEYS = ("following", "below", "this", "given", "above", "provided", "shown")  # REF_RE or REF_AFTER_RE needs one
QUOTED_RE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`|\"[^\"\n]{3,}\"|“[^”\n]{3,}”|(?<!\w)'[^'\n]{3,}'(?!\w)", re.S)


@dataclass
class PromptsConfig:
    min_content_chars: int = 8  # fewer letters/digits than this (and under 2 words) after "the following article:" means nothing follows
    min_media_text_chars: int = 40  # letters/digits of text that stand for the image/recording (a transcript, lyrics, a description)


def _quote(text: str, n: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def _alnum(text: str) -> int:
    return len(NOT_ALNUM_RE.sub("", text))


def _lacks(low: str | None, keys: tuple[str, ...]) -> bool:
    """`low` (an ASCII text lower-cased, None for other text) holds none of `keys`: a regex needing one cannot match."""
    return low is not None and not any(k in low for k in keys)


def _lacks_word(low: str | None, keys: tuple[str, ...]) -> bool:
    """Like `_lacks`, counting a key only where it starts a word (its first character is a word character)."""
    if low is None:
        return False
    for k in keys:
        i = low.find(k)
        while i >= 0:
            if i == 0 or not (low[i - 1].isalnum() or low[i - 1] == "_"):  # ASCII \b before a word character
                return False
            i = low.find(k, i + 1)
    return True


def _ascii_lower(text: str) -> str | None:
    return text.lower() if text.isascii() else None


def _has_content(text: str, min_chars: int) -> bool:
    """Something to work on: a short list "[3, 1, 2]" or "x = 0" counts as much as a paragraph."""
    text = URL_RE.sub(" ", text)
    return _alnum(text) >= min_chars or len(re.findall(r"\w+", text)) >= 2


def _blank(text: str, spans) -> str:
    """`text` with each (start, end) span replaced by spaces: positions stay, the words are gone."""
    out, pos = [], 0
    for a, b in sorted(spans):  # overlapping spans blank their union
        if b > pos:
            a = max(a, pos)
            out += [text[pos:a], " " * (b - a)]
            pos = b
    out.append(text[pos:])
    return "".join(out)


def dialogue_spans(text: str) -> list[tuple[int, int]]:
    """The speaker turns of a dialogue/transcript in `text` (2+ speakers, 3+ turns), else []."""
    if ":" not in text:
        return []  # every speaker line has one
    turns = [m for m in SPEAKER_RE.finditer(text) if m.group("who").strip("# ").lower() not in NOT_SPEAKERS]
    speakers = {m.group("who").strip("# ").lower() for m in turns}
    if len(turns) < 3 or len(speakers) < 2:
        return []
    # a turn runs until the next speaker line: continuation lines belong to the speaker
    starts = [m.start() for m in turns] + [len(text)]
    return [(a, b) for a, b in zip(starts, starts[1:])]


def data_masked(request: str) -> str:
    """The request with the data it carries blanked out: quoted/fenced/backticked text and dialogue turns."""
    quoted = any(q in request for q in "`\"“'")  # every QUOTED_RE match opens with one
    spans = [m.span() for m in QUOTED_RE.finditer(request)] if quoted else []
    spans += dialogue_spans(request)
    return _blank(request, spans) if spans else request


def declared_tools(text: str) -> set[str]:
    """{"web", "file"}: the tools a tool list in `text` declares that fetch URLs / read files."""
    if _lacks(_ascii_lower(text), TOOL_CUE_KEYS) or not TOOL_CUE_RE.search(text):
        return set()
    return {kind for kind, rx in (("web", WEB_TOOL_RE), ("file", FILE_TOOL_RE)) if rx.search(text)}


def _sentence_tail(after: str) -> tuple[str, str]:
    """(rest of the sentence, what comes after it): split at ':' / newline / the sentence's end."""
    cut = re.search(r"[:\n]|[.?!](?=\s|$)", after)
    return (after, "") if not cut else (after[:cut.start()], after[cut.end():])


def _inline_literal(text: str) -> bool:
    """A literal written into the sentence: "the following list [2, 4, 5]", "this statement n = [1, 2]",
    "the following table of 3x2 dimension" (its size is all there is to it)."""
    return bool(re.search(r"[\[{\"'`“]|\d+(?:\s*,\s*\d+)+|\w\s*=\s*\S|\b\d+\s*[x×]\s*\d+\b", text))


def _generic(m: re.Match, text: str) -> bool:
    """ "a given list", "Given a list of numbers, ...", "any provided string": a kind of input, not an object."""
    det, mid = m.group("det").lower(), (m.group("mid") or "").strip().lower()
    if det in ("given", "provided") and (mid in ("a", "an", "any", "some", "two") or
                                         re.search(r"\b(?:a|an|any|each|every|some)\s+$", text[:m.start()], re.I)):
        return True
    return False


def missing_content(request: str, min_chars: int, *, before: str = "", data: str = "", code_task: bool | None = False,
                    masked: str | None = None) -> re.Match | None:
    """The reference ("the following article") whose content is nowhere in the record, or None.

    `code_task`: the request asks for a program (None: find out from `masked` when it matters)."""
    masked = request if masked is None else masked
    if _has_content(data, min_chars):
        return None  # the Alpaca input / the text after the instruction is what "the given data" means
    if _lacks(_ascii_lower(masked), REF_KEYS):
        return None
    quoted = None  # a quoted text in the request: searched for when it matters
    for m in [*REF_RE.finditer(masked), *REF_AFTER_RE.finditer(masked)]:
        if "mid" in m.groupdict() and _generic(m, masked):
            continue
        noun, det = m.group("noun").lower(), m.group("det").lower()
        if noun in _DATA_NOUNS and det not in ("the following", "following", "below", "above", "the above") and code_task is None:
            code_task = bool(CODE_TASK_RE.search(masked))
        if code_task and noun in _DATA_NOUNS and det not in ("the following", "following", "below", "above", "the above"):
            continue  # "write a function that sorts the given list": the list is the function's argument
        rest, tail = _sentence_tail(request[m.end():])
        if _has_content(tail, min_chars) or _inline_literal(rest):
            continue
        if quoted is None:
            quoted = bool(re.search(r"[\"“'`][^\"”'`]{%d,}[\"”'`]" % min_chars, request))
        if quoted:
            continue
        if det in ("the following", "following", "below"):
            if _alnum(rest) >= 80:
                continue  # a long sentence goes on after "the following": the content is inline
        else:
            # "this tweet" / "the given text": the content may come before the sentence, or in an earlier turn
            sent_start = max(request.rfind(c, 0, m.start()) for c in ".?!\n") + 1
            if _has_content(request[:sent_start], min_chars) or _has_content(before, min_chars) or _alnum(rest) >= 80:
                continue
        return m
    return None


def _media_given(request: str, m: re.Match, data: str, min_chars: int) -> bool:
    """The image/recording is given as text: a transcript, lyrics or a description follows or sits in the input."""
    after = request[m.end():]
    text_of = lambda s: _alnum(URL_RE.sub(" ", re.sub(r"\S+\.(?:png|jpe?g|gif|mp3|mp4|wav|m4a|mov|avi|pdf)\b", " ", s)))  # noqa: E731
    cut = re.search(r"[:\n]", after)  # presented as a block ("this song:\n<lyrics>"), not the request going on
    tail = after[cut.end():] if cut else ""
    return text_of(tail) >= min_chars or text_of(data) >= min_chars or _alnum(after) >= 200


def unanswerable(prompt: str, cfg: PromptsConfig, *, before: str = "", data: str = "",
                 tools: set[str] = frozenset()) -> tuple[str, str] | None:
    """(reason, quoted span) when the request `prompt` cannot be answered from its record.

    `before`: the record's text ahead of the request (system prompt, earlier turns); `data`: its input
    (Alpaca `input`); `tools`: what the record's declared tools can fetch (see `declared_tools`)."""
    masked = data_masked(prompt)
    low = _ascii_lower(masked)
    code_task = None  # CODE_TASK_RE's search, run only where its answer matters
    for reason, rx in PATTERNS:
        if reason == "browse" and "web" in tools:
            continue
        if reason == "attachment" and "file" in tools:
            continue
        m = None if _lacks_word(low, PATTERN_KEYS[reason]) else rx.search(masked)
        if m:
            if reason in MEDIA_REASONS and _media_given(prompt, m, data, cfg.min_media_text_chars):
                continue
            return reason, _quote(m.group(0))
    has_url = not (_lacks(low, URL_START_KEYS) and _lacks(_ascii_lower(data), URL_START_KEYS))
    if has_url and "web" not in tools and code_task is None:
        code_task = bool(CODE_TASK_RE.search(masked))
    if has_url and "web" not in tools and not code_task:
        rest = _alnum(URL_RE.sub("", f"{prompt}\n{data}"))
        for u in URL_RE.finditer(masked):
            if LINK_ASK_RE.search(masked[max(0, u.start() - 80):u.start()]) or rest < 40:
                return "link", _quote(masked[max(0, u.start() - 30):u.end()], 80)
        # a URL as the whole input ("Summarize this article." + a link); one inside HTML/code is data
        u = next((u for u in URL_RE.finditer(data) if not re.search(r"(?:=\s*[\"']?|[(<\[])$", data[:u.start()])), None)
        if u and _alnum(URL_RE.sub("", data)) < cfg.min_media_text_chars and (LINK_ASK_RE.search(masked.rstrip(" .:\n")) or rest < 40):
            return "link", _quote(data[max(0, u.start() - 30):u.end()], 80)
    m = missing_content(prompt, cfg.min_content_chars, before=before, data=data, code_task=code_task, masked=masked)
    if m:
        return "missing_content", _quote(prompt[max(0, m.start() - 20):m.end() + 20], 70) + " with nothing to read"
    return None


def record_requests(fmt: str, messages: list[dict], fields: list[dict]) -> list[tuple[str, str, str]]:
    """(request, text before it, data) for each request of a record, read from its fields."""
    if fmt in ("alpaca", "prompt_completion"):
        user = [f["text"] for f in fields if f["role"] == "user"]
        if not user:
            return []
        return [(user[0], "", "\n\n".join(t for t in user[1:] if t.strip().lower() not in _EMPTY))]
    out, seen = [], []
    for m in messages:
        if m["role"] == "user":
            out.append((m["content"], "\n\n".join(seen), ""))
        if m["role"] in ("user", "assistant", "tool"):
            seen.append(m["content"])  # the system prompt is not "above" for the user: it holds tools, not content
    return out


_EMPTY = {"", "<noinput>", "<no input>", "no input", "noinput", "n/a", "none", "null", "nan", "-"}


@register_stage("prompts", config=PromptsConfig, columns=("unanswerable", "unanswerable_evidence"), row_local=True)
def prompts(batch: dict[str, list], *, config: PromptsConfig) -> dict[str, list]:
    """Prompts that point at attachments, images, audio, links or missing text, or ask to browse or draw."""
    reasons, evidence = [], []
    for fmt, messages, fields in zip(batch["format"], batch["messages"], batch["fields"]):
        found = None
        # only prompts that are answered: a classification text is labelled, never answered
        if fmt in ("alpaca", "prompt_completion", "chat"):
            messages, fields = messages or [], fields or []
            tools = declared_tools("\n".join(m["content"] for m in messages if m["role"] in ("system", "user")))
            if any(m["role"] == "tool" for m in messages):
                tools = tools | {"web", "file"}  # the record carries tool results: what was fetched is there
            for request, before, data in record_requests(fmt, messages, fields):
                found = unanswerable(request, config, before=before, data=data, tools=tools)
                if found:
                    break
        reasons.append(found[0] if found else None)
        evidence.append(found[1] if found else None)
    return {"unanswerable": reasons, "unanswerable_evidence": evidence}
