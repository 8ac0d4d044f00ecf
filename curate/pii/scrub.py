"""Scrub PII out of a record's text fields: redact, mask or pseudonymize (used by `curate clean`).

    new_texts, changes = scrub_record(record["fields"], spans, mode="pseudonymize", pseudonymizer=p)

Spans are replaced right to left so earlier offsets stay valid; overlapping spans are resolved
first (the longer one wins, then the higher score). `changes` describes each replacement by
field, type and offsets, never by value: the originals may only ever reach the mapping file the
user opts into (`Pseudonymizer.mapping`).
"""

from __future__ import annotations

import hashlib
import random
import re
import string

MODES = ("redact", "mask", "pseudonymize")

FIRST = ["Alex", "Maria", "Sam", "Priya", "Jonas", "Elena", "Omar", "Grace", "Lucas", "Aiko", "Daniel", "Fatima",
         "Noah", "Ingrid", "Mateo", "Chloe", "Ravi", "Sofia", "Tomas", "Leila", "Ethan", "Nadia", "Hugo", "Mei",
         "Victor", "Amara", "Felix", "Hana", "Oscar", "Zara", "Liam", "Elif", "Marco", "Yara", "Owen", "Ines"]
LAST = ["Keller", "Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Brennan", "Costa", "Varga",
        "Sato", "Mendes", "Fischer", "Ibrahim", "Walsh", "Kowalski", "Duarte", "Nakamura", "Petrov", "Quinn",
        "Rossi", "Schmidt", "Larsen", "Alvarez", "Dubois", "Kim", "Osei", "Horvat", "Berg", "Ferreira"]
CITIES = ["Riverton", "Lakemont", "Eastbrook", "Millford", "Stonebridge", "Oakvale", "Westhaven", "Brightwater",
          "Fairport", "Glenrock", "Ashford", "Maplewood"]
STREETS = ["Maple", "Cedar", "Elm", "Willow", "Harbor", "Hillcrest", "Orchard", "Lakeview", "Birch", "Meadow"]
SUFFIXES = ["Street", "Avenue", "Road", "Lane", "Drive", "Court"]
TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mr.", "mrs.", "ms.", "dr.", "prof."}


def non_overlapping(spans: list[dict]) -> list[dict]:
    """Keep, among overlapping spans, the longer one (then the higher score); sorted by start."""
    kept: list[dict] = []
    for s in sorted(spans, key=lambda s: (-(s["end"] - s["start"]), -s.get("score", 0), s["start"])):
        if all(s["end"] <= k["start"] or k["end"] <= s["start"] for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s["start"])


# ---- mask: same length, same shape ---------------------------------------------------------------

def mask_value(value: str, entity_type: str) -> str:
    """A same-length masked form that shows the shape, not the value: j***@e******.com,
    **** **** **** 4242, J*** S****. Safe for evidence in reports and logs."""
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.partition("@")
        host, dot, tld = domain.rpartition(".")
        host = host or tld if not dot else host
        tld = tld if dot else ""
        return _keep_first(local) + "@" + _keep_first(host) + (dot + tld if dot else "")
    if entity_type == "CREDIT_CARD":
        digits = sum(c.isdigit() for c in value)
        seen, out = 0, []
        for c in value:
            if c.isdigit():
                seen += 1
                out.append(c if seen > digits - 4 else "*")
            else:
                out.append(c)
        return "".join(out)
    if entity_type == "PERSON":
        return re.sub(r"\w+", lambda m: _keep_first(m.group()), value)
    if entity_type in ("URL", "IP_ADDRESS", "LOCATION", "STREET_ADDRESS", "NRP", "DATE_TIME"):
        return re.sub(r"\w", "*", value)
    return re.sub(r"\S", "*", value)  # secrets, numbers: only whitespace survives


def _keep_first(word: str) -> str:
    return word[:1] + "*" * (len(word) - 1) if len(word) > 1 else "*"


# ---- pseudonymize: realistic, consistent fakes ---------------------------------------------------

class Pseudonymizer:
    """Maps each original value to one realistic fake, the same one everywhere it appears.

    The fake is chosen by a keyed hash of the value (so it does not depend on record order), and
    two different originals never share a fake. `mapping` ({original: replacement}) holds real
    PII: it is only written where the user explicitly asks (a separate file), never to a report.
    """

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.mapping: dict[str, str] = {}
        self._taken: dict[str, str] = {}  # replacement -> original
        self._person_tokens: dict[str, str] = {}

    def _rng(self, kind: str, key: str, salt: int = 0) -> random.Random:
        h = hashlib.sha256(f"{self.seed}\x00{kind}\x00{key}\x00{salt}".encode()).digest()
        return random.Random(int.from_bytes(h[:8], "big"))

    def _unique(self, kind: str, key: str, make) -> str:
        for salt in range(1000):
            rng = self._rng(kind, key, salt)
            rng.widen = salt >= 40  # small pools exhausted: compose two items ("Maria-Elena", "North Oakvale")
            fake = make(rng)
            if salt >= 400:  # even the composed pools are used up (a huge dataset): number the fake
                fake = f"{fake} {salt}"
            if self._taken.get(fake, key) == key and fake != key:
                self._taken[fake] = key
                return fake
        raise RuntimeError(f"no unused pseudonym for a {kind} value after 1000 tries")

    def replace(self, value: str, entity_type: str) -> str:
        key = " ".join(value.split())
        if entity_type in ("EMAIL_ADDRESS", "URL"):
            key = key.lower()
        if key in self.mapping:
            return self.mapping[key]
        if entity_type == "PERSON":
            fake = self._person(value)
        else:
            make = _MAKERS.get(entity_type)
            fake = self._unique(entity_type, key, (lambda r: make(r, value)) if make else
                                (lambda r: f"<{entity_type}_{r.randrange(10**6):06d}>"))
        self.mapping[key] = fake
        return fake

    def _person(self, value: str) -> str:
        """Token by token, so "Jane Doe" -> "Maria Keller" and a later "Jane" -> "Maria"."""
        tokens = re.findall(r"[^\W\d_][\w'.-]*", value)
        if not tokens:
            return self._unique("PERSON", value, lambda r: _pick(r, FIRST, "-"))
        named = [t for t in tokens if t.lower() not in TITLES]
        out = value
        for i, tok in enumerate(tokens):
            if tok.lower() in TITLES:
                continue
            if tok not in self._person_tokens:
                pool = FIRST if (tok == named[0] and len(named) > 1) or len(named) == 1 else LAST
                if len(named) == 1 and tokens[0].lower() in TITLES:
                    pool = LAST  # "Mr. Smith"
                self._person_tokens[tok] = self._unique("PERSON_TOKEN", tok, lambda r: _pick(r, pool, "-"))
            out = re.sub(rf"(?<!\w){re.escape(tok)}(?!\w)", self._person_tokens[tok], out, count=1)
        return out


def _pick(r: random.Random, pool: list[str], joiner: str) -> str:
    first = r.choice(pool)
    return first + joiner + r.choice(pool) if getattr(r, "widen", False) else first


def _digits_like(r: random.Random, value: str) -> str:
    return "".join(str(r.randrange(10)) if c.isdigit() else c for c in value)


def _card(r: random.Random, value: str) -> str:
    n = sum(c.isdigit() for c in value)
    body = [4, 0, 0, 0] + [r.randrange(10) for _ in range(max(0, n - 5))]
    total = 0
    for i, d in enumerate(reversed(body)):  # Luhn check digit over body + check
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits = iter(body + [(10 - total % 10) % 10])
    return "".join(str(next(digits)) if c.isdigit() else c for c in value)


def _ssn(r: random.Random, value: str) -> str:
    # area numbers 900-999 are never issued, so the fake cannot be a real person's SSN
    d = [9, r.randrange(10), r.randrange(10)] + [r.randrange(1, 10) for _ in range(6)]
    it = iter(d)
    return "".join(str(next(it, 0)) if c.isdigit() else c for c in value)


def _iban(r: random.Random, value: str) -> str:
    compact = re.sub(r"\s", "", value)
    country = compact[:2].upper() if compact[:2].isalpha() else "GB"
    bban = "".join(str(r.randrange(10)) if c.isdigit() else r.choice(string.ascii_uppercase) for c in compact[4:])
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = f"{98 - int(num) % 97:02d}"
    fake, it = country + check + bban, iter(country + check + bban)
    out = "".join(c if c.isspace() else next(it, "") for c in value)
    return out + "".join(it) if len(out.replace(" ", "")) < len(fake) else out


def _ip(r: random.Random, value: str) -> str:
    if ":" in value:
        return f"2001:db8::{r.randrange(1, 0xffff):x}"  # RFC 3849 documentation prefix
    return f"192.0.2.{r.randrange(1, 255)}"  # RFC 5737 TEST-NET-1


def _api_key(r: random.Random, value: str) -> str:
    m = re.match(r"(sk-(?:live-|test-|proj-|ant-)?|(?:sk|pk|rk)_(?:live|test)_|AKIA|ASIA|gh[pousr]_|github_pat_|"
                 r"xox[abpors]-|AIza|hf_|glpat-)", value)
    prefix = m.group() if m else ""
    alphabet = string.ascii_uppercase + string.digits if prefix in ("AKIA", "ASIA") else string.ascii_letters + string.digits
    return prefix + "".join(r.choice(alphabet) for _ in range(len(value) - len(prefix)))


def _private_key(r: random.Random, value: str) -> str:
    body = "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(64))
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"


_MAKERS = {
    "EMAIL_ADDRESS": lambda r, v: f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower()}{r.randrange(100)}@example.com",
    "PHONE_NUMBER": _digits_like,
    "CREDIT_CARD": _card,
    "US_SSN": _ssn,
    "IBAN_CODE": _iban,
    "IP_ADDRESS": _ip,
    "URL": lambda r, v: ("https://" if "://" in v else "") + f"www.example-{r.randrange(10**4)}.com",
    "LOCATION": lambda r, v: (r.choice(["North ", "South ", "East ", "West ", "New ", "Port ", "Upper ", "Lake "])
                              if getattr(r, "widen", False) else "") + r.choice(CITIES),
    "STREET_ADDRESS": lambda r, v: f"{r.randrange(1, 9999)} {r.choice(STREETS)} {r.choice(SUFFIXES)}",
    "API_KEY": _api_key,
    "PASSWORD": lambda r, v: "".join(r.choice(string.ascii_letters + string.digits) for _ in range(max(8, len(v)))),
    "PRIVATE_KEY": _private_key,
    "DATE_TIME": lambda r, v: f"{r.choice(['March', 'June', 'October'])} {r.randrange(1, 29)}, {r.randrange(1990, 2020)}",
    "NRP": lambda r, v: _pick(r, ["Canadian", "Norwegian", "Chilean", "Kenyan", "Irish", "Peruvian"], "-"),
}


# ---- the API `curate clean` uses -----------------------------------------------------------------

def scrub_text(text: str, spans: list[dict], *, mode: str, pseudonymizer: Pseudonymizer | None = None,
               field: str = "") -> tuple[str, list[dict]]:
    """Replace `spans` (offsets into `text`) right to left; return the new text and the changes."""
    changes = []
    for s in reversed(non_overlapping(spans)):
        start, end, etype = s["start"], s["end"], s["entity_type"]
        if not (0 <= start < end <= len(text)):
            raise ValueError(f"field '{field}': PII span {start}:{end} ({etype}) is outside the text "
                             f"({len(text)} chars); the pii signals are stale, re-run `curate audit`")
        value = text[start:end]
        if mode == "redact":
            new, kind = f"<{etype}>", "placeholder"
        elif mode == "mask":
            new, kind = mask_value(value, etype), "mask"
        else:
            new, kind = pseudonymizer.replace(value, etype), "pseudonym"
        text = text[:start] + new + text[end:]
        changes.append({"field": field, "entity_type": etype, "start": start, "end": end, "replacement_kind": kind})
    changes.reverse()
    return text, changes


def scrub_record(fields: list[dict], spans: list[dict], *, mode: str,
                 pseudonymizer: "Pseudonymizer | None" = None) -> tuple[dict[str, str], list[dict]]:
    """Scrub a record's fields ({name, role, text}) of its `pii_spans`.

    Returns {field name: new text} for the fields that changed, and the changes
    ({field, entity_type, start, end, replacement_kind}; offsets into the original text).
    """
    if mode not in MODES:
        from curate.errors import CurateError

        raise CurateError(f"unknown PII scrub mode '{mode}'", fix=f"use one of: {', '.join(MODES)} (or drop)")
    if mode == "pseudonymize" and pseudonymizer is None:
        pseudonymizer = Pseudonymizer()
    by_field: dict[str, list[dict]] = {}
    for s in spans:
        by_field.setdefault(s["field"], []).append(s)
    names = {f["name"] for f in fields}
    missing = sorted(set(by_field) - names)
    if missing:
        raise ValueError(f"PII spans name fields the record does not have: {missing}; re-run `curate audit`")
    new_texts, changes = {}, []
    for f in fields:  # in field order, so pseudonyms are assigned in reading order
        if f["name"] not in by_field:
            continue
        new, ch = scrub_text(f["text"], by_field[f["name"]], mode=mode, pseudonymizer=pseudonymizer, field=f["name"])
        if new != f["text"]:
            new_texts[f["name"]] = new
        changes.extend(ch)
    return new_texts, changes
