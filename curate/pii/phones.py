"""Phone numbers: a candidate by shape, kept by the evidence around it, never a number in a formula.

presidio's PhoneRecognizer runs python-phonenumbers' matcher over 8 regions: it misses the
international and extension forms people write (`+41 (0)69 979 80 58`, `001-755-329-4431`,
`877-547-3967x793`, `(85) 5986-8343`) and, since almost any 7-15 digits are a *valid* number in
some region, it also reads `0.621371`, digits of pi and `-2147483648` as phones. Validity alone is
weak evidence, so a candidate is scored on three things:

1. shape: an international prefix (`+41`, `0041`, `001`, `011`), an area code in parentheses, an
   extension (`x793`, `ext. 12`), or digit groups of 2-5 with the same separator repeated;
2. a phone word before it (`Phone:`, `call me on`, `fax`) or a line label after it (`... office`);
3. validity: python-phonenumbers accepts it for its own prefix, or for one of many regions.

and rejected outright when it is a number, not a phone: a decimal (`3.14159265`), a signed
number, an operand next to an operator (`100 * 0.621371`, `= 2147483648`), a date, an IPv4
address, a thousands-grouped amount without a phone word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from curate.pii.recognizers import Span

NAME = "PhoneRecognizer"
# a run of digits with phone punctuation on one line, an optional extension after it
CANDIDATE = re.compile(
    r"(?<![\w.+\-/])(?:\+|(?=\()|\b)(?:\(?\d[\d \t().\-]*\d|\d{7,})(?:[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6}\b)?")
_EXT = re.compile(r"[ \t]?(?:x|ext\.?|extension)[ \t]?(\d{1,6})$")
_INTL = re.compile(r"^(?:\+\s?\d|00\d|011[\s.-]?\d)")
_INTL_US = re.compile(r"^001[\s.-]")  # the US/Canada number dialled from abroad: 001-755-329-4431
_AREA_PAREN = re.compile(r"^\+?\d{0,3}\s?\(\d{1,4}\)|\(0\)")
_GROUPS = re.compile(r"\d+")
_SEPARATORS = re.compile(r"[ \t.\-]+")
_DECIMAL = re.compile(r"^\d+\.\d+$")
_DATE = re.compile(r"\b(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})\b")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([ .])\d{3})(?:\1\d{3})*$")  # 1 000 000, 12.500.000
_OPERATOR_BEFORE = re.compile(r"(?:[=*/×÷^<>%]|\*\*|[\w)\]]\s*[-+])\s*\Z")
_OPERATOR_AFTER = re.compile(r"^\s*(?:[=*/×÷^<>%]|[-+]\s*[\d(]|\.\d)")
_SIGN_BEFORE = re.compile(r"(?:^|[\s(\[,=:])[-−]\Z")  # "-2147483648": a signed number
_NUMBER_WORD_AFTER = re.compile(r"^\s*(?:%|percent|dollars|euros|km|miles|kg|lbs?|meters|metres|years|times|"
                                r"digits|bytes|[kmgt]b\b|ms\b|seconds)", re.I)
# what people write before or after a phone number (presidio's phone context, and the labels of
# contact cards and signatures)
_CONTEXT_BEFORE = re.compile(
    r"(?i)\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|call|calling|dial|ring|text|sms|whatsapp|contact|"
    r"reach|hotline|helpline|desk|office|number|ph|mob|landline)\b\W{0,3}(?:\w+\W+){0,4}$")
# "card number", "social security number": the number is someone's, but not a phone
_OTHER_NUMBER = re.compile(r"(?i)\b(?:card|credit|debit|social|security|ssn|licen[cs]e|passport|account|acct|routing|"
                           r"iban|order|invoice|tracking|policy|member|customer|employee|student|serial|id|isbn)\b")
_PHONE_WORD = re.compile(r"(?i)\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|call|whatsapp|sms)\b")
_CONTEXT_AFTER = re.compile(r"(?i)^\W{0,3}(?:office|fax|mobile|cell|home|work|phone|tel)\b")
REGIONS = ("US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT", "PL", "CZ",
           "HU", "AU", "NZ", "IN", "BR", "MX", "ZA", "IL", "JP", "CA")
SCORE_STRONG = 0.75  # shape and validity agree: an international or extension number, a grouped valid one
SCORE_CONTEXT = 0.65  # a phone word next to a plausible number
SCORE_WEAK = 0.3  # plausible, but nothing says phone: under the stage's 0.4 threshold


@lru_cache(maxsize=4096)
def valid_somewhere(number: str) -> bool:
    import phonenumbers

    digits = re.sub(r"[^\d+]", "", number)
    if _INTL_US.match(number):
        digits = "+1" + digits[3:]
    elif digits.startswith("011"):
        digits = "+" + digits[3:]
    elif digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(digits.replace("+0", "+"), None))
        except phonenumbers.NumberParseException:
            return False
    for region in REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop trailing separators and an unbalanced '(' or ')' at the edges."""
    while end > start and text[end - 1] in " \t.-(":
        end -= 1
    span = text[start:end]
    if span.endswith(")") and span.count("(") < span.count(")"):
        end -= 1
    if span.startswith("(") and ")" not in span:
        start += 1
    return start, end


def is_number_not_phone(text: str, start: int, end: int, body: str) -> bool:
    """A decimal, a signed number, an operand, a date, an IP address: not a phone."""
    before, after = text[max(0, start - 12):start], text[end:end + 12]
    if _DECIMAL.match(body) or _IPV4.match(body) or _DATE.search(text[max(0, start - 11):end + 11]):
        return True
    if re.search(r"\d\s*[/*×÷^]\s*\d|\d\s+[-+]\s+\d", body):
        return True  # arithmetic inside: "60000 - 10800", "4000/2000"
    if _SIGN_BEFORE.search(before) or _OPERATOR_BEFORE.search(before) or _OPERATOR_AFTER.match(after):
        return True
    if re.search(r"[\d.]\Z", before) or _NUMBER_WORD_AFTER.match(after) or re.search(r"[$€£¥]\s*\Z", before):
        return True  # part of a longer number, an amount, a quantity
    if re.match(r"T\d\d:\d\d", after) or re.search(r"\d{4}-\d\d-\d\dT?\Z", text[max(0, start - 11):end]):
        return True  # an ISO timestamp, "2022-09-24T00:00:00"
    core = re.sub(r"^(?:\+|00|011)[\s.-]?\d{1,3}|\(0\)", "", body)  # a country code and a "(0)" trunk are one digit by design
    groups = _GROUPS.findall(core)
    if sum(len(g) == 1 for g in groups) >= 2:
        return True  # "3 9 5 2 11 1", "1 2 3 4 5 6 7 8 9 10": a list of numbers; phones group 2-4 digits
    return False


def score(text: str, start: int, end: int) -> float:
    """How sure text[start:end] is a phone number (0: it is not)."""
    span = text[start:end]
    ext = _EXT.search(span)
    body = span[:ext.start()] if ext else span
    digits = sum(c.isdigit() for c in body)
    if not 7 <= digits <= 15 or is_number_not_phone(text, start, end, body):
        return 0.0
    groups = _GROUPS.findall(body)
    seps = {s for s in _SEPARATORS.findall(re.sub(r"[()]", " ", body).strip()) if s}
    intl = bool(_INTL.match(body) or _INTL_US.match(body))
    paren = bool(_AREA_PAREN.search(body))
    grouped = (len(groups) >= 3 and len({s.strip() or " " for s in seps}) == 1
               and all(1 <= len(g) <= 5 for g in groups[1:]) and not _THOUSANDS.match(body)
               and not re.fullmatch(r"\d{3}-\d{2}-\d{4}", body))  # an SSN's shape
    before = text[max(0, start - 60):start]
    phone_word = _CONTEXT_BEFORE.search(before)
    if _OTHER_NUMBER.search(before[-40:]) and not (phone_word and _PHONE_WORD.search(phone_word.group())):
        return SCORE_WEAK  # "my credit card number is", "license number": someone's number, not a phone
    context = bool(phone_word or _CONTEXT_AFTER.match(text[end:end + 12]))
    if (intl or paren or ext or grouped) and valid_somewhere(body):
        return SCORE_STRONG
    if context and (valid_somewhere(body) or len(groups) >= 2):
        return SCORE_CONTEXT
    return SCORE_WEAK


def find_phones(text: str) -> list[Span]:
    out = []
    for m in CANDIDATE.finditer(text):
        start, end = _trim(text, m.start(), m.end())
        s = score(text, start, end)
        if s > 0:
            out.append(Span(start, end, "PHONE_NUMBER", s, NAME))
    return out
