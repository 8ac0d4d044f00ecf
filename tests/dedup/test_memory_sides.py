"""find_duplicates holds no shingle set (sketches only), and the Ray path lets the prompt's and answer's
sets go while the record's are in use: both give what the full sets give."""

from __future__ import annotations

import random

import pytest

from curate.dedup import stage
from curate.dedup.minhash import sketch


def _batch():
    prompts = ["How do I reset my password?", "How do I reset my password?", "Where is my card?",
               "Where is my card now?", "", "Cancel my order please"]
    answers = ["Open settings and choose reset.", "Go to settings, then reset.", "It ships in 3 days.",
               "It ships in 3 days.", "Nothing", "Done."]
    n = len(prompts)
    return {"id": [f"r{i}" for i in range(n)], "format": ["alpaca"] * n, "prompt": prompts, "response": answers,
            "label": [None] * n, "messages": [[]] * n, "fields": [[]] * n, "empty_input_marker": [None] * n}


def test_prepare_can_let_the_side_sets_go_with_the_same_keys():
    b, cfg = _batch(), stage.DedupConfig()
    kept, dropped = stage.prepare(b, cfg), stage.prepare(b, cfg, keep_sides=False)
    assert dropped.prompt_sets is None and dropped.resp_sets is None
    assert (kept.pkey == dropped.pkey).all() and (kept.rkey == dropped.rkey).all() and (kept.rep == dropped.rep).all()
    assert (dropped.prompt_ok == (kept.prompt_sets.sizes > 0)).all()
    assert (dropped.resp_ok == (kept.resp_sets.sizes > 0)).all()
    again = stage.side_sets(b, cfg)
    assert (again[0].keys == kept.prompt_sets.keys).all() and (again[1].offsets == kept.resp_sets.offsets).all()


@pytest.mark.parametrize("mode", [dict(keep_sides=False), dict(keep_sides=False, sketched=True)],
                         ids=["sides-rebuilt", "sketched"])
def test_find_duplicates_is_the_same_as_with_every_set_held(monkeypatch, mode):
    b, cfg = _batch(), stage.DedupConfig(conflict_threshold=0.5)
    real = stage.prepare
    monkeypatch.setattr(stage, "prepare", lambda batch, config, **kw: real(batch, config, **mode))
    lean, _ = stage.find_duplicates(b, cfg)
    monkeypatch.setattr(stage, "prepare", lambda batch, config, **kw: real(batch, config))
    kept, _ = stage.find_duplicates(b, cfg)
    assert lean == kept
    assert any(v for v in kept["conflicts_with"])


def _corpus(n: int, seed: int):
    """Records that make every step work: exact copies, near copies, a shared header, same prompts."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)]
    header = "You are a helpful assistant. Answer the question below carefully and politely. "
    prompts, answers = [], []
    for i in range(n):
        if i and rng.random() < 0.15:  # a near copy of an earlier record: one word changed
            j = rng.randrange(i)
            p = prompts[j].split()
            p[rng.randrange(len(p))] = rng.choice(words)
            prompts.append(" ".join(p))
            answers.append(answers[j] if rng.random() < 0.5 else " ".join(rng.choices(words, k=30)))
        elif i and rng.random() < 0.1:  # an exact copy, or the same prompt with another answer
            j = rng.randrange(i)
            prompts.append(prompts[j])
            answers.append(answers[j] if rng.random() < 0.5 else " ".join(rng.choices(words, k=20)))
        else:
            prompts.append(header * (rng.random() < 0.7) + " ".join(rng.choices(words, k=rng.randint(3, 60))))
            answers.append(" ".join(rng.choices(words, k=rng.randint(0, 40))))
    return {"id": [f"r{i}" for i in range(n)], "format": ["alpaca"] * n, "prompt": prompts, "response": answers,
            "label": [None] * n, "messages": [[]] * n, "fields": [[]] * n, "empty_input_marker": [None] * n}


@pytest.mark.parametrize("cfg", [dict(), dict(conflict_threshold=0.8), dict(shingle="word", ngram=3, threshold=0.6, conflict_threshold=0.7),
                                 dict(fields=["prompt"])], ids=["default", "near-conflicts", "word-shingles", "prompt-field"])
def test_sketches_decide_as_the_sets_do_on_a_corpus_with_every_kind_of_duplicate(monkeypatch, cfg):
    b, config = _corpus(3000, seed=7), stage.DedupConfig(**cfg)
    sketched, edges = stage.find_duplicates(b, config)
    real = stage.prepare
    monkeypatch.setattr(stage, "prepare", lambda batch, config, **kw: real(batch, config))
    full, full_edges = stage.find_duplicates(b, config)
    assert sketched == full
    assert sum(v is not None for v in full["near_dup_of"]) > 100
    assert any(full["conflicts_with"]) or cfg.get("fields")  # one field: a same-prompt pair is one cluster
    assert full["near_dup_shared_block"] != [None] * 3000 or cfg.get("fields")


def test_a_sketch_without_the_signatures_a_step_needs_says_so():
    sk = sketch(["a b c d e f"], num_perms=(64,), seed=1)
    assert sk.signatures(64, 1).shape == (64, 1)
    with pytest.raises(ValueError, match=r"holds signatures of \[64\] permutations.*needs 128"):
        sk.signatures(128, 1)
