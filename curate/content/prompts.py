"""Unanswerable prompts: the model is asked about something it cannot see, or to do what text cannot.

Alpaca-cleaned removed instructions that point to attachments, images, audio, links or "the
following article" with nothing following, requests to browse the web, and image-generation
requests (answered with placeholders). Training on them teaches the model to pretend.

Stage `prompts` (row-local, the user text of SFT formats; classification texts are labelled, not answered) writes:
    unanswerable           None, or the reason: `attachment`, `image`, `audio_video`, `link`,
                           `missing_content` ("summarize the following article." and nothing
                           follows), `browse`, `image_generation`
    unanswerable_evidence  the matching span, quoted
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.stages import register_stage

_DOC = (r"article|text|passage|paragraph|essay|document|story|poem|email|e-mail|letter|code|snippet|sentence|"
        r"report|table|data|dataset|review|tweet|conversation|dialogue|dialog|transcript|excerpt|statement|"
        r"function|query|speech|lyrics|recipe|summary|list|product description|news article|blog post|file")
_MEDIA_IMAGE = r"image|picture|photo|photograph|screenshot|diagram|chart|graph|figure|painting|drawing|illustration|scan"
_MEDIA_AV = r"audio|recording|audio clip|song|podcast|video|video clip|clip|voice (?:message|note|memo)|soundtrack|movie clip"

PATTERNS = [
    ("attachment", re.compile(
        r"\b(?:see (?:the )?attached|(?:the|this|my|an?) attached\b(?: \w+)?|(?:i(?:'ve| have)?|we(?:'ve| have)?) attached\b"
        r"|\b(?:in|see|open|check) (?:the|my) attachment\b|\bplease find attached\b|\benclosed (?:file|document|pdf)\b"
        r"|\b(?:uploaded|attached) (?:file|document|pdf|spreadsheet|image|screenshot|photo)s?\b"
        r"|\b(?:i|we)(?:'ve| have)? (?:just )?uploaded\b)", re.I)),
    ("image", re.compile(
        # only deictic references ("this photo", "the attached chart"): word problems say "in the photo"
        rf"\b(?:this|the following|the given|the above|the provided|the attached|given) (?:{_MEDIA_IMAGE})s?\b"
        rf"|\b(?:look at|describe|caption|analy[sz]e|interpret|what is in|what's in) (?:this|the|that|my) (?:{_MEDIA_IMAGE})\b"
        rf"|\b(?:{_MEDIA_IMAGE})s? (?:below|above)\b|\bscreenshots?\b"
        rf"|\b(?:here's|here is|i(?:'ve| have)? sent|i'm sending|sending you) (?:a|the|my) (?:{_MEDIA_IMAGE})\b", re.I)),
    ("audio_video", re.compile(
        rf"\b(?:this|the following|the given|the above|the provided|the attached|given) (?:{_MEDIA_AV})s?\b"
        rf"|\blisten to (?:this|the following|the attached|my)\b|\bwatch (?:this|the following|the attached) (?:{_MEDIA_AV})\b|\bvoice ?(?:message|note|memo|mail)s?\b", re.I)),
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
        r"(?:(?!description|caption|title|prompt|name|text|story|poem|list|sure\b|of\b|for\b|about\b)[\w-]+\s+){0,3}?"
        r"(?:image|picture|photo|drawing|illustration|logo|painting|sketch|portrait|graphic|artwork|icon|meme|"
        r"visual|infographic|cartoon|collage|3d model)s?\b", re.I)),
]
URL_RE = re.compile(r"(?:https?://|www\.)[^\s)\]>\"']+", re.I)
LINK_ASK_RE = re.compile(
    r"\b(?:summari[sz]e|read|review|visit|open|check|describe|analy[sz]e|explain|translate|look at|go to|based on|"
    r"according to|what does|what is (?:on|in|at)|tell me about|from|in|at|this link|this url|this article|this page)\b"
    r"[^.?!\n]{0,60}$", re.I)
# "the following article" (or "this tweet") pointing at content; unanswerable when nothing follows/precedes
REF_RE = re.compile(rf"\b(?P<det>the following|following|below|this|the given|given|the above|above|the provided|provided)"
                    rf"(?: \w+)?? (?P<noun>{_DOC})s?\b", re.I)

REF_AFTER_RE = re.compile(rf"\bthe (?P<noun>{_DOC})s? (?P<det>above|below|provided|given|shown)\b", re.I)


@dataclass
class PromptsConfig:
    min_content_chars: int = 8  # fewer letters/digits than this after "the following article:" means nothing follows


def _quote(text: str, n: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def _alnum(text: str) -> int:
    return sum(c.isalnum() for c in text)


def missing_content(prompt: str, min_chars: int) -> re.Match | None:
    """The reference ("the following article") whose content is not in the prompt, or None."""
    for m in [*REF_RE.finditer(prompt), *REF_AFTER_RE.finditer(prompt)]:
        det = m.group("det").lower()
        after = prompt[m.end():]
        cut = re.search(r"[:\n]", after)
        if det in ("the following", "following", "below"):
            content = after[cut.end():] if cut else ""
            rest_of_sentence = after if not cut else ""
            # "Summarize the following article about X." and nothing else: only the sentence's own tail
            if _alnum(content) < min_chars and (cut or _alnum(rest_of_sentence) < 80) and not re.search(r"[\"“']", after):
                return m
        else:
            # "this tweet" / "the given text": the content may come before or after the sentence
            sent_start = max(prompt.rfind(c, 0, m.start()) for c in ".?!\n") + 1
            before = prompt[:sent_start]
            content = after[cut.end():] if cut else ""
            quoted = re.search(r"[\"“'][^\"”']{%d,}[\"”']" % min_chars, prompt)
            if _alnum(before) < min_chars and _alnum(content) < min_chars and not quoted and _alnum(after) < 80:
                return m
    return None


def unanswerable(prompt: str, cfg: PromptsConfig) -> tuple[str, str] | None:
    """(reason, quoted span) when the prompt cannot be answered from its own text."""
    for reason, rx in PATTERNS:
        m = rx.search(prompt)
        if m:
            if reason in ("image", "audio_video") and _alnum(prompt[m.end():]) >= 200:
                continue  # a long description follows: the "image" is given as text
            return reason, _quote(m.group(0))
    for u in URL_RE.finditer(prompt):
        if LINK_ASK_RE.search(prompt[max(0, u.start() - 80):u.start()]) or _alnum(URL_RE.sub("", prompt)) < 40:
            return "link", _quote(prompt[max(0, u.start() - 30):u.end()], 80)
    m = missing_content(prompt, cfg.min_content_chars)
    if m:
        return "missing_content", _quote(prompt[max(0, m.start() - 20):m.end() + 20], 70) + " with nothing to read"
    return None


@register_stage("prompts", config=PromptsConfig, columns=("unanswerable", "unanswerable_evidence"), row_local=True)
def prompts(batch: dict[str, list], *, config: PromptsConfig) -> dict[str, list]:
    """Prompts that point at attachments, images, audio, links or missing text, or ask to browse or draw."""
    reasons, evidence = [], []
    for fmt, prompt in zip(batch["format"], batch["prompt"]):
        # only prompts that are answered: a classification text is labelled, never answered
        found = unanswerable(prompt or "", config) if fmt in ("alpaca", "prompt_completion", "chat") else None
        reasons.append(found[0] if found else None)
        evidence.append(found[1] if found else None)
    return {"unanswerable": reasons, "unanswerable_evidence": evidence}
