"""The documented normalisation: what exact duplicates and shingles see."""

import pytest

from curate.dedup.normalize import encode, normalize, normalize_many


@pytest.mark.parametrize("text, expected", [
    ("Hello,  World!", "hello world"),
    ("  hi...there  ", "hi there"),
    ("tab\tnew\nline\r\n", "tab new line"),
    ("Straße ÉCOLE", "strasse école"),  # case folding, not just lower()
    ("e\u0301te\u0301", "été"),  # NFC: combining accents compose
    ("$100 + 5", "$100 + 5"),  # symbols carry meaning and stay
    ("“quoted” — dash", "quoted dash"),  # Unicode punctuation is a separator
    ("zero\u200bwidth", "zero width"),  # format characters (Cf) separate words
    ("a\x00b", "a b"),  # NUL inside a text cannot break the batch apart
    ("", ""),
    ("!!!", ""),
    ("emoji 🙂 stays", "emoji 🙂 stays"),
], ids=["punct+spaces", "leading-trailing", "control-whitespace", "casefold", "nfc", "symbols-kept",
        "unicode-punct", "zero-width", "nul", "empty", "only-punct", "astral"])
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_batch_equals_one_by_one():
    texts = ["A, b", "", "  ", "C d!", "É é", "x" * 5, "🙂,a", "last"]
    assert normalize_many(texts) == [normalize(t) for t in texts]
    enc = encode(texts)
    assert len(enc) == len(texts)


def test_ascii_and_unicode_batches_agree():
    ascii_batch = normalize_many(["Hello, World", "foo-bar"])
    mixed_batch = normalize_many(["Hello, World", "foo-bar", "é"])[:2]
    assert ascii_batch == mixed_batch == ["hello world", "foo bar"]
