"""The spans of a table of tricky texts, pinned: a faster detector must find exactly these.

The expected spans are what the detector found before the speed work of issue 15 (commit a77db86:
names, places, e-mails, phones, IPs, cards, secrets, code, JSON, dialogue transcripts). Each row
is (id, text, [(entity type, value, recognizer, score)]). A row that changes on purpose is
changed here with the reason next to it.
"""

from __future__ import annotations

import pytest

from curate.pii.detect import PiiConfig, PiiDetector
from pii_helpers import real_detector

PINNED = [
    ('name-with-cue', 'My name is Maria Whitfield, in case you need it.',
     [('PERSON', 'Maria Whitfield', 'SpacyRecognizer', 0.85)]),
    ('name-opens-sentence', 'Maria called yesterday about the refund. Daniel said it was fine.',
     [('PERSON', 'Maria', 'SpacyRecognizer', 0.85), ('PERSON', 'Daniel', 'SpacyRecognizer', 0.85)]),
    ('name-after-thanks', 'Thanks for your patience, Kwame Adeyemi. Your refund is on its way.',
     [('PERSON', 'Kwame Adeyemi', 'SpacyRecognizer', 0.85)]),
    ('places', 'What are my options? I moved from Portland to Austin last year.',
     [('LOCATION', 'Austin', 'SpacyRecognizer', 0.85)]),
    ('united-kingdom', 'We only ship to the United Kingdom and the United States for now.',
     [('LOCATION', 'United Kingdom', 'SpacyRecognizer', 0.85), ('LOCATION', 'United States', 'SpacyRecognizer', 0.85)]),
    ('new-york-office', 'Our New York office opens at nine. Call the Chicago team otherwise.',
     [('LOCATION', 'New York', 'SpacyRecognizer', 0.85), ('LOCATION', 'Chicago', 'SpacyRecognizer', 0.85)]),
    ('plain-word-names', 'my name is Will Price and my colleague is Grace Young.',
     []),
    ('dear-hope', 'Dear Hope, your parcel is ready.',
     []),
    ('titled', 'Please ask Dr. Standard or Mr. Brown about it.',
     [('PERSON', 'Standard', 'SpacyRecognizer', 0.85), ('PERSON', 'Brown', 'SpacyRecognizer', 0.85)]),
    ('ui-words', 'Go to Settings > Security, then tap Apps and choose the Standard plan.',
     []),
    ('product-list', 'It works with Twitter, Instagram and Facebook.',
     []),
    ('lowercase-text', 'hello, my name is olga krylova and i live in berlin',
     [('PERSON', 'olga krylova', 'SpacyRecognizer', 0.85), ('LOCATION', 'berlin', 'SpacyRecognizer', 0.85)]),
    ('all-lower-no-name', 'hello, can you help me with my bill',
     []),
    ('dialogsum', "#Person1#: Hello, Mr. Smith. How are you doing today?\n#Person2#: I'm fine, thanks. Is Jenny coming to the party on Friday?\n#Person1#: Yes, she is.",
     [('PERSON', 'Smith', 'SpacyRecognizer', 0.85), ('PERSON', 'Jenny', 'SpacyRecognizer', 0.85)]),
    ('dialogsum-summary', "#Person1# invites Jack to a dinner at Marco's place in Paris.",
     [('PERSON', 'Jack', 'SpacyRecognizer', 0.85), ('LOCATION', 'Paris', 'SpacyRecognizer', 0.85)]),
    ('email', 'write to jane.doe@acme-corp.com today',
     [('EMAIL_ADDRESS', 'jane.doe@acme-corp.com', 'EmailRecognizer', 1.0)]),
    ('email-example', 'You can reach me at grace.thornbury96@example.net if anything changes.',
     []),
    ('phone-us', 'call me on (212) 555-0187 please',
     [('PHONE_NUMBER', '(212) 555-0187', 'PhoneRecognizer', 0.75)]),
    ('phone-intl', 'my number is +44 20 7946 0958, ask for Priya',
     [('PHONE_NUMBER', '+44 20 7946 0958', 'PhoneRecognizer', 0.75)]),
    ('phone-formula', 'The ratio is 100 * 0.621371 and pi is 3.14159265358979.',
     []),
    ('ip', 'logged in from 84.17.203.9 yesterday; the resolver is 8.8.8.8',
     [('IP_ADDRESS', '84.17.203.9', 'IpRecognizer', 0.6)]),
    ('ip-doc', 'The last login on your account came from IP address 192.0.2.136.',
     []),
    ('card-ssn', 'card 4242 4242 4242 4242, SSN: 536-22-8214, name on card John Carter',
     [('CREDIT_CARD', '4242 4242 4242 4242', 'CreditCardRecognizer', 1.0), ('US_SSN', '536-22-8214', 'UsSsnRecognizer', 0.85), ('PERSON', 'John Carter', 'SpacyRecognizer', 0.85)]),
    ('iban', 'IBAN GB82 WEST 1234 5698 7654 32 for Henrik Larsson',
     [('IBAN_CODE', 'GB82 WEST 1234 5698 7654 32', 'IbanRecognizer', 1.0), ('PERSON', 'Henrik Larsson', 'SpacyRecognizer', 0.85)]),
    ('url', 'see https://intranet.acme-corp.com/users/42 for it',
     [('URL', 'https://intranet.acme-corp.com/users/42', 'UrlRecognizer', 0.6)]),
    ('api-key', 'key sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123 belongs to Oliver',
     [('API_KEY', 'sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123', 'ApiKeyRecognizer', 0.95), ('PERSON', 'Oliver', 'SpacyRecognizer', 0.85)]),
    ('password', 'my password is hunter2024! and the pin is secret',
     [('PASSWORD', 'hunter2024!', 'PasswordRecognizer', 0.8)]),
    ('address', 'My address is 4120 Maple Avenue, Springfield, IL 62701.',
     [('STREET_ADDRESS', '4120 Maple Avenue, Springfield, IL 62701', 'StreetAddressRecognizer', 0.7)]),
    ('code-fenced', "Here is the code:\n```python\nuser = {'name': 'John Smith', 'ip': '84.17.203.9'}\nprint(user)\n```\nAsk Sarah Connor if it fails.",
     [('PERSON', 'Sarah Connor', 'SpacyRecognizer', 0.85)]),
    ('code-unfenced', "def greet(name):\n    return 'Hello ' + name\n\ngreet('Alice Johnson')",
     []),
    ('code-inline', 'Set `ADMIN_EMAIL = "bob@corp.io"` and mail Bob Stone.',
     [('PERSON', 'Bob Stone', 'SpacyRecognizer', 0.85)]),
    ('json', '{"name": "Emily Clark", "email": "emily.clark@gmail.com", "city": "Denver"}',
     []),
    ('sql', "SELECT name FROM users WHERE name = 'Peter Parker';",
     []),
    ('roleplay', 'As Captain Nemo, describe the Nautilus to Professor Aronnax.',
     [('PERSON', 'Nemo', 'SpacyRecognizer', 0.85), ('PERSON', 'Aronnax', 'SpacyRecognizer', 0.85)]),
    ('gsm8k', 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
     [('LOCATION', 'Natalia', 'SpacyRecognizer', 0.85)]),
    ('acronyms', 'Download the PDF from the FAQ and send it to HR in the UK.',
     [('LOCATION', 'UK', 'SpacyRecognizer', 0.85)]),
    ('non-ascii', 'José Álvarez and Zoë Müller live in München.',
     [('PERSON', 'José Álvarez', 'SpacyRecognizer', 0.85), ('PERSON', 'Zoë Müller', 'SpacyRecognizer', 0.85), ('LOCATION', 'München', 'SpacyRecognizer', 0.85)]),
    ('camel-products', 'Open FitLife or PayPal and check the iPhone settings.',
     []),
    ('hyphen-apostrophe', "Anne-Marie O'Neill met Jean-Luc at the café.",
     [('PERSON', 'Jean-Luc', 'SpacyRecognizer', 0.85)]),
    ('menu', 'Open Account > Billing > Invoices to download it.',
     []),
    ('mid-sentence-plain', 'The Premium plan and the Gold card include Monday support in January.',
     []),
    ('quoted-name', 'He said "Robert" would come, and \'Linda\' agreed.',
     [('PERSON', 'Robert', 'SpacyRecognizer', 0.85), ('PERSON', 'Linda', 'SpacyRecognizer', 0.85)]),
    ('signature', 'Best regards,\nSamantha Reyes\nCustomer Care',
     [('PERSON', 'Samantha Reyes', 'SpacyRecognizer', 0.85)]),
    ('lower-name-after-plain', 'Yesterday smith called. Minor wood was delivered.',
     []),
    ('nrp-date', 'The American team met on 12 March 2021 in Berlin.',
     [('LOCATION', 'Berlin', 'SpacyRecognizer', 0.85)]),
]


def _spans(det, text):
    return [(s.entity_type, text[s.start:s.end], s.recognizer, round(s.score, 4)) for s in det.detect([text])[0]]


@pytest.mark.parametrize("text, expected", [r[1:] for r in PINNED], ids=[r[0] for r in PINNED])
def test_spans_are_pinned(text, expected):
    assert _spans(real_detector(), text) == expected


def test_one_batch_gives_the_spans_of_one_text_at_a_time():
    """Texts are read in batches (NER through nlp.pipe): the batch must not change any text's spans."""
    det = PiiDetector(PiiConfig())
    together = det.detect([r[1] for r in PINNED])
    for (tid, text, expected), spans in zip(PINNED, together):
        assert [(s.entity_type, text[s.start:s.end], s.recognizer, round(s.score, 4)) for s in spans] == expected, tid
