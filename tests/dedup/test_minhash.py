"""Vectorised shingles, signatures, LSH and exact verification against plain-Python references."""

import itertools
import random

import numpy as np
import pytest

from curate.dedup.lsh import candidate_pairs, candidate_probability, lsh_params
from curate.dedup.minhash import shingle_sets, signatures
from curate.dedup.normalize import normalize
from curate.dedup.verify import jaccard_pairs


def ref_shingles(text, shingle, n):
    norm = normalize(text)
    toks = norm.split() if shingle == "word" else list(norm)
    if not toks:
        return set()
    sep = " " if shingle == "word" else ""
    return {sep.join(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1))}


def ref_jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 0.0


@pytest.fixture(scope="module")
def texts():
    rng = random.Random(3)
    words = "alpha beta gamma delta eps zeta eta theta iota kappa".split()
    out = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(40)]
    return out + ["", "One", "one two", "One, TWO!", "café crème", "x" * 3]


@pytest.mark.parametrize("shingle, n", [("word", 1), ("word", 3), ("word", 5), ("char", 3), ("char", 5)],
                         ids=["word1", "word3", "word5", "char3", "char5"])
def test_shingle_sets_and_jaccard_match_python_sets(texts, shingle, n):
    sets = shingle_sets(texts, shingle=shingle, ngram=n, batch_chars=64)  # many small batches
    assert list(sets.sizes) == [len(ref_shingles(t, shingle, n)) for t in texts]
    pairs = np.array(list(itertools.combinations(range(len(texts)), 2)))
    got = jaccard_pairs(sets, pairs, chunk=50)
    want = [ref_jaccard(ref_shingles(texts[a], shingle, n), ref_shingles(texts[b], shingle, n)) for a, b in pairs]
    assert np.allclose(got, want)


def test_exact_keys_follow_normalisation(texts):
    keys = shingle_sets(["Hello, world", "hello   WORLD!", "world hello", ""]).doc_keys
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]  # same words, other order: not an exact duplicate
    assert keys[3] != keys[0]


def test_signatures_for_a_subset_equal_the_full_run(texts):
    sets = shingle_sets(texts, shingle="char", ngram=3)
    full = signatures(sets, 32, chunk=16)
    only = np.array([1, 5, 6, 20, 33])
    part = signatures(sets, 32, chunk=16, only=only)
    nonempty = only[sets.sizes[only] > 0]
    assert (part[:, nonempty] == full[:, nonempty]).all()
    others = np.setdiff1d(np.arange(len(texts)), only)
    assert (part[:, others] == np.iinfo(np.uint32).max).all()


def test_signature_agreement_estimates_jaccard():
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(5000)]
    base = [[rng.choice(vocab) for _ in range(200)] for _ in range(200)]
    variants = []
    for w in base:
        w = list(w)
        for _ in range(20):
            w[rng.randrange(len(w))] = rng.choice(vocab)
        variants.append(w)
    sets = shingle_sets([" ".join(w) for w in base + variants], ngram=3)
    sig = signatures(sets, 128)
    est = (sig[:, :200] == sig[:, 200:]).mean(axis=0)
    true = jaccard_pairs(sets, np.stack([np.arange(200), np.arange(200, 400)], axis=1))
    assert abs((est - true).mean()) < 0.01  # unbiased
    assert (est - true).std() < 0.06  # binomial error at 128 permutations is ~0.04


@pytest.mark.parametrize("threshold, num_perm, expected", [(0.8, 128, (16, 6)), (0.5, 128, (35, 3)), (0.9, 64, (8, 7))],
                         ids=["0.8/128", "0.5/128", "0.9/64"])
def test_lsh_params_catch_pairs_at_the_threshold(threshold, num_perm, expected):
    b, r = lsh_params(threshold, num_perm)
    assert (b, r) == expected and b * r <= num_perm
    assert candidate_probability(threshold, b, r) >= 0.99


def test_candidate_pairs_bucket_star_and_chain():
    sig = np.array([[1, 1, 1, 2, 3], [5, 5, 5, 6, 7]], dtype=np.uint32)  # docs 0-2 identical
    pairs = candidate_pairs(sig, 1, 2)
    assert {tuple(p) for p in pairs} == {(0, 1), (0, 2), (1, 2)}
    across = candidate_pairs(sig, 1, 2, group=np.array([0, 0, 1, 1, 1]))
    assert {tuple(p) for p in across} == {(0, 2), (1, 2)}
    assert len(candidate_pairs(sig, 1, 2, active=np.array([3]))) == 0
