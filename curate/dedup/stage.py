"""The `dedup` stage: exact and near-duplicate clusters, per-field exact matches, conflicts.

Outline (each phase a function in this package):
  texts    record text (the user and assistant turns in order; system prompts are ignored, so two
           records that differ only in their system prompt are duplicates), prompt, answer
  shingle  normalise + shingle every text once (minhash.shingle_sets), keys for exact matching
  exact    group identical records (exact.best_of_group)
  near     MinHash LSH over one record per exact group, candidates verified by exact Jaccard
  cluster  union-find over exact + near edges; one kept record per cluster (cluster.py)
  conflict near-identical prompts with different answers / labels (conflicts.py)

Columns (one value per record):
  exact_dup_of      id of the kept record it is an exact copy of (None for the kept record)
  exact_dup_field   which fields were identical ("prompt+response", "text+label", "text")
  near_dup_cluster  cluster id shared by every member of a duplicate cluster (None: no duplicate)
  near_dup_of       id of the kept record it nearly duplicates (None for the kept record)
  near_dup_jaccard  exact shingle Jaccard with near_dup_of (whole record text)
  near_dup_field    the field(s) where it differs from near_dup_of ("response", "prompt", ...)
  near_dup_method   how the match was found: "minhash" (the embedding stage adds "embedding")
  same_prompt_as    first record with the same normalised prompt but a different answer/label
  same_response_as  first record with the same normalised (non-empty) answer to another prompt
  conflicts_with    [{id, prompt_jaccard, answer_jaccard | label}] near-identical prompts, other answer

`curate clean` drops every record whose exact_dup_of or near_dup_of is set: exactly one record
per cluster survives.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.cluster import Edges, clusters, keep_rank
from curate.dedup.config import DedupConfig
from curate.dedup.conflicts import find_conflicts
from curate.dedup.exact import best_of_group, combine, label_keys
from curate.dedup.minhash import shingle_sets
from curate.dedup.pairs import similar_pairs
from curate.dedup.verify import jaccard_pairs
from curate.stages import register_stage

COLUMNS = ("exact_dup_of", "exact_dup_field", "near_dup_cluster", "near_dup_of", "near_dup_jaccard",
           "near_dup_field", "near_dup_method", "same_prompt_as", "same_response_as", "conflicts_with")


def record_texts(batch: dict) -> list[str]:
    """What near-duplicate detection compares: the user and assistant turns of a record, in order
    (system prompts are excluded: one shared system prompt would make every record look alike)."""
    out = []
    for p, r, msgs in zip(batch["prompt"], batch["response"], batch["messages"]):
        turns = [m["content"] for m in msgs or () if m["role"] in ("user", "assistant")]
        out.append("\n".join(turns) if turns else (p if not r else f"{p}\n{r}"))
    return out


def _kind(batch: dict) -> str:
    fmts = set(batch["format"])
    if fmts & {"classification"}:
        return "classification"
    if fmts <= {"text"}:
        return "text"
    return "sft"


@register_stage("dedup", config=DedupConfig, columns=COLUMNS, version="2")
def dedup(batch: dict[str, list], *, config: DedupConfig) -> dict[str, list]:
    """Exact and near-duplicate clusters with evidence, per-field exact matches, conflicting answers."""
    return find_duplicates(batch, config)[0]


def find_duplicates(batch: dict[str, list], config: DedupConfig) -> tuple[dict[str, list], Edges]:
    """The stage's columns, plus the verified duplicate edges (exact copy -> its group's kept
    record, near pairs between groups): what bench/dedup.py scores."""
    ids = list(batch["id"])
    n = len(ids)
    out = {c: [None] * n for c in COLUMNS}
    out["conflicts_with"] = [[] for _ in range(n)]
    if n == 0:
        return out, Edges()
    kind = _kind(batch)
    sft = kind == "sft"
    rec_sets = shingle_sets(record_texts(batch), shingle=config.shingle, ngram=config.ngram)
    prompt_sets = shingle_sets(batch["prompt"], shingle=config.shingle, ngram=config.ngram) if sft else rec_sets
    resp_sets = shingle_sets(batch["response"], shingle=config.shingle, ngram=config.ngram) if sft else None
    pkey = prompt_sets.doc_keys
    rkey = resp_sets.doc_keys if sft else np.zeros(n, np.uint64)
    lkey = label_keys(batch["label"]) if kind == "classification" else np.zeros(n, np.uint64)
    rec_key = combine(pkey, rkey, lkey)
    lengths = [len(r) if sft else len(p) for p, r in zip(batch["prompt"], batch["response"])]
    rank = keep_rank(config.keep, lengths=lengths, n=n)
    nonempty = rec_sets.sizes > 0

    # exact: identical normalised records
    rep = best_of_group(rec_key, rank, nonempty)
    edges = Edges()
    copies = np.flatnonzero((rep >= 0) & (rep != np.arange(n)))
    edges.add(copies, rep[copies], 1.0, "exact")

    # near: MinHash LSH over one record per exact group; classification joins only equal labels
    reps = np.flatnonzero(rep == np.arange(n))
    near = similar_pairs(rec_sets, threshold=config.threshold, num_perm=config.num_perm, seed=config.seed,
                         recall=config.recall, active=reps)
    pairs, jac = near.pairs, near.jaccard
    if kind == "classification":
        same_label = lkey[pairs[:, 0]] == lkey[pairs[:, 1]]
        pairs, jac = pairs[same_label], jac[same_label]
    edges.add(pairs[:, 0], pairs[:, 1], jac, "minhash")

    cluster, kept = clusters(n, edges, rank)
    _write_clusters(out, ids, cluster, kept, rec_key, pkey, rkey, rec_sets, edges, kind)
    _write_field_matches(out, ids, pkey, rkey, lkey, prompt_sets.sizes > 0,
                         resp_sets.sizes > 0 if sft else None, kind)
    find_conflicts(out, ids, kind=kind, prompt_sets=prompt_sets, resp_sets=resp_sets, pkey=pkey, rkey=rkey,
                   lkey=lkey, labels=batch["label"], cluster=cluster, config=config)
    return out, edges


def _write_clusters(out, ids, cluster, kept, rec_key, pkey, rkey, rec_sets, edges: Edges, kind) -> None:
    members = np.flatnonzero(cluster >= 0)
    for i in members:
        out["near_dup_cluster"][i] = int(cluster[i])
    dropped = members[kept[members] != members]
    exact = dropped[rec_key[dropped] == rec_key[kept[dropped]]]
    near = dropped[rec_key[dropped] != rec_key[kept[dropped]]]
    field = {"sft": "prompt+response", "classification": "text+label", "text": "text"}[kind]
    for i in exact:
        out["exact_dup_of"][i] = ids[kept[i]]
        out["exact_dup_field"][i] = field
    if len(near) == 0:
        return
    jac = jaccard_pairs(rec_sets, np.stack([near, kept[near]], axis=1))
    # the method of the strongest edge touching each record (later blocks, e.g. embedding, add theirs)
    ei, ej, sim, method = edges.arrays()
    order = np.argsort(sim, kind="stable")
    best_method = np.full(len(ids), "minhash", dtype=object)
    best_method[ei[order]] = method[order]
    best_method[ej[order]] = method[order]
    for i, j in zip(near, jac):
        k = kept[i]
        diff = [name for name, key in (("prompt", pkey), ("response", rkey)) if key[i] != key[k]]
        out["near_dup_of"][i] = ids[k]
        out["near_dup_jaccard"][i] = round(float(j), 4)
        out["near_dup_field"][i] = "text" if kind != "sft" else "+".join(diff) or "prompt+response"
        out["near_dup_method"][i] = "minhash" if best_method[i] == "exact" else best_method[i]


def _write_field_matches(out, ids, pkey, rkey, lkey, prompt_ok, resp_ok, kind) -> None:
    if kind == "text":
        return
    n = len(ids)
    first_prompt = best_of_group(pkey, np.arange(n), prompt_ok)
    answer = rkey if kind == "sft" else lkey
    for i in np.flatnonzero((first_prompt >= 0) & (first_prompt != np.arange(n))):
        if answer[i] != answer[first_prompt[i]]:
            out["same_prompt_as"][i] = ids[first_prompt[i]]
    if kind == "sft":
        first_resp = best_of_group(rkey, np.arange(n), resp_ok)
        for i in np.flatnonzero((first_resp >= 0) & (first_resp != np.arange(n))):
            if pkey[i] != pkey[first_resp[i]]:
                out["same_response_as"][i] = ids[first_resp[i]]
