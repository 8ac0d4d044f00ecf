"""The embedding stage: sides, the per-text cache, the fake embedder, and the real model's fast path."""

from __future__ import annotations

import numpy as np
import pytest

from curate.embed import encode
from curate.embed.encode import EmbedConfig, HashingEmbedder, embed_texts, record_texts
from curate.errors import CurateError

BATCH = {"prompt": ["hi there", "reset password"], "response": ["hello.", "use the link."]}


@pytest.mark.parametrize("side,expected", [
    ("prompt", ["hi there", "reset password"]),
    ("response", ["hello.", "use the link."]),
    ("both", ["hi there\nhello.", "reset password\nuse the link."]),
], ids=["prompt", "response", "both"])
def test_record_texts_picks_the_side(side, expected):
    assert record_texts(BATCH, side) == expected


def test_unknown_side_is_a_config_error_naming_the_fix():
    with pytest.raises(CurateError, match="side 'answer'") as e:
        record_texts(BATCH, "answer")
    assert "rules file" in e.value.fix


def test_missing_model_dir_is_a_config_error():
    with pytest.raises(CurateError, match="not a local directory"):
        embed_texts(["x"], EmbedConfig(model="/nonexistent/model", show_progress=False))


def test_hashing_embedder_is_deterministic_unit_length_and_word_sensitive():
    a = HashingEmbedder().encode(["my card was stolen", "my card was stolen", "reset my password"])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert a[0] @ a[1] == pytest.approx(1.0, abs=1e-6)
    assert a[0] @ a[2] < 0.5


def test_cache_encodes_each_text_once_across_calls_and_datasets(monkeypatch):
    calls = []

    class Counting(HashingEmbedder):
        def encode(self, texts):
            calls.append(list(texts))
            return super().encode(texts)

    fake = Counting()
    fake.key = "counting-test"
    monkeypatch.setattr(encode, "get_embedder", lambda cfg: fake)
    cfg = EmbedConfig(show_progress=False)
    first = embed_texts(["a b", "c d", "a b"], cfg)
    second = embed_texts(["c d", "e f"], cfg)  # another "dataset" sharing one text
    assert calls == [["a b", "c d"], ["e f"]]  # duplicates encoded once, cached texts never again
    assert np.allclose(first[1], second[0])


def test_empty_input_gives_an_empty_matrix():
    assert embed_texts([], EmbedConfig(model="hashing")).shape[0] == 0


@pytest.mark.slow
def test_real_minilm_fast_path_matches_plain_sentence_transformers():
    """The default backend (ONNX int8 when its probe passes) stays within 0.98 cosine of fp32 torch."""
    texts = ["How do I reset my password?", "my card was stolen", "Can I send money abroad?",
             "what is the exchange rate for euros", "close my account please"]
    fast = embed_texts(texts, EmbedConfig(show_progress=False))
    ref = embed_texts(texts, EmbedConfig(backend="torch", show_progress=False))
    assert fast.shape == (5, 384)
    cos = (fast * ref).sum(1)
    assert cos.mean() >= 0.98, cos
