"""A second opinion on spaCy's PERSON and LOCATION spans: is this a name, or a word of the product?

en_core_web_sm tags capitalised UI labels and plan names as people and places in support data
("under Settings, then Apps", "on the Standard plan", "open it in Activity", "Savings Pots"): on
sample_data/support_sft.jsonl that was 400+ records with a "PERSON in an assistant answer" and
none of them held a name. A span is kept unless one of these says it is not a name:

- shape, after trimming such words from the edges: a digit ("Galaxy S22"), a character that is
  not a letter, apostrophe, hyphen or dot (mojibake "letâ€"), camel case inside a word
  ("FitLife"; Mc/Mac/O'/De-style surnames are fine), or a lower-case first word in text that
  uses capitals ("the App Store", "apps", "markup");
- a menu path: a ">" right before or after it ("Settings > Security");
- vocabulary: every word is a common English word (lexicon.common_words) that is not also a
  common given name or surname, or (LOCATION) a known place name: "Standard", "Savings Pots"
  go; "Grace Young", "Germany", "Maria Moreno", "Austin" stay; in text that uses capitals, a
  word in lower case counts as plain ("Settings anderson": a name there is written capitalised),
  which is also what lets the NER gate (detect.py) skip plain capitalised words;
- a one-word name the same text also writes in lower case ("The Wolf howled ... the wolf"), a
  span holding an acronym that is not a post-nominal ("Raspberry Pi OS", but "Kevin Veitonen
  II"), or a one-word name listed with capitalised plain words ("Twitter, Instagram and
  Facebook"): things, not people;
- unless a naming cue precedes it ("my name is", "Mr.", "Dear", "Hi", "Thanks,", "my son"): then
  the vocabulary test is skipped ("Dear Hope", "my name is Will Price").
"""

from __future__ import annotations

import re

from curate.pii import lexicon

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame", "lord", "lady", "rev", "fr", "st"}
PARTICLES = {"van", "von", "de", "del", "della", "der", "den", "da", "di", "du", "la", "le", "bin", "binti", "al", "el",
             "dos", "das", "ter", "ten", "y", "e"}
_CAMEL_OK = re.compile(r"^(?:Mc|Mac|O'|O’|D'|D’|De|Di|Da|Du|La|Le|Van|Von|Fitz)[A-Z]")
_SPLIT = re.compile(r"[^\s:\"“”<>()\[\]{}|/]+")
_STRIP = ",;.!?'’-*_"
_TOKEN_OK = re.compile(r"^[^\W\d_]+(?:['’.\-][^\W\d_]*)*\.?$")  # letters, with inner ' ’ - . (O'Neil, Anne-Marie, J.)
_MENU_BEFORE = re.compile(r"\w\W{0,2}\s*(?:>|›|→)\s*$")
_MENU_AFTER = re.compile(r"\s*(?:>|›|→)\s*\w")
_CUE = re.compile(r"(?i)(?:\bname(?:\s+is|'s|’s|:)|\bi\s+am|\bi'm|\bi’m|\bthis\s+is|\bcall\s+me|\bsigned|\bregards,?"
                  r"|\bsincerely,?|\bcheers,?|\bthanks,?|\bthank\s+you,?|\bdear|\bhi|\bhello|\bhey|\bcontact"
                  r"|\b(?:mr|mrs|ms|miss|mx|dr|prof|sir)\.?"
                  r"|\b(?:my|our|his|her|their|your)\s+(?:kid|son|daughter|child|wife|husband|partner|friend|brother"
                  r"|sister|mother|father|mom|mum|dad|colleague|boss|manager|neighbou?r))\s*[,:]?\s*$")


def _is_acronym(tok: str) -> bool:
    return tok.isupper() and len(tok) <= 4


def _plain_word(tok: str, entity: str) -> bool:
    """A word that, capitalised in running text, is more likely the word than a name."""
    w = re.sub(r"(?:'s|’s|[.'’])$", "", tok)
    if entity == "PERSON" and _is_acronym(w):
        return True  # "Download PDF": a person is not an acronym
    if entity == "LOCATION" and _is_acronym(w):
        return False  # "US", "UK", "UAE"
    if not lexicon.is_common_word(w):
        return False
    low = w.lower()
    if low in lexicon.person_names():
        return False  # a common name; places named after people too (Austin, Jackson, Madison)
    return entity == "PERSON" or low not in lexicon.place_names()


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The words of text[start:end] on its first line, split at quotes and colons, punctuation stripped."""
    nl = text.find("\n", start, end)
    line_end = end if nl < 0 else nl
    out = []
    for m in _SPLIT.finditer(text[start:line_end]):
        w = m.group().strip(_STRIP)
        if w:
            a = start + m.start() + m.group().index(w)
            out.append((a, a + len(w), w))
    return out


def _bad(word: str, lowercase_text: bool, first: bool) -> bool:
    """A word that cannot be part of a name (or, `first`, cannot start one)."""
    if not _TOKEN_OK.match(word) or "â€" in word or "Ã" in word:
        return True  # digits ("S22"), symbols, mojibake
    if first and not lowercase_text and not word[0].isupper():
        return True  # "the App Store", "ex-Zombie Lundberg": in text with capitals a name starts with one
    for part in word.split("-"):  # a capital after a hyphen is fine: Anne-Marie
        if any(c.isupper() for c in part[1:]) and not part.isupper() and not _CAMEL_OK.match(part):
            return True  # camel case: FitLife, PayPal (McDonald, MacArthur, O'Neill are names)
    return False


POST_NOMINALS = {"II", "III", "IV", "VI", "JR", "SR", "MD", "DDS", "DVM", "PHD", "ESQ", "CPA", "RN", "MBA", "OBE", "MBE",
                 "KC", "QC", "DO", "PA", "NP"}
_LIST_BEFORE = re.compile(r"([A-Z][\w'’-]*)\s*(?:,|,?\s+(?:and|or|&))\s+$")
_LIST_AFTER = re.compile(r"^\s*(?:,|,?\s+(?:and|or|&))\s+([A-Z][\w'’-]*)\b")


def _listed_with_things(text: str, start: int, end: int) -> bool:
    """A one-word PERSON listed next to a capitalised word that is a plain word, not a name."""
    before = _LIST_BEFORE.search(text[max(0, start - 40):start])
    after = _LIST_AFTER.match(text[end:end + 40])
    return any(m and _plain_word(m.group(1), "PERSON") for m in (before, after))


def plausible(text: str, start: int, end: int, entity: str, *, lowercase_text: bool) -> tuple[int, int] | None:
    """(start, end) of the name inside text[start:end], or None: not a name.

    NER spans are loose ("the App Store", "ex-Zombie Lundberg", "Alberico Rizzo\n>Barnett"), so
    words that cannot start or end a name are trimmed from the edges first and the span is cut at
    a line break. `lowercase_text`: the whole text has no capital, so capitals cannot be asked for."""
    toks = _tokens(text, start, end)
    while toks and _bad(toks[0][2], lowercase_text, True):
        toks.pop(0)
    while toks and _bad(toks[-1][2], lowercase_text, False):
        toks.pop()
    if not toks or any(_bad(w, lowercase_text, False) for _, _, w in toks):
        return None
    words = [w for _, _, w in toks]
    line_before = text[text.rfind("\n", 0, toks[0][0]) + 1:toks[0][0]]
    line_after = text[toks[-1][1]:].split("\n", 1)[0]
    if _MENU_BEFORE.search(line_before) or _MENU_AFTER.match(line_after):
        return None  # "Settings > Security" (a ">" opening a line is an e-mail quote, not a menu)
    core = [w for w in words if w.lower().rstrip(".") not in TITLES and w.lower() not in PARTICLES]
    if not core:
        return None  # "Sir", "Dr."
    if entity == "PERSON" and not _CUE.search(text[max(0, toks[0][0] - 40):toks[0][0]]):
        if len(core) == 1 and re.search(rf"\b{re.escape(core[0].lower())}\b", text) and not core[0].islower():
            return None  # "The Wolf howled ... the wolf ran": the text itself writes it as a common noun
        if len(core) > 1 and not all(w.isupper() for w in core) and any(
                _is_acronym(w) and len(w) > 1 and w.upper().rstrip(".") not in POST_NOMINALS for w in core):
            return None  # "Raspberry Pi OS", "Visual Studio IDE": a product, not a person (but "Kevin Veitonen II")
        if len(core) == 1 and _listed_with_things(text, toks[0][0], toks[-1][1]):
            return None  # "Twitter, Instagram and Facebook": listed with words that are not names
    titled = len(core) < len(words) and entity == "PERSON"
    known_place = entity == "LOCATION" and " ".join(core).lower() in lexicon.place_names()  # "United Kingdom"
    if not titled and not known_place and not _CUE.search(text[max(0, toks[0][0] - 40):toks[0][0]]):
        if all(_plain_word(w, entity) or (not lowercase_text and w[:1].islower()) for w in core):
            return None  # plain words; in text that uses capitals a word in lower case is not a name either
    return toks[0][0], toks[-1][1]


def pattern_plausible(text: str, start: int, end: int, entity: str) -> bool:
    """False for pattern hits that cross a line break, not personal data. (Phone numbers in
    formulas are the phone recognizer's own business: phones.py.)"""
    if entity == "STREET_ADDRESS" and "\n" in text[start:end].strip():
        return False
    return True
