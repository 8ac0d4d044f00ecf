"""Semantic near-duplicates and semantic leakage: paraphrases MinHash cannot see.

Word-shingle MinHash (the dedup stage) catches copies with small edits; two records that ask the
same thing in other words share few 5-grams but sit at cosine >= ~0.95 in MiniLM space.

Which record a paraphrase is removed for (SemHash's rule): records are visited in dataset order and
one is removed only when its cosine to an already *kept* record is >= `threshold`; it names that
record and that cosine (the number the decision was made on, always >= threshold). Otherwise it is
kept. No union-find: A~B and B~C never removes C for A when C is far from A (issue 13: one
union-find cluster held 63% of a tool-use set at 0.9, a record named a "duplicate" at a printed
0.997 of one it sat at 0.83 to). A paraphrase of a paraphrase is caught only when it is itself
close enough to a kept record.

Numbers are content: two texts that state different numbers ask different things ("a train leaves
at 3 pm and travels 60 km" vs "... 80 km"), however close their vectors (on GSM8K all 11 pairs at
cosine >= 0.95 were the same story with other numbers or the question reversed, read by hand,
bench/labels/gsm8k.csv). A record is a duplicate of, or leaks, only a record with the same numbers.

Text most records share (a tool preamble, a template; dedup/shared.py) is cut out before
embedding, so it does not count as similarity; the longest block cut out of each record is a
column, and the check reports the blocks once. Empty texts are never duplicates. The check leaves
out records the dedup stage already reported, so the two findings do not double count.

With the static tier (large data, curate/embed/static.py) the static vectors only *retrieve*: a
record can be a duplicate, or the kept record of one, only when some other record with its numbers
sits at static cosine >= 1 - `static_ratio` x (1 - threshold) (0.80 for 0.95); just those records
are encoded by the fp32 model, and the keep/verify pass runs on their fp32 vectors with the fp32
threshold. Records left out have no fp32 neighbour at the threshold as far as the static recall goes,
so the result is fp32's own (when more than half the records are candidates, as on dense data, all
are verified: exactly fp32's result) (bench/embed_tiers.py: on Banking77, code_alpaca and gpteacher_roleplay
>= 99% of fp32's pairs at 0.95 sit at static cosine >= 0.80, and every record of such a pair is a
candidate; static distances near the top are up to ~3.5x fp32's, hence the ratio 4). Leakage works
the same way across the training and eval sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from curate.dedup.shared import shared_blocks
from curate.embed.encode import EmbedConfig, Embeddings, dataset_texts, record_texts
from curate.embed.neighbors import EXACT_UPTO, block_rows, close_mask, close_pairs, keep_first
from curate.stages import register_stage


@dataclass
class SemanticConfig(EmbedConfig):  # the EmbedConfig fields come from the embed stage (curate/engine/graph.py)
    threshold: float = 0.95  # cosine to a kept record at or above which a training record is a semantic duplicate
    leak_threshold: float = 0.95  # cosine at or above which a training record leaks an eval record
    shared_share: float = 0.1  # a text block in more than this share of records is template, not similarity (0: off)
    shared_min_chars: int = 64  # shortest run of such shared text that is cut out before embedding
    # static tier only: candidates are pairs at static cosine >= 1 - static_ratio x (1 - threshold), then fp32 decides
    static_ratio: float = 4.0


# above this share of records as candidates, the fp32 model verifies them all: it costs little more than
# the candidates, and the result is fp32's with no recall to bound (Banking77: 95% were candidates)
STATIC_MAX_SHARE = 0.5

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def number_keys(texts: list[str]) -> np.ndarray:
    """One int per text standing for the multiset of numbers it states (equal texts-numbers, equal keys)."""
    return np.array([hash(tuple(sorted(n.replace(",", "") for n in NUMBER_RE.findall(t or "")))) for t in texts],
                    dtype=np.int64)


def keep_verified(vecs: np.ndarray, threshold: float, *, candidate: np.ndarray | None = None,
                  same: np.ndarray | None = None, block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Visit records in order; returns (kept record each one duplicates or -1, cosine to it).

    `same`: a key per record (number_keys); a record only duplicates a kept record with its key.

    Memory stays O(block x n); a row with no neighbour >= threshold at all is kept without a
    Python-level step, so the cost is the matrix products plus one small step per similar record.
    """
    n = len(vecs)
    if n > EXACT_UPTO:  # every pair is n^2 x dim work: block the comparison (curate/embed/neighbors.py)
        i, j, s = close_pairs(vecs, threshold, same=same, active=None if candidate is None
                              else np.flatnonzero(np.asarray(candidate, dtype=bool)))
        return keep_first(n, i, j, s, candidate=candidate)
    # rows per block: the block x n similarities (float32) and their masks stay near 64 MB at any n
    # (1024 rows at 100k records held 410 MB of similarities plus two 100 MB masks)
    block = block or block_rows(n)
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float64)
    candidate = np.ones(n, dtype=bool) if candidate is None else np.asarray(candidate, dtype=bool)
    kept = np.zeros(n, dtype=bool)
    for s in range(0, n, block):
        e = min(n, s + block)
        m = vecs[s:e] @ vecs[:e].T
        close = (m >= threshold) & candidate[None, :e]
        for r in range(e - s):
            i = s + r
            if not candidate[i]:
                continue
            row_close = close[r, :i]
            if row_close.any():
                cand = np.flatnonzero(row_close & kept[:i])
                if same is not None:
                    cand = cand[same[cand] == same[i]]
                if len(cand):
                    j = cand[int(np.argmax(m[r, cand]))]
                    dup_of[i], sim[i] = j, float(m[r, j])
                    continue
            kept[i] = True
    return dup_of, sim


def static_cut(threshold: float, ratio: float) -> float:
    """The static cosine at which candidates for an fp32 `threshold` are retrieved (see the module docstring)."""
    return 1.0 - ratio * (1.0 - threshold)


def close_across(a: np.ndarray, b: np.ndarray, cut: float, keys_a=None, keys_b=None) -> tuple[np.ndarray, np.ndarray]:
    """(rows of a, rows of b) in some pair across at cosine >= `cut` with equal keys."""
    ra, rb = np.zeros(len(a), dtype=bool), np.zeros(len(b), dtype=bool)
    step = block_rows(len(b))
    for s in range(0, len(a), step):
        close = a[s:s + step] @ b.T >= cut
        if keys_a is not None and keys_b is not None:
            close &= keys_a[s:s + step, None] == keys_b[None, :]
        ra[s:s + step] = close.any(1)
        rb |= close.any(0)
    return ra, rb


@dataclass
class Exact:
    """The vectors decisions are made on, by row, when the matrices in hand are static ones (retrieval
    only): `dups(rows)` of the compared (shared-cut) texts, `train(rows)` of the record texts,
    `eval(k, rows)` of eval set k. Only candidate rows are ever asked for."""

    dups: Callable[[np.ndarray], np.ndarray]
    train: Callable[[np.ndarray], np.ndarray]
    eval: Callable[[int, np.ndarray], np.ndarray]


def duplicates(dv: np.ndarray, cfg: SemanticConfig, *, empty=None, keys=None, exact: Exact | None = None):
    """(kept record each record duplicates or -1, cosine to it): on `dv`, or, with `exact`, retrieved on the
    static `dv` and decided on the exact vectors of the candidates."""
    active = None if empty is None else ~np.asarray(empty, bool)
    if exact is None:
        return keep_verified(dv, cfg.threshold, candidate=active, same=keys)
    n = len(dv)
    limit = int(STATIC_MAX_SHARE * n)
    idx = np.flatnonzero(close_mask(dv, static_cut(cfg.threshold, cfg.static_ratio), same=keys, active=active,
                                       stop_above=limit))
    if len(idx) > limit:  # retrieval cannot narrow dense data: every record, fp32's result exactly
        idx = np.flatnonzero(np.ones(n, dtype=bool) if active is None else active)
    dup_of, sim = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float64)
    if len(idx):  # in dataset order: the keep-first visit is the same as over all records
        sub_of, sub_sim = keep_verified(exact.dups(idx), cfg.threshold, same=None if keys is None else keys[idx])
        hit = sub_of >= 0
        dup_of[idx[hit]], sim[idx[hit]] = idx[sub_of[hit]], sub_sim[hit]
    return dup_of, sim


def _nearest_same(a: np.ndarray, b: np.ndarray, keys_a=None, keys_b=None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a: (index of, cosine to) its nearest row of b with an equal key (-1 when none)."""
    j, sim = np.full(len(a), -1, dtype=np.int64), np.full(len(a), -1.0)
    step = block_rows(len(b))
    for s in range(0, len(a), step):
        m = a[s:s + step] @ b.T
        if keys_a is not None and keys_b is not None:
            m[keys_a[s:s + step, None] != keys_b[None, :]] = -1.0
        j[s:s + step], sim[s:s + step] = m.argmax(1), m.max(1)
    return j, sim


def leaks(vecs: np.ndarray, ev_vecs: np.ndarray, cfg: SemanticConfig, *, keys=None, ev_keys=None,
          exact: Exact | None = None, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per training record: (nearest eval record with its numbers, cosine); with `exact`, only the static
    candidates are compared, on their exact vectors (-1 / -1.0 elsewhere)."""
    if exact is None:
        return _nearest_same(vecs, ev_vecs, keys, ev_keys)
    ra, rb = close_across(vecs, ev_vecs, static_cut(cfg.leak_threshold, cfg.static_ratio), keys, ev_keys)
    ia, ib = np.flatnonzero(ra), np.flatnonzero(rb)
    if len(ia) > STATIC_MAX_SHARE * len(vecs):  # dense data: every pair, exactly fp32's result (see duplicates)
        ia, ib = np.arange(len(vecs)), np.arange(len(ev_vecs))
    j, sim = np.full(len(vecs), -1, dtype=np.int64), np.full(len(vecs), -1.0)
    if len(ia):
        sub_j, sub_sim = _nearest_same(exact.train(ia), exact.eval(k, ib), None if keys is None else keys[ia],
                                       None if ev_keys is None else ev_keys[ib])
        j[ia], sim[ia] = ib[sub_j], sub_sim
    return j, sim


def semantic_columns(vecs: np.ndarray, ids: list[str], eval_sets: list, eval_vecs: list, cfg: SemanticConfig,
                     *, dup_vecs: np.ndarray | None = None, empty: np.ndarray | None = None,
                     keys: np.ndarray | None = None, eval_keys: list | None = None, exact: Exact | None = None) -> dict:
    """`dup_vecs`: the vectors duplicates are found on (shared text cut out), default `vecs`;
    `empty`: records whose compared text is empty (never duplicates); `keys`, `eval_keys`: number
    keys of the training and eval texts (number_keys): only texts with equal keys can match;
    `exact`: the given vectors are static ones, which only retrieve; decisions are on these."""
    n = len(ids)
    dv = vecs if dup_vecs is None else dup_vecs
    dup_of, sim = duplicates(dv, cfg, empty=empty, keys=keys, exact=exact)
    kept_of = np.where(dup_of >= 0, dup_of, np.arange(n))
    size = np.bincount(kept_of, minlength=n)
    heads = np.flatnonzero(size > 1)
    cluster_id = np.full(n, -1, dtype=np.int64)
    member = size[kept_of] > 1
    cluster_id[member] = np.searchsorted(heads, kept_of[member])
    cols = {"semantic_dup_cluster": [int(c) for c in cluster_id],
            "semantic_dup_of": [ids[j] if j >= 0 else None for j in dup_of],
            "semantic_dup_similarity": [round(float(x), 4) if j >= 0 else None for j, x in zip(dup_of, sim)]}
    leak_of, leak_sim = [None] * n, [None] * n
    for k, (ev, ev_vecs) in enumerate(zip(eval_sets, eval_vecs)):
        if not len(ev_vecs) or not n:
            continue
        j, s = leaks(vecs, ev_vecs, cfg, keys=keys, ev_keys=None if eval_keys is None else eval_keys[k],
                     exact=exact, k=k)
        for i in np.nonzero(s >= cfg.leak_threshold)[0]:
            if leak_sim[i] is None or s[i] > leak_sim[i]:
                leak_of[i], leak_sim[i] = f"{ev.name}:{ev.ids[j[i]]}", round(float(s[i]), 4)
    cols.update({"semantic_leak_of": leak_of, "semantic_leak_similarity": leak_sim})
    return cols


@register_stage("semantic", config=SemanticConfig, inputs=("eval",), reads=("embedding",),
                columns=("semantic_dup_cluster", "semantic_dup_of", "semantic_dup_similarity", "semantic_leak_of",
                         "semantic_leak_similarity", "semantic_shared_block"))
def semantic(batch: dict[str, list], *, config: SemanticConfig, embedding: Embeddings,
             eval: list | None = None) -> dict[str, list]:
    """Semantic duplicates (cosine >= threshold to a kept record) in training, and semantic leakage into eval sets."""
    texts = record_texts(batch, config.side)
    vecs = embedding.vectors
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    shared = shared_blocks(texts, share=config.shared_share, min_chars=config.shared_min_chars,
                           active=np.array(sorted(first.values()), dtype=np.int64))
    dup_vecs = vecs
    cut = [i for i, (a, b) in enumerate(zip(shared.texts, texts)) if a != b]
    if shared.blocks and cut:  # only the records that lost a shared block are embedded again, with the same model
        dup_vecs = vecs.copy()
        dup_vecs[cut] = embedding.encode([shared.texts[i] for i in cut])
    empty = np.array([not t.strip() for t in shared.texts], dtype=bool)
    eval_sets = list(eval or [])
    eval_vecs = [embedding.of(ev) for ev in eval_sets]
    eval_texts = [dataset_texts(ev, config.side) for ev in eval_sets]
    eval_keys = [number_keys(t) for t in eval_texts]
    exact = None
    if embedding.static:  # static vectors retrieve; the fp32 model decides (module docstring)
        exact = Exact(dups=lambda rows: embedding.exact([shared.texts[i] for i in rows]),
                      train=lambda rows: embedding.exact([texts[i] for i in rows]),
                      eval=lambda k, rows: embedding.exact([eval_texts[k][i] for i in rows]))
    cols = semantic_columns(vecs, list(batch["id"]), eval_sets, eval_vecs, config, dup_vecs=dup_vecs, empty=empty,
                            keys=number_keys(texts), eval_keys=eval_keys, exact=exact)
    cols["semantic_shared_block"] = shared.block
    return cols
