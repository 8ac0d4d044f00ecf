"""Conflicting answers: the same (or a near-identical) prompt with a different answer or label.

A fine-tune learns from such pairs that one question has two answers; for classification they
are label conflicts (the same text under two intents). They are reported, never dropped
automatically: which answer is right needs a human.

Two prompts are "the same question" when their normalised texts are equal or their shingle
Jaccard is >= `conflict_threshold` (MinHash LSH, verified exactly). A pair is a conflict when the
answers (labels) differ and the two records are not already one duplicate cluster (a record whose
answer differs only slightly is a near-duplicate, handled by clean). For SFT data the answer
similarity is reported too, so a reader can tell a contradiction (answer Jaccard near 0) from
a rewording.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.exact import best_of_group
from curate.dedup.pairs import similar_pairs
from curate.dedup.verify import jaccard_pairs

MAX_LISTED = 20  # conflicts listed per record; the count in checks is never capped


def conflict_pairs(*, kind, prompt_sets, resp_sets, pkey, rkey, lkey, cluster, config):
    """(pairs (P, 2), prompt Jaccard (P,), answer Jaccard (P,) or None)."""
    n = len(pkey)
    if kind == "text" or n < 2:
        return np.zeros((0, 2), np.int64), np.zeros(0), None
    head = best_of_group(pkey, np.arange(n), prompt_sets.sizes > 0)
    same = np.flatnonzero((head >= 0) & (head != np.arange(n)))
    pairs = [np.stack([head[same], same], axis=1)]
    sims = [np.ones(len(same))]
    if config.conflict_threshold < 1.0:
        near = similar_pairs(prompt_sets, threshold=config.conflict_threshold, num_perm=config.num_perm,
                             seed=config.seed, recall=config.recall, active=np.flatnonzero(head == np.arange(n)))
        pairs.append(near.pairs)
        sims.append(near.jaccard)
    pairs, sims = np.concatenate(pairs), np.concatenate(sims)
    answer = rkey if kind == "sft" else lkey
    differs = answer[pairs[:, 0]] != answer[pairs[:, 1]]
    same_cluster = (cluster[pairs[:, 0]] >= 0) & (cluster[pairs[:, 0]] == cluster[pairs[:, 1]])
    keep = differs & ~same_cluster
    pairs, sims = pairs[keep], sims[keep]
    answer_sim = jaccard_pairs(resp_sets, pairs) if kind == "sft" else None
    return pairs, sims, answer_sim


def find_conflicts(out, ids, *, kind, prompt_sets, resp_sets, pkey, rkey, lkey, labels, cluster, config) -> None:
    """Fill out["conflicts_with"]: per record, the records that answer its prompt differently."""
    pairs, psim, asim = conflict_pairs(kind=kind, prompt_sets=prompt_sets, resp_sets=resp_sets, pkey=pkey,
                                       rkey=rkey, lkey=lkey, cluster=cluster, config=config)
    for k, (a, b) in enumerate(pairs):
        for me, other in ((a, b), (b, a)):
            entry = {"id": ids[other], "prompt_jaccard": round(float(psim[k]), 4)}
            if asim is not None:
                entry["answer_jaccard"] = round(float(asim[k]), 4)
            else:
                entry["label"] = str(labels[other])
            out["conflicts_with"][me].append(entry)
    for lst in out["conflicts_with"]:
        if len(lst) > 1:
            lst.sort(key=lambda e: (-e["prompt_jaccard"], e["id"]))
            del lst[MAX_LISTED:]
