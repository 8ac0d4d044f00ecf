"""Topics: cluster the embeddings, name each cluster by its characteristic words, find the long tail.

Clustering is average-linkage agglomerative on cosine distance, cut at `distance_threshold`
(or at `k` clusters when given), so the number of topics follows the data and a handful of
records on a distinct subject stays a small cluster of its own instead of being absorbed into a
big one, which is what k-means does to rare topics (on sample_data, k-means with 20-50 clusters
merged all three planted rare topics into large clusters; the cut at 0.65 keeps two of them apart).
Above `max_points` records a seeded sample is clustered and the rest join the nearest centre
(agglomerative memory and time are O(n^2)).

Long tail: records in clusters smaller than `tail_share` of the data (at least `min_tail_size`).
Outliers: records whose distance to the nearest centre of a non-tail cluster is far above the
rest (median + `outlier_z` robust standard deviations, the MAD rule).
Cluster words: class-based TF-IDF (BERTopic's c-TF-IDF): a word's frequency in the cluster times
log(1 + average words per cluster / the word's frequency over all clusters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.embed.encode import EmbedConfig, Embeddings, record_texts
from curate.stages import register_stage


@dataclass
class TopicsConfig(EmbedConfig):  # the EmbedConfig fields come from the embed stage (curate/engine/graph.py)
    k: int = 0  # number of clusters; 0 = cut the tree at distance_threshold
    distance_threshold: float = 0.65  # average cosine distance at which clusters stop merging (MiniLM scale)
    k_min: int = 2  # automatic k is clamped into [k_min, k_max]
    k_max: int = 200
    tail_share: float = 0.01  # clusters below this share of records are the long tail
    min_tail_size: int = 5  # ...and always clusters below this many records
    outlier_z: float = 3.5  # robust z-score of the distance to the nearest main centre that makes an outlier
    max_points: int = 4000  # above this, cluster a sample of this size and assign the rest to the nearest centre
    seed: int = 0  # sampling seed (large datasets only)


def cluster(vecs: np.ndarray, *, k: int = 0, distance_threshold: float = 0.65, k_min: int = 2, k_max: int = 200,
            max_points: int = 5000, seed: int = 0, assign=None, exact=None) -> np.ndarray:
    """Cluster label per row (0..k-1, biggest cluster first). `assign(vecs, centres)`: the nearest
    centre of every row when a sample was clustered (`nearest_centre`; the Ray engine's map_batches).
    `exact(rows)`: `vecs` are static vectors (curate/embed/static.py), whose cosines are on another scale
    than `distance_threshold`: the sample is clustered on these fp32 vectors of its rows, and the other
    rows join the nearest cluster centre in the static space."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(vecs)
    if n < 2:
        return np.zeros(n, dtype=int)
    # Above max_points, cluster a seeded sample and give every record the cluster of the nearest
    # centre: one matrix product instead of k-means with hundreds of centres, which took minutes
    # on Banking77 (10k records) on a busy 2-core machine. A topic too rare to be sampled ends up
    # far from every centre, where the outlier rule reports it.
    pts, pick = vecs, np.arange(n)
    if n > max_points:
        pick = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
        pts = vecs[pick]
    if exact is not None:
        pts = exact(pick)

    tree = _TreeOnce()  # a second cut (k clamped into [k_min, k_max]) reuses the tree the first fit built

    def agg(**kw):
        return AgglomerativeClustering(metric="cosine", linkage="average", compute_distances=True, memory=tree,
                                       **kw).fit_predict(pts)

    labels = agg(n_clusters=min(k, len(pts))) if k else agg(n_clusters=None, distance_threshold=distance_threshold)
    got = labels.max() + 1
    if not k and not (k_min <= got <= k_max):
        labels = agg(n_clusters=int(np.clip(got, min(k_min, len(pts)), min(k_max, len(pts)))))
    if n > max_points:
        labels = (assign or nearest_centre)(vecs, centroids(vecs[pick] if exact is not None else pts, labels))
    order = np.argsort(-np.bincount(labels), kind="stable")  # renumber: 0 is the biggest topic
    return np.argsort(order)[labels]


class _TreeOnce:
    """sklearn's `memory` (the joblib.Memory interface): the linkage tree of one point set, built once.
    Without connectivity sklearn always builds the full tree and cuts it, so both cuts of `cluster`
    read the same tree; building it (pdist + average linkage) is what a fit costs."""

    def __init__(self):
        self.out = None

    def cache(self, build):
        def once(*args, **kwargs):
            if self.out is None:
                self.out = build(*args, **kwargs)
            return self.out
        return once


def nearest_centre(vecs: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest (cosine) centre of every row; rows are independent, so any split agrees."""
    return np.argmax(_unit(vecs) @ centres.T, axis=1)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def centroids(vecs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if len(labels) else 0
    return _unit(np.stack([vecs[labels == c].mean(0) for c in range(k)])) if k else np.zeros((0, vecs.shape[1]))


def characteristic_words(texts: list[str], labels: np.ndarray, top: int = 4) -> dict[int, str]:
    """c-TF-IDF: the words that set each cluster apart, joined by ', '."""
    from sklearn.feature_extraction.text import CountVectorizer

    k = int(labels.max()) + 1 if len(labels) else 0
    groups: list[list[str]] = [[] for _ in range(k)]
    for t, lab in zip(texts, labels):  # one pass: a pass per cluster was O(n k), seconds at 100k records
        groups[lab].append(t)
    docs = [" ".join(g) for g in groups]
    try:
        cv = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        tf = cv.fit_transform(docs).toarray().astype(float)
    except ValueError:  # only stop words / no words at all
        return {c: "" for c in range(k)}
    words = cv.get_feature_names_out()
    avg = tf.sum() / max(k, 1)
    score = tf / np.maximum(tf.sum(1, keepdims=True), 1) * np.log1p(avg / np.maximum(tf.sum(0), 1))
    return {c: ", ".join(words[j] for j in np.argsort(-score[c])[:top] if tf[c, j] > 0) for c in range(k)}


def tail_size(n: int, tail_share: float, min_tail_size: int) -> float:
    return max(min_tail_size, tail_share * n)


def outlier_mask(distance: np.ndarray, z: float) -> np.ndarray:
    if len(distance) == 0:
        return np.zeros(0, dtype=bool)
    med = np.median(distance)
    mad = np.median(np.abs(distance - med)) * 1.4826
    return distance > med + z * max(mad, 1e-6)


def topics_of(vecs: np.ndarray, texts: list[str], cfg: TopicsConfig, *, assign=None, exact=None) -> dict[str, list]:
    """The topic columns for a set of vectors (used by the stage and by `curate drift`); `exact`: see cluster().
    With static vectors, distances to the centres (and the outlier rule on them) are static cosines."""
    n = len(vecs)
    labels = cluster(vecs, k=cfg.k, distance_threshold=cfg.distance_threshold, k_min=cfg.k_min, k_max=cfg.k_max,
                     max_points=cfg.max_points, seed=cfg.seed, assign=assign, exact=exact)
    sizes = np.bincount(labels, minlength=1)
    small = sizes < tail_size(n, cfg.tail_share, cfg.min_tail_size)
    cents = centroids(vecs, labels)
    main = cents[~small] if (~small).any() else cents
    # distance to the nearest centre of a real (non-tail) topic: tail records are far from all of them
    dist = 1.0 - (vecs @ main.T).max(1) if n else np.zeros(0)
    words = characteristic_words(texts, labels)
    return {"topic_cluster": labels.tolist(), "topic_label": [words.get(int(c), "") for c in labels],
            "topic_size": sizes[labels].tolist(), "topic_distance": np.round(dist, 4).tolist(),
            "is_long_tail": small[labels].tolist(), "is_outlier": outlier_mask(dist, cfg.outlier_z).tolist()}


@register_stage("topics", config=TopicsConfig, reads=("embedding",),
                columns=("topic_cluster", "topic_label", "topic_size", "topic_distance", "is_long_tail", "is_outlier"))
def topics(batch: dict[str, list], *, config: TopicsConfig, embedding: Embeddings) -> dict[str, list]:
    """Topic clusters of the embeddings with their characteristic words; long-tail and outlier records."""
    texts = record_texts(batch, config.side)
    exact = (lambda rows: embedding.exact([texts[i] for i in rows])) if embedding.static else None
    return topics_of(embedding.vectors, texts, config, exact=exact)
