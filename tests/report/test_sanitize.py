"""The PII sanitiser removes found values from report text without mangling curate's own words."""

from __future__ import annotations

import pytest

from curate.report.sanitize import Sanitizer

SAN = Sanitizer({"Jane Doe": "PERSON", "jane@example.com": "EMAIL_ADDRESS", "max": "PERSON", "Max": "PERSON"})


@pytest.mark.parametrize("text,expected", [
    ("call Jane Doe at jane@example.com", "call <PERSON> at <EMAIL_ADDRESS>"),
    ("Max asked about the max top-up", "<PERSON> asked about the <PERSON> top-up"),
    ("max_exact_duplicate_rate", "max_exact_duplicate_rate"),
    ("Maximum limit", "Maximum limit"),
], ids=["values", "whole-words", "identifier-untouched", "longer-word-untouched"])
def test_record_text(text, expected):
    assert SAN.text(text) == expected


def test_prose_keeps_lowercase_words_but_removes_distinctive_values():
    assert SAN.prose("3 of 10 records (max 1%); Max and jane@example.com") == \
        "3 of 10 records (max 1%); <PERSON> and <EMAIL_ADDRESS>"


def test_nested_structures_and_empty_sanitiser():
    assert SAN.clean({"a": ["Jane Doe", 3]}) == {"a": ["<PERSON>", 3]}
    assert Sanitizer({}).text("Jane Doe") == "Jane Doe"
