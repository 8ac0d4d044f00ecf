"""Protected spans and the four EDA operations, with a fixed synonym table (no model)."""

from __future__ import annotations

import pytest

from curate.augment import eda
from curate.augment.protect import changed_protected, pieces
from curate.augment.synonyms import TableThesaurus, Thesaurus, inflection

TABLE = TableThesaurus({"card": ["wallet"], "stolen": ["taken"], "quickly": ["rapidly"], "apples": ["fruits"],
                        "bought": ["purchased"], "function": ["routine"], "email": ["message"]})


@pytest.mark.parametrize("text,protected", [
    ("Tom has 3 apples and buys 12.5 more", ["12.5", "3"]),
    ("see https://example.com/a?b=1 for help", ["https://example.com/a?b=1"]),
    ("write to jane.doe@example.org today", ["jane.doe@example.org"]),
    ("Hello {name}, your code is {{code}} and <MASK> [NAME]", ["<MASK>", "[NAME]", "{name}", "{{code}}"]),
    ('he said "do not move" and left', ['"do not move"']),
    ("call `len(x)` or use my_var.attr", ["`len(x)`", "my_var.attr"]),
    ("I'm sure it's my card's fault", []),
], ids=["numbers", "url", "email", "placeholders", "quote", "code", "apostrophes-are-words"])
def test_protected_spans(text, protected):
    assert sorted(p.text.strip() for p in pieces(text) if p.kind == "protected") == sorted(protected)
    assert "".join(p.text for p in pieces(text)) == text


@pytest.mark.parametrize("op", eda.OPS)
def test_every_operation_leaves_protected_spans_as_they_are(op):
    text = "Tom quickly bought 3 apples at https://shop.example.com and said \"keep the change\" to {clerk} today"
    for seed in range(20):
        new, edits = eda.edit(text, op, seed=seed, thesaurus=TABLE, alpha=0.3)
        assert changed_protected(text, new) == ([], []), (op, seed, new)
        if edits:
            assert new != text or op == "swap"


@pytest.mark.parametrize("op,check", [
    ("synonym", lambda new, edits: edits[0].startswith("replace") and new.split() != "my card was stolen".split()),
    ("insert", lambda new, edits: len(new.split()) == 5 and edits[0].startswith("insert")),
    ("swap", lambda new, edits: sorted(new.split()) == sorted("my card was stolen".split())),
    ("delete", lambda new, edits: len(new.split()) == 3 and "  " not in new),
], ids=list(eda.OPS))
def test_operation_effect(op, check):
    new, edits = eda.edit("my card was stolen", op, seed=1, thesaurus=TABLE, alpha=0.1)
    assert edits and check(new, edits), (new, edits)


def test_synonym_replacement_keeps_capitals_and_skips_stop_words():
    new, edits = eda.edit("Card was stolen", "synonym", seed=0, thesaurus=TABLE, alpha=0.5)
    assert new in ("Wallet was taken", "Wallet was stolen", "Card was taken") and "was" in new


def test_candidates_are_deterministic_distinct_and_cycle_operations():
    a = eda.candidates("my card was stolen quickly yesterday", 4, seed=3, thesaurus=TABLE)
    b = eda.candidates("my card was stolen quickly yesterday", 4, seed=3, thesaurus=TABLE)
    assert a == b and len({t for t, _ in a}) == 4
    assert len({ops[0].split(":")[0] for _, ops in a}) == 4


def test_nothing_to_edit_gives_no_candidate():
    assert eda.candidates("42 17", 3, seed=0, thesaurus=TABLE) == []


@pytest.mark.parametrize("word,ending", [("arrived", "ed"), ("charging", "ing"), ("quickly", "ly"), ("cards", "s"),
                                         ("card", ""), ("address", ""), ("bus", "")])
def test_inflection(word, ending):
    assert inflection(word) == ending


def test_thesaurus_drops_its_own_family_other_inflections_and_far_words():
    import numpy as np

    words = ["quickly", "quicker", "rapidly", "fast", "slowly", "banana"]
    v = np.array([[1, 0, 0], [0.99, 0.1, 0], [0.95, 0.3, 0], [0.97, 0.2, 0], [0.5, 0.8, 0], [0, 0, 1]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    th = Thesaurus(words, v, min_similarity=0.7)
    assert th.synonyms("quickly") == ["rapidly"]  # quicker: same family; fast: no -ly; slowly, banana: far
    assert th.synonyms("unknown") == []


@pytest.mark.parametrize("old,new,lost,added", [
    ("pay 30 dollars to Anna", "pay thirty dollars to Anna", True, False),
    ("pay 30 dollars to Anna", "send 30 dollars to Anna and 5 more", False, True),
    ("run ```\nx = 1\n``` now", "execute ```\nx = 1\n``` now", False, False),
    ("run ```\nx = 1\n``` now", "execute ```\nx = 2\n``` now", True, True),
    ("Hello {name}, welcome", "Hi {name}, welcome", False, False),
], ids=["number-lost", "number-added", "code-kept", "code-changed", "placeholder-kept"])
def test_changed_protected(old, new, lost, added):
    got_lost, got_added = changed_protected(old, new)
    assert bool(got_lost) is lost and bool(got_added) is added, (got_lost, got_added)


@pytest.mark.parametrize("op", ["delete", "swap"])
def test_negations_are_never_deleted_or_moved(op):
    text = "the top-up did not go through and I can't see it"
    for seed in range(40):
        new, _ = eda.edit(text, op, seed=seed, thesaurus=TABLE, alpha=0.3)
        words = new.split()
        assert "not" in words and "can't" in words
        if op == "swap":
            assert text.split().index("not") == words.index("not") and text.split().index("can't") == words.index("can't")


def test_deletion_removes_at_most_n_words():
    text = "I want to delete my account. How do I do this?"
    for seed in range(40):
        new, edits = eda.edit(text, "delete", seed=seed, thesaurus=TABLE, alpha=0.1)
        assert len(edits) == 1 and len(new.split()) == len(text.split()) - 1, (seed, new)


def test_short_texts_lose_no_word():
    assert eda.edit("card stolen", "delete", seed=0, thesaurus=TABLE) == ("card stolen", [])


def test_thesaurus_family_uses_the_porter_stem():
    from curate.augment.synonyms import same_family

    assert same_family("using", "use") and same_family("cancel", "cancellation") and not same_family("purchase", "buyer")
