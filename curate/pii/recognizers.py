"""Pattern recognizers: presidio's predefined ones (each behind a cheap pre-check) plus our own
for secrets (API keys and tokens, private key blocks, `password=...`) and street addresses.
Phone numbers have their own recognizer (phones.py): presidio's reads formulas as phones.

Every recognizer here is a pure function of the text, so the detector runs them on every text.
The pre-checks exist because presidio runs each recognizer on each text, yet a card needs 12
digits and an e-mail an "@", which a C-speed test rules out for most texts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from curate.pii import engine  # sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS before presidio loads, and loads presidio

_DIGIT = re.compile(r"\d")
CONTEXT_WINDOW_WORDS = 5  # presidio's LemmaContextAwareEnhancer looks 5 words back
CONTEXT_BOOST = 0.35  # presidio's context_similarity_factor
MIN_SCORE_WITH_CONTEXT = 0.4  # presidio's min_score_with_context_similarity


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str


def digit_count(text: str) -> int:
    return len(_DIGIT.findall(text))


# ---- presidio's predefined recognizers, gated by a pre-check -------------------------------------

@dataclass
class Gated:
    """A presidio recognizer plus a cheap test that must hold for it to possibly match."""

    recognizer: object
    entity: str
    may_match: Callable[[str, int], bool]  # (text, digit count) -> worth running?
    context: tuple[str, ...] = ()
    regions: Callable[[str], list[tuple[int, int]]] | None = None  # only these parts of the text can match

    def find(self, text: str) -> list[Span]:
        parts = self.regions(text) if self.regions else [(0, len(text))]
        out = []
        for a, b in parts:
            for r in self.recognizer.analyze(text[a:b], [self.entity], None):
                out.append(Span(a + r.start, a + r.end, r.entity_type, float(r.score), self.recognizer.name))
        return out


_IBAN_HINT = re.compile(r"(?i)[a-z]{2}\s?\d{2}")  # presidio matches IBANs case-insensitively
_IP_HINT = re.compile(r"\d\.\d|[0-9a-fA-F]:[0-9a-fA-F]*:")
_URL_HINT = re.compile(r"\w\.[a-zA-Z]{2,}|://")
_MONTHS = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")


def presidio_pattern_recognizers(entities: set[str]) -> list[Gated]:
    engine.presidio_recognizers()  # first: presidio without its Hugging Face engine (see there)
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, DateRecognizer, EmailRecognizer,
                                                          IbanRecognizer, IpRecognizer,
                                                          UrlRecognizer, UsSsnRecognizer)

    table = [
        (CreditCardRecognizer, "CREDIT_CARD", lambda t, d: d >= 12),
        (UsSsnRecognizer, "US_SSN", lambda t, d: d >= 9),
        (IbanRecognizer, "IBAN_CODE", lambda t, d: d >= 10 and _IBAN_HINT.search(t) is not None),
        (IpRecognizer, "IP_ADDRESS", lambda t, d: _IP_HINT.search(t) is not None),
        (EmailRecognizer, "EMAIL_ADDRESS", lambda t, d: "@" in t),
        (UrlRecognizer, "URL", lambda t, d: _URL_HINT.search(t) is not None),
        (DateRecognizer, "DATE_TIME", lambda t, d: d > 0 or _MONTHS.search(t) is not None),
    ]
    out = []
    for cls, entity, pre in table:
        if entity in entities:
            rec = cls()
            if hasattr(rec, "global_regex_flags"):  # what presidio's default registry sets (IBANs in lower case too)
                rec.global_regex_flags = re.DOTALL | re.MULTILINE | re.IGNORECASE
            out.append(Gated(rec, entity, pre, tuple(w.lower() for w in (rec.context or ()))))
    return out


def boost_with_context(text: str, span: Span, context: tuple[str, ...]) -> Span:
    """presidio's context rule without lemmas: a context word among the 5 words before the span
    raises its score by 0.35 (to at least 0.4). "SSN: 078-05-1120" scores 0.85, not 0.5."""
    if not context or span.score >= 1.0:
        return span
    words = re.findall(r"[a-z]+", text[max(0, span.start - 80):span.start].lower())[-CONTEXT_WINDOW_WORDS:]
    if any(w.startswith(c) or c.startswith(w) and len(w) >= 3 for w in words for c in context):
        score = min(1.0, max(span.score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT))
        return Span(span.start, span.end, span.entity_type, score, span.recognizer)
    return span


# ---- our own recognizers -------------------------------------------------------------------------

@dataclass(frozen=True)
class RegexRecognizer:
    name: str
    entity: str
    pattern: re.Pattern
    score: float
    group: int = 0  # the span is this group (password values, not the word "password")
    validate: Callable[[str], bool] | None = None
    needs: tuple[str, ...] = ()  # substrings (of the lower-cased text), one of which must occur for a match
    context: tuple[str, ...] = field(default=())

    def find(self, text: str) -> list[Span]:
        if self.needs:
            low = text.lower()
            if not any(n in low for n in self.needs):
                return []
        out = []
        for m in self.pattern.finditer(text):
            s, e = m.span(self.group)
            if s < e and (self.validate is None or self.validate(m.group(self.group))):
                out.append(Span(s, e, self.entity, self.score, self.name))
        return out


def shannon_entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def looks_random(token: str) -> bool:
    """A high-entropy token: mixed case and digits, >= 4 bits per character (random base62/64),
    which rules out words, identifiers in snake/camel case, and plain hex hashes (<= 4 bits)."""
    classes = sum((any(c.islower() for c in token), any(c.isupper() for c in token), any(c.isdigit() for c in token)))
    return classes == 3 and shannon_entropy(token) >= 4.0


# Provider prefixes, from the providers' own docs on key formats (and gitleaks' rule set).
_PROVIDER_KEYS = re.compile(r"""(?x)
    \b(?:
        sk-(?:live-|test-|proj-|ant-)?[A-Za-z0-9_-]{20,}     # OpenAI / Anthropic style (sk-, sk-live-, sk-proj-)
      | (?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}          # Stripe
      | (?:AKIA|ASIA)[0-9A-Z]{16}                            # AWS access key id
      | gh[pousr]_[A-Za-z0-9]{30,}                           # GitHub tokens
      | github_pat_[A-Za-z0-9_]{22,}
      | xox[abpors]-[A-Za-z0-9-]{10,}                        # Slack
      | AIza[0-9A-Za-z_-]{35}                                # Google API key
      | hf_[A-Za-z0-9]{30,}                                  # Hugging Face
      | glpat-[A-Za-z0-9_-]{20,}                             # GitLab
      | eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}   # JWT
    )""")
_RANDOM_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"|(?=\n\s*\n)|\Z)")
_PASSWORD_WORD = r"(?i)\b(?:password|passwd|passphrase|pwd|passcode|pass)\b[\"']?\s*"
_PASSWORD = re.compile(_PASSWORD_WORD + r"[:=]\s*[\"']?([^\s\"',;]{4,})")  # password=..., pwd: ...
_PASSWORD_IS = re.compile(_PASSWORD_WORD + r"\bis\b\s*[\"']?([^\s\"',;]{4,})")  # my password is ...


_PLACEHOLDER = re.compile(r"^(?:<[^<>]*>|\$?\{[^{}]*\}|%\(?\w*\)?s|\[[^\[\]]*\]|([*x•.#_-])\1{2,})[.!?)]*$", re.I)


def not_a_placeholder(value: str) -> bool:
    """`password: <PASSWORD>`, `{password}`, `${DB_PASS}`, `********`: a template or a mask (what
    `curate clean` itself writes), not a password."""
    if re.search(r"(?i)pass(?:word|wd|phrase)?|pwd", value):
        return False  # 'mypassword', 'your_password', 'myPassword': the name of the thing, not one
    return _PLACEHOLDER.match(value) is None


def not_a_plain_word(value: str) -> bool:
    """"my password is hunter2!" holds a password; "your password is used to...", "is wrong." do not:
    a value that is only an English word (or an -ed/-ing form of one) is read as prose."""
    from curate.pii.lexicon import is_common_word

    w = value.rstrip(".!?)")
    if not w.isalpha():
        return True
    return not (is_common_word(w) or any(w.lower().endswith(x) and is_common_word(w[:-len(x)])
                                         for x in ("ed", "ing", "d")))

_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
           r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent|Cres|Trail|Row|Alley|Loop)")
_UNIT = r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|#)\.?\s*#?\d+[A-Za-z]?)"
_CITY_STATE_ZIP = r"(?:,\s*[A-Z][A-Za-z.'-]+(?:\s[A-Z][A-Za-z.'-]+){0,2})?(?:,?\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?"
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[A-Z][\w'.-]*\s+){{1,4}}{_SUFFIX}\b\.?{_UNIT}?{_CITY_STATE_ZIP}"  # 12 Main St, Apt 4, Springfield, IL 62704
    r"|\b[A-ZÀ-Þ][\w'-]*(?:stra(?:ß|ss)e|str\.|gasse|weg|vej|vägen|gatan|gata|katu|tie|laan|straat|gade|allee|platz)"
    rf"\s+\d{{1,5}}[a-z]?\b{_UNIT}?"  # Hauptstraße 5, Koskikatu 25
    r"|\b(?:Via|Viale|Piazza|Rue|Calle|Avenida|Rua|Avenue|Boulevard|Carrer|Ulica)\s+(?:[A-ZÀ-Þa-z][\w'-]*\s+){0,3}"
    rf"[A-ZÀ-Þ][\w'-]*,?\s+\d{{1,5}}[a-z]?\b{_UNIT}?"  # Via Roma 12, Rue de la Paix 5
    r"|\bP\.?\s?O\.?\s?Box\s+\d+")


def custom_recognizers(entities: set[str]) -> list[RegexRecognizer]:
    all_ = [
        RegexRecognizer("ApiKeyRecognizer", "API_KEY", _PROVIDER_KEYS, 0.95),
        RegexRecognizer("HighEntropyTokenRecognizer", "API_KEY", _RANDOM_TOKEN, 0.6, validate=looks_random),
        RegexRecognizer("PrivateKeyRecognizer", "PRIVATE_KEY", _PRIVATE_KEY, 1.0, needs=("private key",)),
        RegexRecognizer("PasswordRecognizer", "PASSWORD", _PASSWORD, 0.8, group=1, needs=("pass", "pwd"),
                        validate=lambda v: not_a_placeholder(v) and not_a_plain_word(v)),
        RegexRecognizer("PasswordRecognizer", "PASSWORD", _PASSWORD_IS, 0.8, group=1, needs=("pass", "pwd"),
                        validate=lambda v: not_a_placeholder(v) and not_a_plain_word(v)),
        RegexRecognizer("StreetAddressRecognizer", "STREET_ADDRESS", _ADDRESS, 0.7),
    ]
    return [r for r in all_ if r.entity in entities]
