"""Topic clustering: one linkage tree per fit, however many cuts; cluster words in one pass; same labels as before."""

from __future__ import annotations

import numpy as np
import pytest

from curate.embed.topics import characteristic_words, cluster


def _reference_cluster(vecs, *, k=0, distance_threshold=0.65, k_min=2, k_max=200, max_points=5000, seed=0):
    """The clustering as it was written before the tree was shared: an independent sklearn fit per cut."""
    from sklearn.cluster import AgglomerativeClustering

    from curate.embed.topics import centroids, nearest_centre

    n = len(vecs)
    pts = vecs
    if n > max_points:
        pts = vecs[np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))]

    def agg(**kw):
        return AgglomerativeClustering(metric="cosine", linkage="average", **kw).fit_predict(pts)

    labels = agg(n_clusters=min(k, len(pts))) if k else agg(n_clusters=None, distance_threshold=distance_threshold)
    got = labels.max() + 1
    if not k and not (k_min <= got <= k_max):
        labels = agg(n_clusters=int(np.clip(got, min(k_min, len(pts)), min(k_max, len(pts)))))
    if n > max_points:
        labels = nearest_centre(vecs, centroids(pts, labels))
    order = np.argsort(-np.bincount(labels), kind="stable")
    return np.argsort(order)[labels]


def _blobs(n, centres=12, dim=16, seed=1):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    return (c[rng.integers(0, centres, n)] + 0.35 * rng.normal(size=(n, dim))).astype(np.float32)


@pytest.mark.parametrize("n,params", [
    (300, {}),
    (300, {"k_max": 4}),
    (300, {"distance_threshold": 5.0, "k_min": 6}),
    (300, {"k": 7}),
    (900, {"max_points": 250, "k_max": 5}),
], ids=["cut-at-threshold", "clamped-to-k-max", "clamped-to-k-min", "fixed-k", "sample-then-assign"])
def test_cluster_labels_same_as_one_fit_per_cut(n, params):
    vecs = _blobs(n)
    got = cluster(vecs, **params)
    assert np.array_equal(got, _reference_cluster(vecs, **params))
    if "k_max" in params and "k" not in params:
        assert got.max() + 1 == params["k_max"]  # the clamp did cut the tree a second time


def test_characteristic_words_same_as_one_join_per_cluster():
    rng = np.random.default_rng(0)
    vocab = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    labels = rng.integers(0, 5, 400)
    texts = [" ".join(vocab[lab * 2 + j % 2] if rng.random() < 0.7 else vocab[rng.integers(0, 10)]
                      for j in range(6)) for lab in labels]
    docs_words = characteristic_words(texts, labels)
    # the same c-TF-IDF over documents joined one cluster at a time
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [" ".join(t for t, lab in zip(texts, labels) if lab == c) for c in range(5)]
    cv = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    tf = cv.fit_transform(docs).toarray().astype(float)
    words = cv.get_feature_names_out()
    score = tf / np.maximum(tf.sum(1, keepdims=True), 1) * np.log1p(tf.sum() / 5 / np.maximum(tf.sum(0), 1))
    want = {c: ", ".join(words[j] for j in np.argsort(-score[c])[:4] if tf[c, j] > 0) for c in range(5)}
    assert docs_words == want
    assert docs_words[0].split(", ")[0] in ("alpha", "bravo")  # cluster 0's own words lead


def test_clamped_k_builds_the_linkage_tree_once(monkeypatch):
    """Automatic k outside [k_min, k_max] cuts the tree again: it used to be built again (pdist + linkage,
    ~4 s on the 4,000-point sample of a 2-core machine)."""
    from scipy.cluster import hierarchy

    real, calls = hierarchy.linkage, []

    def counted(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(hierarchy, "linkage", counted)
    labels = cluster(_blobs(300), k_max=4)
    assert labels.max() + 1 == 4 and len(calls) == 1
