"""The `pii` stage: every text field of every record -> `pii_spans`.

Why it is ~10x faster than `AnalyzerEngine.analyze` per text (see BENCHMARKS.md, bench/pii_eval.py):
1. spaCy runs only its NER component (engine.ner_pipeline), through `nlp.pipe` in batches.
2. NER only sees the parts of a text that can hold a name or a place the name filter keeps
   (plausible.py): a window of words around each capitalised word that can anchor such a span
   (`_anchors_name`: not a plain English word, or a title, a particle, the first word of a place
   like "United Kingdom", or a word after a naming cue like "Dear"). Plain capitalised words
   ("Expanded", "Settings", "Monday") and stop-word sentence openers ("What", "Thanks") cost no
   NER; a text with no capital letter at all (typed in lower case) is read whole.
   en_core_web_sm's NER looks at most 4 tokens either side (4 CNN layers of window 1), so a
   window of 4 words either side gives (nearly) the same entities; texts with no such word skip NER.
   With NRP asked for, or the name filter off, every capitalised non-opener word counts.
   This gate is what made the stage ~4.5x faster on SFT-like text (issue 15, bench/pii_speed.py):
   NER was ~95% of its time, and plain capitalised words ~80% of what NER read.
3. Pattern recognizers run on every text but each behind a C-speed pre-check (recognizers.py).
4. Results are cached per distinct text: a system prompt repeated in 10,000 chats is scanned once.
5. Code is not read by NER at all (context.py): nothing in code is personal data, so the windows
   NER reads stop at code, and pattern spans inside it are dropped (except live credentials).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from curate.pii import engine
from curate.pii.context import KEEP_IN_CODE, code_regions, in_regions, reserved_value
from curate.pii.phones import find_phones
from curate.pii import lexicon
from curate.pii.plausible import _CUE, _SPLIT, _STRIP, PARTICLES, TITLES, _bad, _plain_word, pattern_plausible, plausible
from curate.pii.recognizers import (Span, boost_with_context, custom_recognizers, digit_count,
                                    presidio_pattern_recognizers)
from curate.stages import register_stage

DEFAULT_ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS",
                    "LOCATION", "STREET_ADDRESS", "URL", "API_KEY", "PRIVATE_KEY", "PASSWORD"]
ALL_ENTITIES = DEFAULT_ENTITIES + ["DATE_TIME", "NRP"]
NER_ENTITIES = {"PERSON", "LOCATION", "DATE_TIME", "NRP"}


@dataclass
class PiiConfig:
    entities: list[str] = field(default_factory=lambda: list(DEFAULT_ENTITIES))  # DATE_TIME, NRP available, off by default (noisy)
    score_threshold: float = 0.4  # spans scoring below are dropped (presidio's scores: regex 0.05-1.0, spaCy 0.85)
    batch_size: int = field(default=256, metadata={"cache": False})  # texts per nlp.pipe batch (speed only)
    n_process: int = field(default=1, metadata={"cache": False})  # spaCy worker processes (speed only)
    ner_window_words: int = 4  # words kept either side of a candidate name for NER (the model sees +-4 tokens)
    gate_ner: bool = True  # False: NER reads every whole text (slower, same entities; for checking the gate)
    cache_size: int = field(default=200_000, metadata={"cache": False})  # distinct texts whose spans are kept in memory
    name_filter: bool = True  # drop NER PERSON/LOCATION spans that are UI words, not names (plausible.py)


# Capitalised sentence openers that are not names: skipping them is what lets most chat turns skip NER.
_OPENERS = {"hi", "hello", "hey", "thanks", "thank", "please", "sure", "yes", "no", "ok", "okay", "dear", "regards",
            "sorry", "great", "welcome", "good", "hope", "note", "also", "then", "now", "let", "let's", "here's",
            "what's", "i'm", "i've", "i'll", "i'd", "it's", "that's", "there's", "can't", "don't", "step", "answer",
            "question", "user", "assistant", "system", "bot", "human", "q", "a"}
# capitalised tokens common in support and instruction data that are never a person or a place
_ACRONYMS = {"SSN", "IBAN", "IP", "API", "URL", "ID", "PIN", "CVV", "OK", "FAQ", "PDF", "USD", "EUR", "GBP", "AM", "PM",
             "TV", "VIP", "CEO", "SMS", "OTP", "2FA", "HTML", "JSON", "CSV", "SQL", "HTTP", "HTTPS", "AI", "FYI", "ASAP"}
_WORD = re.compile(r"\S+")
_LEAD_PUNCT = "\"'([{<*_-#`“‘"
_SENT_END = ".!?:;\n"
_BEFORE_OPENER = " \t\"'(" + _LEAD_PUNCT
# a word as spaCy and plausible() cut it: letters and digits, with inner ' ’ . - (O'Neill, Person1)
_NAME_PIECE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")


def _stop_words() -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return set(STOP_WORDS) | _OPENERS


class PiiDetector:
    """Patterns on every text, NER on the windows that need it; one instance per process."""

    def __init__(self, config: PiiConfig):
        unknown = [e for e in config.entities if e not in ALL_ENTITIES]
        if unknown:
            from curate.errors import CurateError

            raise CurateError(f"pii stage: unknown entities {unknown}", fix=f"choose from: {', '.join(ALL_ENTITIES)}")
        self.config = config
        ents = set(config.entities)
        self.gated = presidio_pattern_recognizers(ents)
        self.custom = custom_recognizers(ents)
        self.phones = "PHONE_NUMBER" in ents
        self.ner_entities = ents & NER_ENTITIES
        self.nlp = engine.ner_pipeline() if self.ner_entities else None
        self.stop = _stop_words()
        # NER reads only around words that can anchor a span the name filter keeps (may_anchor_name);
        # NRP spans bypass that filter, so with NRP (or without the filter) every capitalised word counts
        self.anchors_only = bool(self.ner_entities) and config.name_filter and "NRP" not in self.ner_entities
        self.place_openers = frozenset(p.split()[0] for p in lexicon.place_names() if " " in p) \
            if self.anchors_only else frozenset()  # "united" (Kingdom), "new" (Zealand): plain words that open a place
        self.cache: dict[str, tuple[Span, ...]] = {}

    # -- patterns ----------------------------------------------------------------------------------
    def patterns(self, text: str, code: list[tuple[int, int]] = ()) -> list[Span]:
        """Pattern spans, less those in `code` (but live credentials) and reserved example values."""
        d = digit_count(text)
        out: list[Span] = []
        for g in self.gated:
            if g.may_match(text, d):
                out.extend(boost_with_context(text, s, g.context) for s in g.find(text))
        if self.phones and d >= 7:
            out.extend(find_phones(text))
        for r in self.custom:
            out.extend(r.find(text))
        return [s for s in out if pattern_plausible(text, s.start, s.end, s.entity_type)
                and not (in_regions(s.start, s.end, code) and s.recognizer not in KEEP_IN_CODE)
                and not reserved_value(_whole_token(text, s), s.entity_type)]

    # -- NER gate ----------------------------------------------------------------------------------
    def ner_regions(self, text: str, found: tuple[Span, ...] = ()) -> list[tuple[int, int]]:
        """Character regions of `text` NER must read ([] = none, [(0, len)] = all of it).
        Capitals inside spans the patterns already found (an e-mail, a URL, an IBAN) do not count."""
        if not self.config.gate_ner or "DATE_TIME" in self.ner_entities:
            return [(0, len(text))] if text.strip() else []
        if not any(c.isupper() for c in text):  # typed in lower case: capitals cannot point at names
            return [(0, len(text))] if " " in text.strip() else []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        k = self.config.ner_window_words
        regions: list[list[int]] = []
        for i, (s, e) in enumerate(words):
            if self.anchors_only:
                token = text[s:e]
                if (token == token.lower() and token.strip(_STRIP) not in PARTICLES) \
                        or not self._anchors_name(text, words, i, found):  # no capital: no anchor
                    continue
            elif not self._capitalised(text, s, e, found):
                continue
            a, b = words[max(0, i - k)][0], words[min(len(words) - 1, i + k)][1]
            if regions and a <= regions[-1][1]:
                regions[-1][1] = max(regions[-1][1], b)
            else:
                regions.append([a, b])
        covered = sum(b - a for a, b in regions)
        if regions and covered >= 0.7 * len(text):
            return [(0, len(text))]
        return [(a, b) for a, b in regions]

    def _capitalised(self, text: str, s: int, e: int, found) -> bool:
        """The word text[s:e] is capitalised and not a sentence opener that is a stop word
        ("What", "Thanks"): what NER reads around when every capitalised word counts."""
        w = text[s:e].lstrip(_LEAD_PUNCT)
        if not w or not w[0].isupper() or w == "I" or w.rstrip(".,:;!?)") in _ACRONYMS:
            return False
        if any(f.start <= s < f.end for f in found):
            return False
        return not self._stop_opener(text, s, w, " \t\"'(")

    def _stop_opener(self, text: str, s: int, w: str, skip: str = _BEFORE_OPENER) -> bool:
        """`w` (at `s`) opens a sentence (after list bullets and quotes) and is a stop word."""
        j = s - 1
        while j >= 0 and text[j] in skip:
            j -= 1
        base = re.split(r"[^\w'’-]", w.lower(), maxsplit=1)[0].replace("’", "'")
        return (j < 0 or text[j] in _SENT_END) and (base in self.stop or base.split("'")[0] in self.stop)

    def _anchors_name(self, text: str, words: list, i: int, found) -> bool:
        """The word words[i] holds a capitalised word that can anchor a name span plausible() keeps.

        plausible() drops a PERSON or LOCATION span unless its first word is a capitalised
        name-shaped word and (a naming cue precedes it, or a title or particle is in it, or it is a
        known place, or one of its capitalised words is not a plain English word). So NER need not
        read around a word that is not name-shaped ("FitLife"), nor around a plain word ("Settings",
        "Expanded", "Monday") with no cue before it that is neither a title nor the first word of a
        multi-word place ("United Kingdom"): a kept span holding it also holds a word that does
        anchor, whose own window covers it. Capitalised words inside a token count too
        ("forgot...Ali.", "India,baby")."""
        s, e = words[i]
        token = text[s:e]
        for m in _NAME_PIECE.finditer(token):
            p, at = m.group(), s + m.start()
            if not p[0].isupper():
                # "Standard van Tool": plausible() keeps a span with a particle whatever its words
                if p in PARTICLES and token.strip(_STRIP) == p and i and \
                        text[words[i - 1][0]:words[i - 1][1]].lstrip(_LEAD_PUNCT)[:1].isupper():
                    return True
                continue
            if p == "I" or p in _ACRONYMS or any(f.start <= at < f.end for f in found):
                continue
            if self._stop_opener(text, at, p) or _bad(p, False, True):
                continue
            low = p.lower()
            if low in TITLES or low in PARTICLES or low in self.place_openers:
                return True
            if not (_plain_word(p, "PERSON") and _plain_word(p, "LOCATION")):
                return True
            if _CUE.search(text[max(0, at - 40):at]):
                return True
        return False

    def ner(self, texts: list[str], found: list, code: list | None = None) -> list[list[Span]]:
        out: list[list[Span]] = [[] for _ in texts]
        if self.nlp is None:
            return out
        code = code or [[] for _ in texts]
        jobs = [(ti, a, text[a:b]) for ti, (text, f) in enumerate(zip(texts, found))
                for a, b in outside(self.ner_regions(text, f), code[ti]) if text[a:b].strip()]
        docs = self.nlp.pipe((j[2] for j in jobs), batch_size=self.config.batch_size, n_process=self.config.n_process)
        lower = [not any(c.isupper() for c in t) for t in texts]
        for (ti, offset, _), doc in zip(jobs, docs):
            for ent in doc.ents:
                etype = engine.SPACY_TO_ENTITY.get(ent.label_)
                if etype not in self.ner_entities:
                    continue
                start, end = offset + ent.start_char, offset + ent.end_char
                if self.config.name_filter and etype in ("PERSON", "LOCATION"):
                    kept = plausible(texts[ti], start, end, etype, lowercase_text=lower[ti])
                    if kept is None:
                        continue
                    start, end = kept
                out[ti].append(Span(start, end, etype, engine.NER_SCORE, "SpacyRecognizer"))
        return out

    # -- all together ------------------------------------------------------------------------------
    def detect(self, texts: list[str]) -> list[tuple[Span, ...]]:
        """Spans for each text, offsets into that text."""
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        code = [code_regions(t) for t in todo]
        found = [self.patterns(t, c) for t, c in zip(todo, code)]
        ner_spans = self.ner(todo, found, code)
        fresh = {text: resolve(pat + spans, self.config.score_threshold)
                 for text, pat, spans in zip(todo, found, ner_spans)}
        out = [fresh[t] if t in fresh else self.cache[t] for t in texts]
        if len(self.cache) + len(fresh) > self.config.cache_size:
            self.cache.clear()
        self.cache.update(fresh)
        return out


_TOKEN_CHARS = re.compile(r"[^\s\"'<>()\[\]{}`,;]*")


def _whole_token(text: str, s: Span) -> str:
    """An e-mail or URL span with the rest of its token: presidio's URL pattern stops at a TLD it
    knows ("https://api.sh" in "https://api.shop.test"), so the reserved-name test needs the whole host."""
    if s.entity_type not in ("URL", "EMAIL_ADDRESS"):
        return text[s.start:s.end]
    left = _TOKEN_CHARS.match(text[max(0, s.start - 200):s.start][::-1]).end()
    right = _TOKEN_CHARS.match(text, s.end).end()
    return text[s.start - left:right].rstrip(".")


def outside(regions: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`regions` less the parts covered by `holes` (both sorted, non-overlapping)."""
    if not holes:
        return list(regions)
    out = []
    for a, b in regions:
        for h0, h1 in holes:
            if h1 <= a or h0 >= b:
                continue
            if h0 > a:
                out.append((a, h0))
            a = max(a, h1)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


def resolve(spans: list[Span], threshold: float) -> tuple[Span, ...]:
    """Drop spans under the threshold, then any span lying inside a stronger (or equal, longer)
    one: a URL inside an e-mail, a DATE_TIME inside a card number, a duplicate of the same type."""
    spans = sorted((s for s in spans if s.score >= threshold), key=lambda s: (-s.score, -(s.end - s.start), s.start))
    kept: list[Span] = []
    for s in spans:
        if any(k.start <= s.start and s.end <= k.end for k in kept):
            continue
        if any(k.entity_type == s.entity_type and k.start < s.end and s.start < k.end for k in kept):
            continue  # same type, partly overlapping: the stronger one already covers it
        kept.append(s)
    return tuple(sorted(kept, key=lambda s: (s.start, s.end)))


_DETECTORS: dict[str, PiiDetector] = {}


def get_detector(config: PiiConfig) -> PiiDetector:
    """One detector (and one loaded spaCy model) per process and config."""
    key = repr(config)
    if key not in _DETECTORS:
        _DETECTORS[key] = PiiDetector(config)
    return _DETECTORS[key]


def _setup(config: PiiConfig) -> None:
    get_detector(config)  # spaCy, presidio and the lexicons: once, in the parent; forked workers inherit them


@register_stage("pii", config=PiiConfig, columns=("pii_spans",), row_local=True, setup=_setup)
def pii(batch: dict[str, list], *, config: PiiConfig) -> dict[str, list]:
    """PII spans (presidio + secret recognizers) in every text field, with offsets into that field."""
    det = get_detector(config)
    flat = [f["text"] for fields in batch["fields"] for f in fields]
    found = iter(det.detect(flat))
    col = []
    for fields in batch["fields"]:
        rec = []
        for f in fields:
            for s in next(found):
                rec.append({"field": f["name"], "start": s.start, "end": s.end, "entity_type": s.entity_type,
                            "score": round(s.score, 4), "recognizer": s.recognizer})
        col.append(rec)
    return {"pii_spans": col}
