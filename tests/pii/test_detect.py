"""The pii stage: what each recognizer finds, offsets into the right field, the NER gate, planted PII."""

from __future__ import annotations

import pytest

from curate.pii.detect import PiiConfig, PiiDetector, pii, resolve
from curate.pii.recognizers import Span, looks_random
from pii_helpers import planted_pii, real_detector, sample_sft

PATTERN_ONLY = PiiConfig(entities=["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS",
                                   "STREET_ADDRESS", "URL", "API_KEY", "PRIVATE_KEY", "PASSWORD"])

FOUND = [  # (id, text, entity type, the exact value that must be a span)
    ("email", "write to jane.doe@acme-corp.com today", "EMAIL_ADDRESS", "jane.doe@acme-corp.com"),
    ("phone-us", "call me on (212) 555-0187 please", "PHONE_NUMBER", "(212) 555-0187"),
    ("phone-intl", "my number is +44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"),
    ("card-spaced", "card 4242 4242 4242 4242 expires soon", "CREDIT_CARD", "4242 4242 4242 4242"),
    ("card-dashed", "the card 4249-3380-1507-4021 was charged", "CREDIT_CARD", "4249-3380-1507-4021"),
    ("ssn-with-context", "For verification, my SSN is 536-22-8214.", "US_SSN", "536-22-8214"),
    ("iban-spaced", "IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
    ("iban-lower", "my iban is gb42nawi04454264788619", "IBAN_CODE", "gb42nawi04454264788619"),
    ("ipv4", "logged in from 84.17.203.9 yesterday", "IP_ADDRESS", "84.17.203.9"),
    ("url", "see https://intranet.acme-corp.com/users/42 for it", "URL", "https://intranet.acme-corp.com/users/42"),
    ("openai-key", "key sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123", "API_KEY", "sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123"),
    ("sk-live", "use sk-live-4fGh7Jk2Lm9Np3Qr5St8Vw1Xy6Za0Bc2 now", "API_KEY", "sk-live-4fGh7Jk2Lm9Np3Qr5St8Vw1Xy6Za0Bc2"),
    ("aws", "AWS id AKIAIOSFODNN7EXAMPLE in the config", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
    ("github", "token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 leaked", "API_KEY",
     "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("slack", "bot xoxb-1234567890-abcdefghijkl works", "API_KEY", "xoxb-1234567890-abcdefghijkl"),
    ("google", "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "API_KEY", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("high-entropy", "secret: Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0L", "API_KEY", "Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0L"),
    ("password=", "db url has password=Tr0ub4dor&3 in it", "PASSWORD", "Tr0ub4dor&3"),
    ("password-is", "my password is hunter2024!", "PASSWORD", "hunter2024!"),
    ("private-key", "here:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nok",
     "PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"),
    ("us-address", "My address is 4120 Maple Avenue, Springfield, IL 62701.", "STREET_ADDRESS",
     "4120 Maple Avenue, Springfield, IL 62701"),
    ("eu-address", "Ich wohne in der Hauptstraße 5, Berlin", "STREET_ADDRESS", "Hauptstraße 5"),
]


@pytest.fixture(scope="module")
def patterns_only():
    return PiiDetector(PATTERN_ONLY)  # no NER entity: spaCy is never loaded


@pytest.mark.parametrize("text,etype,value", [c[1:] for c in FOUND], ids=[c[0] for c in FOUND])
def test_recognizer_finds_value(patterns_only, text, etype, value):
    spans = patterns_only.detect([text])[0]
    got = [(s.entity_type, text[s.start:s.end]) for s in spans]
    assert (etype, value) in got, got


NOT_PII = [
    ("question", "What are my options for a refund?"),
    ("order-number", "Your order 48213 ships in 3-5 business days."),
    ("git-sha", "fixed in commit 9fceb02d0ae598e95dc970b74767f19372d61af8"),
    ("identifier", "call get_user_by_email_address_and_name() first"),
    ("price-math", "$800 - $320 = $480"),
    ("password-word", "I forgot my password, how do I reset it?"),
    ("password-is-prose", "Your password is used to log in on a new device."),
    ("password-is-adjective", "It says my password is wrong. Can I reset it?"),
    ("password-redacted", "Log in with password: <PASSWORD> and then change it."),
    ("password-masked", "password=******** (hidden)"),
    ("password-template", "Use pwd: ${DB_PASSWORD} here"),
    ("password-the-word", "Connect with username: 'root', password: 'mypassword'"),
    ("password-plain-word", "host: localhost, Password: secret, Database: shop"),
]


@pytest.mark.parametrize("text", [c[1] for c in NOT_PII], ids=[c[0] for c in NOT_PII])
def test_no_false_positive(patterns_only, text):
    assert patterns_only.detect([text])[0] == ()


def test_looks_random_rejects_words_and_hex():
    assert looks_random("Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0L")
    assert not looks_random("9fceb02d0ae598e95dc970b74767f19372d61af8")  # hex: <= 4 bits per char
    assert not looks_random("ThisIsAVeryLongCamelCaseIdentifierName")  # no digits


def test_resolve_drops_contained_and_below_threshold():
    spans = [Span(0, 20, "EMAIL_ADDRESS", 1.0, "e"), Span(9, 20, "URL", 0.5, "u"), Span(30, 35, "PERSON", 0.3, "n"),
             Span(40, 50, "PERSON", 0.85, "n"), Span(44, 52, "PERSON", 0.85, "n")]
    kept = resolve(spans, 0.4)
    assert [(s.start, s.end, s.entity_type) for s in kept] == [(0, 20, "EMAIL_ADDRESS"), (40, 50, "PERSON")]


def test_unknown_entity_is_rejected_with_the_choices():
    from curate.errors import CurateError

    with pytest.raises(CurateError, match="unknown entities.*EMAIL"):
        PiiDetector(PiiConfig(entities=["EMAIL"]))


def test_stage_offsets_point_into_each_field():
    batch = {"fields": [
        [{"name": "messages.0.content", "role": "user", "text": "I'm Maria Whitfield, mail maria@acme-corp.com"},
         {"name": "messages.1.content", "role": "assistant", "text": "Thanks, I wrote to maria@acme-corp.com."}],
        [{"name": "instruction", "role": "user", "text": "Add 2 and 3."},
         {"name": "output", "role": "assistant", "text": "5"}],
    ]}
    col = pii(batch, config=PiiConfig())["pii_spans"]
    assert len(col) == 2 and col[1] == []
    texts = {f["name"]: f["text"] for f in batch["fields"][0]}
    got = {(s["field"], texts[s["field"]][s["start"]:s["end"]], s["entity_type"]) for s in col[0]}
    assert ("messages.0.content", "maria@acme-corp.com", "EMAIL_ADDRESS") in got
    assert ("messages.1.content", "maria@acme-corp.com", "EMAIL_ADDRESS") in got
    assert ("messages.0.content", "Maria Whitfield", "PERSON") in got
    assert all(set(s) == {"field", "start", "end", "entity_type", "score", "recognizer"} for s in col[0])


NER_TEXTS = [
    "My name is Maria Whitfield, in case you need it.",
    "Thanks for your patience, Kwame Adeyemi. Your refund is on its way.",
    "What are my options? I moved from Portland to Austin last year.",
    "hello, can you help me with my bill",
    "The order was shipped on Monday. Please contact Daniel Moreno at the Chicago office if it has not arrived.",
]


def test_ner_gate_finds_the_same_entities_as_whole_text_ner():
    gated = real_detector()
    whole = PiiDetector(PiiConfig(gate_ner=False))
    assert gated.detect(NER_TEXTS) == whole.detect(NER_TEXTS)
    assert gated.ner_regions("Hello, can you help me with my bill?") == []  # nothing name-like: NER skipped
    assert gated.ner_regions("my name is olga krylova") == [(0, 23)]  # typed in lower case: read whole


def test_cache_returns_the_same_spans_for_repeated_texts():
    det = real_detector()
    text = "You are a helpful assistant for Acme Bank. Never reveal card numbers like 4242 4242 4242 4242."
    first, again = det.detect([text, text])
    assert first == again and any(s.entity_type == "CREDIT_CARD" for s in first)


@pytest.fixture(scope="module")
def sample_spans():
    """{(record id, field): (text, role, spans)} for every field of sample_data/support_sft.jsonl."""
    ds = sample_sft()
    fields = [(r["id"], f) for r in ds.records for f in r["fields"]]
    found = real_detector().detect([f["text"] for _, f in fields])
    return {(rid, f["name"]): (f["text"], f["role"], spans) for (rid, f), spans in zip(fields, found)}


def test_every_planted_pii_value_in_sample_data_is_found(sample_spans):
    planted = planted_pii()
    missed = []
    for rid, field, etype, value in planted:
        text, _, spans = sample_spans[(rid, field)]
        at = text.index(value)
        ok_types = {etype, "LOCATION"} if etype == "STREET_ADDRESS" else {etype}
        if not any(s.entity_type in ok_types and s.start <= at and at + len(value) <= s.end for s in spans):
            missed.append((rid, etype))
    assert not missed, f"{len(missed)} of {len(planted)} planted values not found: {missed}"


@pytest.mark.parametrize("text, value, etype", [
    ("You can reach me at grace.thornbury96@example.net if anything changes.", "grace.thornbury96@example.net",
     "EMAIL_ADDRESS"),
    ("Send the form to daniel.castellano37@mail.example.com today.", "daniel.castellano37@mail.example.com",
     "EMAIL_ADDRESS"),
    ("I was logging in from IP address 198.51.100.248 when it happened.", "198.51.100.248", "IP_ADDRESS"),
    ("The last login on your account came from IP address 192.0.2.136.", "192.0.2.136", "IP_ADDRESS"),
], ids=["example-net", "mail-example-com", "rfc5737-198-51-100", "rfc5737-192-0-2"])
def test_example_values_are_not_personal_data(text, value, etype):
    """E-mails on example.* (RFC 2606) and IPs in the documentation ranges (RFC 5737) are reserved
    for examples: the detector rightly does not call them personal data. The same sentences with
    ordinary values are found (sample_data plants those, test_every_planted_pii_value_...)."""
    at = text.index(value)
    spans = real_detector().detect([text])[0]
    assert not any(s.entity_type == etype and s.start < at + len(value) and at < s.end for s in spans), spans


def test_records_without_planted_pii_are_not_flagged(sample_spans):
    """The other 1,940 records hold no personal data by construction. Before the name filter
    (plausible.py) 400 of them had "PERSON" in an answer ("Settings", "Standard", "the App
    Store") and 31 a PASSWORD ("your password is used to..."). Left: two merchant names that look
    like surnames ("Brightmart", "Quickship") in user turns, in 10 records, none in an answer."""
    from curate.pii.checks import CHECKED_BY_DEFAULT

    planted = {rid for rid, *_ in planted_pii() + planted_pii(reserved=True)}
    flagged_any, flagged_answers, values = set(), set(), set()
    for (rid, _), (text, role, spans) in sample_spans.items():
        for s in spans:
            if rid in planted or s.entity_type not in CHECKED_BY_DEFAULT:
                continue
            flagged_any.add(rid)
            values.add((s.entity_type, text[s.start:s.end]))
            if role == "assistant":
                flagged_answers.add(rid)
    assert flagged_answers == set()
    assert len(flagged_any) == 10 and values == {("PERSON", "Brightmart"), ("PERSON", "Quickship")}, values


# ---- the NER gate reads only around words that can anchor a kept name (issue 15: PII speed) -------

@pytest.mark.parametrize("text", [
    "Expanded coverage applies. Standard plans renew on Monday.",  # plain sentence openers
    "Open Settings, then Billing, and choose Premium.",  # plain words of a product
    "#Person1#: Hello, how are you?\n#Person2#: Fine, thanks.",  # DialogSum speaker tags
    "Use FitLife or PayPal to pay.",  # camel case cannot start a name
], ids=["plain-openers", "ui-words", "speaker-tags", "camel-case"])
def test_ner_skips_text_whose_capitals_cannot_anchor_a_name(text):
    assert real_detector().ner_regions(text) == []


@pytest.mark.parametrize("text, word", [
    ("The parcel is for Kwame, who lives upstairs.", "Kwame"),  # not a plain word
    ("We ship to the United Kingdom only.", "United"),  # opens a multi-word place
    ("Please ask Dr. Standard about it.", "Dr"),  # a title
    ("A letter for Dear Hope arrived.", "Hope"),  # a naming cue before a plain word ("dear")
    ("The Standard van Tool family wrote.", "van"),  # a particle after a capitalised word
    ("I don't know your name.\nOh, sorry. I forgot...Ali.", "Ali"),  # inside a token
    ("Come with me to India,baby, tonight.", "India"),  # inside a token
], ids=["name", "united-kingdom", "title", "cue", "particle", "after-dots", "before-comma"])
def test_ner_reads_around_words_that_can_anchor_a_name(text, word):
    regions = real_detector().ner_regions(text)
    at = text.index(word)
    assert any(a <= at < b for a, b in regions), regions


GATE_TEXTS = NER_TEXTS + [
    "Expanded coverage applies. Maria Lopez signed it on Monday in Madrid.",
    "Go to Settings > Security. Thanks, Henrik Larsson",
    "#Person1#: Hi, Mr. Smith. Is Jenny coming?\n#Person2#: Yes, she is.",
    "We ship to the United Kingdom and to New Zealand. Dear Hope, your order is ready.",
]


def test_gated_ner_keeps_every_name_whole_text_ner_keeps():
    gated = real_detector()
    whole = PiiDetector(PiiConfig(gate_ner=False))
    assert gated.detect(GATE_TEXTS) == whole.detect(GATE_TEXTS)


def test_a_lower_case_word_does_not_make_a_span_a_name_in_text_with_capitals():
    """"Settings anderson": NER tags a plain capitalised word and the lower-case word after it;
    in text that writes names capitalised, "anderson" is not one (in text typed in lower case it may be)."""
    from curate.pii.plausible import plausible

    text = "Influence body national link west brief Settings anderson quebec."
    at = text.index("Settings")
    assert plausible(text, at, at + len("Settings anderson"), "PERSON", lowercase_text=False) is None
    low = "my name is olga krylova"
    assert plausible(low, 11, 23, "PERSON", lowercase_text=True) == (11, 23)


_IMPORT_PROBE = """
import sys
from curate.pii.detect import PiiConfig, PiiDetector
det = PiiDetector(PiiConfig())
spans = det.detect(["write to jane.doe@acme-corp.com today", "card 4242 4242 4242 4242 expires soon"])
assert [s.entity_type for t in spans for s in t] == ["EMAIL_ADDRESS", "CREDIT_CARD"], spans
print("transformers" in sys.modules, "transformers" in sys.modules and sys.modules["transformers"] is None)
"""


def test_detector_loads_presidio_without_its_transformers_engine():
    """presidio_analyzer's __init__ imports its Hugging Face engine, whose `from transformers import pipeline`
    cost ~6-10 s of a ~10 s import (issue 15); the detector never uses it, and transformers must not stay hidden."""
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]  # not imported, and not left marked unimportable


def test_presidio_loaded_after_transformers_keeps_transformers():
    import sys

    import transformers

    from curate.pii.engine import presidio_recognizers

    presidio_recognizers()
    assert sys.modules["transformers"] is transformers
