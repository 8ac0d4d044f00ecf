"""find_duplicates lets the prompt's and answer's shingle sets go while the record's are in use."""

from __future__ import annotations

import numpy as np

from curate.dedup import stage


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


def test_find_duplicates_is_the_same_with_the_sides_rebuilt(monkeypatch):
    b, cfg = _batch(), stage.DedupConfig(conflict_threshold=0.5) if hasattr(stage.DedupConfig(), "conflict_threshold") \
        else stage.DedupConfig()
    rebuilt, _ = stage.find_duplicates(b, cfg)
    real = stage.prepare
    monkeypatch.setattr(stage, "prepare", lambda batch, config, keep_sides=True: real(batch, config))
    kept, _ = stage.find_duplicates(b, cfg)
    assert rebuilt == kept
    assert any(v for v in kept["conflicts_with"]) or any(v is not None for v in kept["exact_dup_of"])
    assert np.array_equal(np.array([v is None for v in rebuilt["near_dup_of"]]), np.array([v is None for v in kept["near_dup_of"]]))
