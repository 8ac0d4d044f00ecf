"""The `dedup` stage: exact and near-duplicate clusters, per-field exact matches, conflicts.

Outline (each phase a function in this package):
  texts    record text (the user and assistant turns in order; system prompts are ignored, so two
           records that differ only in their system prompt are duplicates), or only the `fields`
           chosen in the config (e.g. [prompt], [instruction]); prompt, answer
  shingle  normalise + shingle every text once (minhash.shingle_sets), keys for exact matching
  exact    group identical records (exact.best_of_group)
  shared   text blocks most records share (a tool preamble, a template) are cut out of the compared
           text and reported once (shared.py)
  near     one record per exact group, best first: removed only when its exact Jaccard to a KEPT
           record is >= threshold (MinHash LSH candidates, keep.py); no chains
  cluster  a kept record, its exact copies and the records removed for it
  conflict near-identical prompts with different answers / labels (conflicts.py)

Columns (one value per record):
  exact_dup_of      id of the best-ranked record it is an exact copy of (None for that record);
                    exact takes precedence: an exact copy is never reported as a near-duplicate
  exact_dup_field   which fields were identical ("prompt+response", "text+label", "text", "prompt")
  near_dup_cluster  cluster id shared by every member of a duplicate cluster (None: no duplicate)
  near_dup_of       id of the kept record it nearly duplicates (None for the kept record)
  near_dup_jaccard  exact shingle Jaccard with near_dup_of (the compared text), always >= threshold
  near_dup_field    the field(s) where it differs from near_dup_of ("response", "prompt", ...)
  near_dup_method   how the match was found: "minhash"
  near_dup_shared_block  the longest shared block cut out of this record's compared text (None: none)
  same_prompt_as    first record with the same normalised prompt but a different answer/label
  same_response_as  first record with the same normalised (non-empty) answer to another prompt
  conflicts_with    [{id, prompt_jaccard, answer_jaccard | label}] near-identical prompts, other answer

`curate clean` drops every record whose exact_dup_of or near_dup_of is set: exactly one record
per cluster survives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.dedup.cluster import Edges, keep_rank
from curate.dedup.config import DedupConfig
from curate.dedup.conflicts import find_conflicts
from curate.dedup.exact import best_of_group, combine, label_keys
from curate.dedup.keep import keep_verified
from curate.dedup.lsh import lsh_params
from curate.dedup.minhash import ShingleSets, Sketch, shingle_sets, sketch
from curate.dedup.shared import SharedText, shared_blocks
from curate.errors import CurateError, did_you_mean
from curate.stages import register_stage

COLUMNS = ("exact_dup_of", "exact_dup_field", "near_dup_cluster", "near_dup_of", "near_dup_jaccard",
           "near_dup_field", "near_dup_method", "near_dup_shared_block", "same_prompt_as", "same_response_as",
           "conflicts_with")
ROLE_FIELDS = {"prompt": "user", "response": "assistant"}  # canonical names: every turn of that role


def record_texts(batch: dict) -> list[str]:
    """What near-duplicate detection compares: the user and assistant turns of a record, in order
    (system prompts are excluded: one shared system prompt would make every record look alike)."""
    out = []
    for p, r, msgs in zip(batch["prompt"], batch["response"], batch["messages"]):
        turns = [m["content"] for m in msgs or () if m["role"] in ("user", "assistant")]
        out.append("\n".join(turns) if turns else (p if not r else f"{p}\n{r}"))
    return out


def field_names(batch: dict) -> list[str]:
    """The names `fields:` accepts for this data: prompt, response and the source field names."""
    names = dict.fromkeys(ROLE_FIELDS)
    for fs in batch.get("fields") or ():
        for f in fs or ():
            names.setdefault(f["name"], None)
    return list(names)


def compared_texts(batch: dict, fields: list[str] | None) -> list[str]:
    """The text each record is compared on: `record_texts`, or only the chosen fields, joined."""
    if not fields:
        return record_texts(batch)
    known = field_names(batch)
    bad = [f for f in fields if f not in known]
    if bad:
        raise CurateError(f"stage 'dedup': unknown field(s) {', '.join(repr(f) for f in bad)} in `fields`"
                          f"{did_you_mean(bad[0], known)}; this data has: {', '.join(known)}",
                          fix="under stages: dedup: fields: in the rules file (or --fields), list names from "
                              "the ones this data has")
    out = []
    for k in range(len(batch["id"])):
        parts = []
        for name in fields:
            if name in ROLE_FIELDS:
                msgs = batch["messages"][k] or ()
                turns = [m["content"] for m in msgs if m["role"] == ROLE_FIELDS[name]]
                parts += turns if msgs else [batch[name][k] or ""]
            else:
                parts += [f["text"] for f in (batch.get("fields") or [[]] * len(batch["id"]))[k] or ()
                          if f["name"] == name]
        out.append("\n".join(p for p in parts if p))
    return out


def _kind(batch: dict) -> str:
    fmts = set(batch["format"])
    if fmts & {"classification"}:
        return "classification"
    if fmts <= {"text"}:
        return "text"
    return "sft"


@register_stage("dedup", config=DedupConfig, columns=COLUMNS)
def dedup(batch: dict[str, list], *, config: DedupConfig) -> dict[str, list]:
    """Exact and near-duplicates verified against the kept record, shared text found, per-field matches, conflicts."""
    return find_duplicates(batch, config)[0]


@dataclass
class Compared:
    """What the near-duplicate step compares, computed once (the stage and --calibrate share it)."""

    kind: str  # "sft", "classification" or "text"
    rec_sets: ShingleSets | Sketch  # the compared text of each record (record_texts or the chosen fields)
    prompt_sets: ShingleSets | Sketch | None  # None when prepare(keep_sides=False) let them go (rebuild: side_sets)
    resp_sets: ShingleSets | Sketch | None
    pkey: np.ndarray  # exact keys of the prompt, the answer, the label
    rkey: np.ndarray
    lkey: np.ndarray
    rank: np.ndarray  # keep_rank: lower is kept first
    rep: np.ndarray  # best-ranked identical record of each record (-1: empty text)
    shared: SharedText  # blocks most records share, cut out of the compared text
    near_sets: ShingleSets | Sketch  # the compared text without the shared blocks
    prompt_ok: np.ndarray | None = None  # the prompt has text (prompt_sets.sizes > 0)
    resp_ok: np.ndarray | None = None


def side_sets(batch: dict[str, list], config: DedupConfig) -> tuple[ShingleSets, ShingleSets | None]:
    """The prompt's and the answer's shingle sets, as prepare makes them."""
    sh = dict(shingle=config.shingle, ngram=config.ngram)
    return shingle_sets(batch["prompt"], **sh), shingle_sets(batch["response"], **sh) if _kind(batch) == "sft" else None


def prepare(batch: dict[str, list], config: DedupConfig, *, keep_sides: bool = True, sketched: bool = False) -> Compared:
    """`keep_sides=False`: the prompt's and answer's own shingle sets are read for their keys and let
    go before the record's are built, so the three (uint64 character shingles: 273 + 415 + 566 MB at
    100k generated records) are never held at once; find_duplicates rebuilds them for the conflicts.
    `sketched=True`: no set is held at all, only `Sketch`es (sizes, keys, the signatures the stage's
    thresholds need); the steps rebuild the sets of the records they verify."""
    n = len(batch["id"])
    texts = compared_texts(batch, config.fields)  # validates `fields`
    kind = _kind(batch)
    sft = kind == "sft"
    sides = sft or bool(config.fields)
    near_perm = (np.prod(lsh_params(config.threshold, config.num_perm, config.recall)),)
    conflict_perm = (np.prod(lsh_params(config.conflict_threshold, config.num_perm, config.recall)),) \
        if kind != "text" and config.conflict_threshold < 1.0 else ()
    sh = dict(shingle=config.shingle, ngram=config.ngram)

    def sets(texts: list, perms: tuple):
        return sketch(texts, **sh, num_perms=tuple(dict.fromkeys(int(p) for p in perms)), seed=config.seed) \
            if sketched else shingle_sets(texts, **sh)

    prompt_sets = sets(batch["prompt"], conflict_perm) if sides else None
    resp_sets = sets(batch["response"], ()) if sft else None
    pkey = prompt_sets.doc_keys if sides else None
    rkey = resp_sets.doc_keys if sft else np.zeros(n, np.uint64)
    prompt_ok = prompt_sets.sizes > 0 if sides else None
    resp_ok = resp_sets.sizes > 0 if sft else None
    if not keep_sides and not sketched:
        prompt_sets = resp_sets = None
    rec_sets = sets(texts, near_perm + (() if sides else conflict_perm))
    if not sides:
        prompt_sets, pkey, prompt_ok = rec_sets, rec_sets.doc_keys, rec_sets.sizes > 0
    lkey = label_keys(batch["label"]) if kind == "classification" else np.zeros(n, np.uint64)
    rec_key = combine(rec_sets.doc_keys, lkey) if config.fields else combine(pkey, rkey, lkey)
    lengths = [len(r) if sft else len(p) for p, r in zip(batch["prompt"], batch["response"])]
    rank = keep_rank(config.keep, lengths=lengths, n=n)
    # exact: identical normalised records (or chosen fields); exact takes precedence over near
    rep = best_of_group(rec_key, rank, rec_sets.sizes > 0)
    # shared text: blocks most (distinct) records carry do not count as similarity
    reps = np.flatnonzero(rep == np.arange(n))
    shared = shared_blocks(texts, share=config.shared_share, min_chars=config.shared_min_chars, active=reps)
    near_sets = sets(shared.texts, near_perm) if shared.blocks else rec_sets
    return Compared(kind, rec_sets, prompt_sets, resp_sets, pkey, rkey, lkey, rank, rep, shared, near_sets,
                    prompt_ok, resp_ok)


def near_duplicates(c: Compared, config: DedupConfig, threshold: float | None = None, buckets=None):
    """One record per exact group, best first, each verified against the records kept so far:
    (kept record each one near-duplicates or -1, Jaccard to it)."""
    n = len(c.rep)
    reps = np.flatnonzero(c.rep == np.arange(n))
    order = reps[np.argsort(c.rank[reps], kind="stable")]
    return keep_verified(c.near_sets, order, threshold=config.threshold if threshold is None else threshold,
                         num_perm=config.num_perm, seed=config.seed, recall=config.recall,
                         same=c.lkey if c.kind == "classification" else None, buckets=buckets)


def find_duplicates(batch: dict[str, list], config: DedupConfig, *, buckets=None) -> tuple[dict[str, list], Edges]:
    """The stage's columns, plus the decisions as edges (exact copy -> the best identical record,
    near-duplicate -> the kept record it was verified against): what bench/dedup.py scores.
    `buckets`: the LSH bucketing (keep.band_buckets; the Ray engine passes its distributed one)."""
    ids = list(batch["id"])
    n = len(ids)
    out = {c: [None] * n for c in COLUMNS}
    out["conflicts_with"] = [[] for _ in range(n)]
    if n == 0:
        compared_texts(batch, config.fields)  # bad field names are an error even on an empty file
        return out, Edges()
    # sketched: no shingle set held (a million records' would not fit in 8 GB); the Ray engine's
    # bucketing computes the signatures on its workers, from the sets
    c = prepare(batch, config, keep_sides=False, sketched=buckets is None)
    kind, rep, pkey, rkey, lkey = c.kind, c.rep, c.pkey, c.rkey, c.lkey
    copies = np.flatnonzero((rep >= 0) & (rep != np.arange(n)))
    dup_of, jac = near_duplicates(c, config, buckets=buckets)
    near = np.flatnonzero(dup_of >= 0)
    edges = Edges().add(copies, rep[copies], 1.0, "exact").add(near, dup_of[near], jac[near], "minhash")

    kept = np.where(dup_of >= 0, dup_of, np.arange(n))
    kept = np.where(rep >= 0, kept[np.maximum(rep, 0)], -1)  # an exact copy joins its record's kept record
    cluster = _clusters(kept)
    fields_label = "+".join(config.fields) if config.fields else None
    for i in copies:
        out["exact_dup_of"][i] = ids[rep[i]]
        out["exact_dup_field"][i] = fields_label or {"sft": "prompt+response", "classification": "text+label",
                                                     "text": "text"}[kind]
    for i in near:
        k = dup_of[i]
        diff = [name for name, key in (("prompt", pkey), ("response", rkey)) if key[i] != key[k]]
        out["near_dup_of"][i] = ids[k]
        out["near_dup_jaccard"][i] = round(float(jac[i]), 4)
        out["near_dup_field"][i] = fields_label or ("text" if kind != "sft" else "+".join(diff) or "prompt+response")
        out["near_dup_method"][i] = "minhash"
    for i in np.flatnonzero(cluster >= 0):
        out["near_dup_cluster"][i] = int(cluster[i])
    out["near_dup_shared_block"] = c.shared.block
    _write_field_matches(out, ids, pkey, rkey, lkey, c.prompt_ok, c.resp_ok, kind)
    prompt_sets, resp_sets = c.prompt_sets, c.resp_sets
    if prompt_sets is None:  # let go in prepare: the record's sets go first, then the sides come back
        c.rec_sets = c.near_sets = c.shared.texts = None
        prompt_sets, resp_sets = side_sets(batch, config)
    find_conflicts(out, ids, kind=kind, prompt_sets=prompt_sets, resp_sets=resp_sets, pkey=pkey, rkey=rkey,
                   lkey=lkey, labels=batch["label"], cluster=cluster, config=config)
    return out, edges


def _clusters(kept: np.ndarray) -> np.ndarray:
    """Cluster id per record (-1: none): kept records with at least one duplicate, numbered in
    dataset order of the kept record, so ids are stable for the same data and configuration."""
    n = len(kept)
    cluster = np.full(n, -1, dtype=np.int64)
    valid = kept >= 0
    size = np.bincount(kept[valid], minlength=n)
    member = valid & (size[np.maximum(kept, 0)] > 1)
    heads = np.unique(kept[member])
    cluster[member] = np.searchsorted(heads, kept[member])
    return cluster


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
