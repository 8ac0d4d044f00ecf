"""The `leakage` stage: training records whose prompt also appears in an eval/test set.

Test-set contamination in fine-tuning data looks like this: the eval question (or a copy that
differs in case, whitespace, punctuation or a few words) sits in the training file, so the
eval score measures memorisation. Training and eval texts are shingled together; exact matches
come from the normalised-text keys, near matches from MinHash LSH restricted to pairs that
cross from training into an eval set, verified with exact Jaccard.

Column: leaks_into  [{set, id, similarity}] per training record, most similar first; `set` is
the eval dataset's name (CurateDataset.name), `similarity` the exact Jaccard (1.0: identical
after normalisation). With field="prompt", each user turn of a chat record is compared on its
own (see `units`).
"""

from __future__ import annotations

import numpy as np

from curate.dedup.config import LeakageConfig
from curate.dedup.minhash import shingle_sets
from curate.dedup.pairs import similar_pairs
from curate.stages import register_stage

MAX_LISTED = 20


def units(batch: dict, field: str) -> tuple[list[str], list[int], list[int]]:
    """The texts compared: (texts, record each came from, kind 0 = prompt / 1 = whole record).

    Prompt units: every user turn of a chat record on its own, so an eval question copied into
    the second turn of a training conversation is still found; other formats use the prompt.
    Record units: the user and assistant text together, which catches a copied record whose
    short prompt was edited (2 inserted words in a 12-word prompt is Jaccard ~0.7, but the copied
    answer keeps the record near 0.9). field="any" compares both; prompts only ever meet
    prompts and records meet records.
    """
    texts, owner, kind = [], [], []
    for i, (p, r, msgs) in enumerate(zip(batch["prompt"], batch["response"], batch["messages"])):
        if field in ("prompt", "any"):
            turns = [m["content"] for m in msgs or () if m["role"] == "user"] if len(msgs or ()) > 2 else [p]
            texts += turns
            owner += [i] * len(turns)
            kind += [0] * len(turns)
        if field in ("record", "any") and r:
            texts.append(f"{p}\n{r}")
            owner.append(i)
            kind.append(1)
    return texts, owner, kind


@register_stage("leakage", config=LeakageConfig, columns=("leaks_into",), inputs=("eval",))
def leakage(batch: dict[str, list], *, config: LeakageConfig, eval: list | None = None) -> dict[str, list]:
    """Training records whose prompt (exactly or nearly) appears in an eval/test set."""
    n = len(batch["id"])
    out = [[] for _ in range(n)]
    if n == 0 or not eval:
        return {"leaks_into": out}
    texts, owner, kind = units(batch, config.field)
    group = [0] * len(texts)
    eval_ids: list[str] = []
    eval_set: list[str] = []
    for k, ds in enumerate(eval, start=1):
        eb = ds.batch(("id", "prompt", "response", "messages"))
        t, o, kd = units(eb, config.field)
        texts += t
        owner += [len(eval_ids) + j for j in o]  # eval records are numbered after each other
        kind += kd
        group += [k] * len(t)
        eval_ids += list(eb["id"])
        eval_set += [ds.name] * len(ds)
    n_train_units = sum(1 for g in group if g == 0)
    owner, group, kind = np.asarray(owner), np.asarray(group), np.asarray(kind)
    sets = shingle_sets(texts, shingle=config.shingle, ngram=config.ngram)
    found: dict[tuple[int, int], float] = {}  # (training record, eval record) -> best similarity
    # exact: equal normalised text (equal key), empty texts excluded
    keys, nonempty = sets.doc_keys, sets.sizes > 0
    train_of_key: dict[int, list[int]] = {}
    for u in np.flatnonzero(nonempty[:n_train_units]):
        train_of_key.setdefault((int(keys[u]), int(kind[u])), []).append(int(owner[u]))
    for u in np.flatnonzero(nonempty[n_train_units:]) + n_train_units:
        for i in train_of_key.get((int(keys[u]), int(kind[u])), ()):
            found[(i, int(owner[u]))] = 1.0
    near = similar_pairs(sets, threshold=config.threshold, num_perm=config.num_perm, seed=config.seed,
                         recall=config.recall, group=group)
    for (a, b), j in zip(near.pairs, near.jaccard):
        if group[a] == 0 and group[b] > 0 and kind[a] == kind[b]:  # training -> eval (training units come first)
            key = (int(owner[a]), int(owner[b]))
            found[key] = max(found.get(key, 0.0), float(j))
    for (i, e), sim in found.items():
        out[i].append({"set": eval_set[e], "id": eval_ids[e], "similarity": round(sim, 4)})
    for lst in out:
        if len(lst) > 1:
            lst.sort(key=lambda d: (-d["similarity"], d["set"], d["id"]))
            del lst[MAX_LISTED:]
    return {"leaks_into": out}
