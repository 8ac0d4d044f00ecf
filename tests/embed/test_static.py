"""The static tier (curate/embed/static.py): distillation on a tiny BERT, encoding, the tier switch, and
static retrieval + fp32 decision giving fp32's own semantic duplicates, leaks and coverage."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from tests.embed.helpers import FILLERS, TOPICS, prompts_file, texts
from tests.embed.tiny_st import save_tiny_st

WORDS = sorted({w for t in TOPICS.values() for s in t for w in s.replace("{}", "").split()}
               | {w for f in FILLERS for w in f.split()} | {"12", "13"})


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return save_tiny_st(tmp_path_factory.mktemp("tiny-st") / "tiny", WORDS)


def _cfg(tiny, **kw):
    from curate.embed.encode import EmbedConfig

    return EmbedConfig(model=str(tiny), show_progress=False, **kw)


def test_distilled_matrix_has_a_row_per_ordinary_token(tiny):
    from curate.embed.static import StaticEmbedder, distilled

    emb = StaticEmbedder(tiny, 64)
    vocab = (tiny / "vocab.txt").read_text().split()
    assert emb.vectors.shape == (len(vocab), 32)  # PCA keeps every axis when the model has fewer than 256
    zero = [w for w, row in zip(vocab, emb.vectors) if not row.any()]
    assert zero == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]", "[unused1]"]
    meta = json.loads((distilled(tiny) / "meta.json").read_text())
    assert meta["tokens"] == len(vocab) - 7 and meta["method"] == "model2vec"


def test_distillation_runs_once(tiny):
    from curate.embed.static import StaticEmbedder, distilled

    StaticEmbedder(tiny, 64)
    stamp = (distilled(tiny) / "vectors.npy").stat().st_mtime_ns
    StaticEmbedder(tiny, 64)
    assert (distilled(tiny) / "vectors.npy").stat().st_mtime_ns == stamp


def test_encode_is_the_normalised_sum_of_token_rows(tiny):
    from curate.embed.static import StaticEmbedder

    emb = StaticEmbedder(tiny, 64)
    out = emb.encode(["reset my password", "", "zzzz unknownword", "Reset MY password"])
    assert out.shape == (4, 32) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not out[1].any() and not out[2].any()  # nothing known: no direction (unknown tokens have zero rows)
    assert np.allclose(out[0], out[3])  # the tokenizer lower-cases
    ids = emb.tok.encode("reset my password", add_special_tokens=False).ids
    want = emb.vectors[ids].sum(0)
    assert np.allclose(out[0], want / np.linalg.norm(want), atol=1e-6)


def test_truncation_keeps_what_the_transformer_sees(tiny):
    from curate.embed.static import StaticEmbedder

    emb = StaticEmbedder(tiny, 8)  # 8 positions: [CLS] + 6 tokens + [SEP]
    assert emb.max_tokens == 6
    a, b = emb.encode(["reset my password please now today", "reset my password please now today card stolen"])
    assert np.allclose(a, b, atol=1e-6)


def test_static_vectors_cache_apart(tiny):
    from curate.embed.encode import get_embedder

    keys = {b: get_embedder(_cfg(tiny, backend=b)).key for b in ("static", "onnx", "torch")}
    assert "static" in keys["static"] and len(set(keys.values())) == 3


@pytest.mark.parametrize("n, above, backend, tier", [
    (9, 10, "auto", "model"),
    (10, 10, "auto", "static"),
    (10, 0, "auto", "model"),  # 0: never
    (3, 10, "static", "static"),
    (10, 10, "onnx", "model"),  # an explicit model backend is never switched
], ids=["below", "at-threshold", "off", "backend-static", "explicit-onnx"])
def test_auto_switches_at_static_above(tiny, n, above, backend, tier):
    from curate.embed.encode import Embeddings, embed, embed_texts

    cfg = _cfg(tiny, backend=backend, static_above=above)
    items = texts("password", n)
    out = embed({"prompt": items, "response": [""] * n}, config=cfg)["embedding"]
    view = Embeddings.view(out, cfg)
    assert view.tier == tier
    want = embed_texts(items, _cfg(tiny, backend="static" if tier == "static" else backend, static_above=0))
    assert np.allclose(out, want)
    assert view.describe()["tier"] == tier
    if tier == "static":
        assert view.describe()["text"] == ("embedded with the static tier (distilled from tiny), "
                                           "decisions verified with the fp32 model")


def test_other_datasets_are_embedded_in_the_training_tier(tiny, tmp_path):
    """A small reference for a large (static) training set is embedded by the static tier too, and the
    other way round: vectors compared with each other always share one space."""
    from curate.embed.encode import Embeddings, embed_texts
    from curate.load import load_dataset

    ref_texts = texts("card", 4)
    ref = load_dataset(prompts_file(tmp_path / "ref.jsonl", ref_texts))
    static_view = Embeddings.view(np.zeros((20, 32), np.float32), _cfg(tiny, static_above=10))
    model_view = Embeddings.view(np.zeros((2, 32), np.float32), _cfg(tiny, static_above=3))  # ref alone would be static
    assert np.allclose(static_view.of(ref), embed_texts(ref_texts, _cfg(tiny, backend="static")))
    assert np.allclose(model_view.of(ref), embed_texts(ref_texts, _cfg(tiny, static_above=0)))
    assert np.allclose(static_view.exact(ref_texts), model_view.of(ref))  # exact: the fp32 model either way


def _semantic(tiny, embedding, items, ev=None, **cfg):
    from curate.embed.semantic import SemanticConfig, semantic

    conf = SemanticConfig(**{**dataclasses.asdict(_cfg(tiny)), "threshold": 0.97, "leak_threshold": 0.97, **cfg})
    batch = {"id": [f"r{i}" for i in range(len(items))], "prompt": items, "response": [""] * len(items)}
    return semantic(batch, config=conf, embedding=embedding, eval=ev)


def test_semantic_with_static_retrieval_equals_fp32(tiny, tmp_path):
    """Every record a candidate (a retrieval cut below any cosine): the keep/verify pass on fp32 vectors of
    the candidates gives fp32's columns exactly, duplicates, their kept records, cosines and leaks."""
    from curate.embed.encode import Embeddings, embed_texts
    from curate.load import load_dataset

    items = [t for k in TOPICS for t in texts(k, 10)] + ["transfer 12 money abroad", "transfer 13 money abroad", ""]
    ev = [load_dataset(prompts_file(tmp_path / "eval.jsonl", texts("card", 3, offset=5) + ["buy bitcoin 12"], "e"))]
    fp32 = Embeddings.view(embed_texts(items, _cfg(tiny)), _cfg(tiny, static_above=0))
    static = Embeddings.view(embed_texts(items, _cfg(tiny, backend="static")), _cfg(tiny, backend="static"))
    assert fp32.tier == "model" and static.tier == "static"
    want = _semantic(tiny, fp32, items, ev)
    got = _semantic(tiny, static, items, ev, static_ratio=1e6)
    assert sum(x is not None for x in want["semantic_dup_of"]) > 5  # the case is not empty
    assert got == want


def test_duplicates_ask_fp32_only_for_candidates():
    """Static vectors close to the fp32 ones (recall holds at the cut): the result equals fp32's, and only
    records with a static neighbour at the cut were encoded."""
    from curate.embed.semantic import Exact, SemanticConfig, duplicates, leaks, number_keys

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 64))
    exact = np.repeat(centres, 4, axis=0) + rng.normal(scale=[[0.05]] * 40 + [[0.6]] * 80, size=(120, 64))
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    static = exact + rng.normal(scale=0.02, size=exact.shape)
    static /= np.linalg.norm(static, axis=1, keepdims=True)
    keys = number_keys(["x"] * 120)
    asked = []

    def rows(r):
        asked.append(len(r))
        return exact[r]

    cfg = SemanticConfig(threshold=0.95)
    want = duplicates(exact, cfg, keys=keys)
    got = duplicates(static, cfg, keys=keys, exact=Exact(dups=rows, train=rows, eval=lambda k, r: exact[r]))
    assert (want[0] >= 0).sum() > 10
    assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1])
    assert 0 < asked[0] < 120  # the spread-out records were never encoded
    j, s = leaks(static, static[:10], cfg, exact=Exact(dups=rows, train=rows, eval=lambda k, r: exact[r]))
    jw, sw = leaks(exact, exact[:10], cfg)
    close = sw >= 0.95
    assert np.array_equal(j[close], jw[close]) and np.allclose(s[close], sw[close])


def test_coverage_decided_on_fp32_cosine():
    """Reference records covered or not, and the nearest training record's cosine, are fp32's when the
    fp32-nearest training record is among the static top-k."""
    from curate.embed.coverage import ExactNeighbours, nearest, top_k

    rng = np.random.default_rng(1)
    train = rng.normal(size=(200, 32))
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    ref = train[:40] + rng.normal(scale=0.15, size=(40, 32))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    noisy = lambda x: (lambda y: y / np.linalg.norm(y, axis=1, keepdims=True))(x + rng.normal(scale=0.05, size=x.shape))
    s_train, s_ref = noisy(train), noisy(ref)
    cand = top_k(s_ref, s_train, 8)
    rows = np.unique(cand)
    ex = ExactNeighbours(ref, rows, train[rows], np.searchsorted(rows, cand))
    idx, sim = ex.nearest()
    widx, wsim = nearest(ref, train)
    assert np.array_equal(idx, widx) and np.allclose(sim, wsim, atol=1e-6)
    assert np.array_equal(sim >= 0.6, wsim >= 0.6)
    assert len(rows) < len(train)


def test_audit_says_which_tier_embedded(tiny, tmp_path):
    from curate.report.write import audit_json, markdown
    from tests.embed.helpers import audit

    data = prompts_file(tmp_path / "train.jsonl", [t for k in TOPICS for t in texts(k, 6)])
    stages = {"embed": {"model": str(tiny), "backend": "static", "show_progress": False}}
    out, res = audit(tmp_path, data, [{"check": "max_semantic_duplicate_rate", "severity": "warn",
                                                "params": {"max_rate": 1.0}}],
                     stages=stages)
    doc = audit_json(res)
    assert doc["embedding"]["tier"] == "static" and doc["embedding"]["why"] == "backend: static"
    assert "static tier (distilled from tiny), decisions verified with the fp32 model" in markdown(res, doc)
    assert out["max_semantic_duplicate_rate"].status in ("pass", "fail")


def test_dense_data_is_verified_whole():
    """When retrieval leaves most records as candidates (short same-domain queries), the fp32 model
    verifies every record: the result is fp32's with no recall to bound."""
    from curate.embed.semantic import Exact, SemanticConfig, duplicates

    rng = np.random.default_rng(2)
    exact = rng.normal(size=(50, 16))
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    static = np.ones((50, 16), dtype=np.float32) / 4.0  # every record at static cosine 1 to every other
    asked = []

    def rows(r):
        asked.append(list(r))
        return exact[r]

    empty = np.zeros(50, dtype=bool)
    empty[7] = True
    got = duplicates(static, SemanticConfig(), empty=empty, exact=Exact(dups=rows, train=rows, eval=None))
    want = duplicates(exact, SemanticConfig(), empty=empty)
    assert asked == [[i for i in range(50) if i != 7]]
    assert np.array_equal(got[0], want[0])
