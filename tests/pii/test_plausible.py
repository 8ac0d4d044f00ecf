"""The name filter on NER spans: UI words and plan names go, names and places stay (plausible.py)."""

from __future__ import annotations

import pytest

from curate.pii.plausible import plausible

# (id, text, the span NER reported, entity type, what the filter keeps: the span text, or None)
CASES = [
    ("menu-word", "You can clear the cache under Settings, then Apps.", "Settings", "PERSON", None),
    ("plan-name", "Each withdrawal costs $2.50 on the Standard plan.", "Standard", "PERSON", None),
    ("plural-ui-words", "Move money into Savings Pots from the home screen.", "Savings Pots", "PERSON", None),
    ("leading-the", "Get the latest version from the App Store today.", "the App Store", "PERSON", None),
    ("lower-case-word", "There is a 0.5% exchange markup on weekdays.", "markup", "PERSON", None),
    ("model-number", "The app on my Galaxy S22 has been slow.", "Galaxy S22", "PERSON", None),
    ("camel-case-brand", "Recurring payments such as FitLife Gym may need the new card.", "FitLife Gym", "PERSON", None),
    ("mojibake", "I canâ€™t see it, letâ€ me check.", "letâ€", "PERSON", None),
    ("menu-path", "Go to Security > Devices to remove it.", "Devices", "LOCATION", None),
    ("ui-location", "Open the payment in Activity and tap it.", "Activity", "LOCATION", None),
    ("acronym-person", "Tap Statements and then Download PDF.", "Download PDF", "PERSON", None),
    ("written-lower-case-too", "The Wolf howled at the moon, and the wolf ran.", "Wolf", "PERSON", None),
    ("article-before-a-name", "Unlike the Jensen novel, it is short.", "Jensen", "PERSON", "Jensen"),
    ("post-nominal", "He was called Kevin Veitonen II at school.", "Kevin Veitonen II", "PERSON", "Kevin Veitonen II"),
    ("product-with-acronym", "Install Raspberry Pi OS on the SD card.", "Raspberry Pi OS", "PERSON", None),
    ("listed-with-brands", "Share it on Twitter, Instagram and Facebook.", "Instagram", "PERSON", None),
    ("listed-with-names", "Invite Maria, Kwame and Olga.", "Kwame", "PERSON", "Kwame"),
    ("full-name", "Please contact Daniel Moreno at the office.", "Daniel Moreno", "PERSON", "Daniel Moreno"),
    ("rare-surname", "Thanks for your patience, Kwame Adeyemi.", "Kwame Adeyemi", "PERSON", "Kwame Adeyemi"),
    ("names-that-are-words", "I spoke with Grace Young yesterday.", "Grace Young", "PERSON", "Grace Young"),
    ("single-census-name", "Smith approved the refund.", "Smith", "PERSON", "Smith"),
    ("title-rescues-a-word", "I spoke to Mr. Standard on Monday.", "Mr. Standard", "PERSON", "Mr. Standard"),
    ("naming-cue-rescues", "Hi, my name is Hope Banks.", "Hope Banks", "PERSON", "Hope Banks"),
    ("irish-surname", "Ask for Siobhan O'Neill or Ronan McDonald.", "Ronan McDonald", "PERSON", "Ronan McDonald"),
    ("country", "I moved to Germany last year.", "Germany", "LOCATION", "Germany"),
    ("country-acronym", "It works in the US and the UK.", "US", "LOCATION", "US"),
    ("us-state", "I live in New York now.", "New York", "LOCATION", "New York"),
    ("city", "I moved from Portland to Austin.", "Austin", "LOCATION", "Austin"),
    ("typed-lower-case", "my name is olga krylova", "olga krylova", "PERSON", "olga krylova"),
    ("leading-the-place", "I am in the Netherlands now.", "the Netherlands", "LOCATION", "Netherlands"),
]


@pytest.mark.parametrize("text,span,etype,kept", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_name_filter(text, span, etype, kept):
    start = text.index(span)
    got = plausible(text, start, start + len(span), etype, lowercase_text=not any(c.isupper() for c in text))
    assert (text[got[0]:got[1]] if got else None) == kept


def test_single_word_span_that_is_only_a_title_is_dropped():
    assert plausible("Dear Sir, thanks.", 5, 8, "PERSON", lowercase_text=False) is None
