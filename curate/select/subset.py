"""The selection outline: exclude what the gate flags -> group -> quota -> facility location -> reasons.

Groups are the labels of a classification set, else topic clusters of the embeddings
(curate/embed/topics.py). Each group's share of the budget comes from quota.py; inside a group,
facility location (facility.py) picks the records that best represent the group's eligible records,
and, with a reference set, the reference records whose nearest training record is in the group
(both sides weigh the same in total), optionally scaled by a usefulness score (score.py).
Every record gets one reason: why it was kept or left out, with the number the decision was made on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from curate.embed.coverage import nearest
from curate.select.facility import facility_location
from curate.select.quota import allocate

# Above this many eligible records in one group, a seeded sample of them stands for the group as
# facility-location clients (every record stays a candidate): the similarity matrix is clients x
# candidates, 2,000 x 50,000 float32 = 400 MB at most per group, instead of n^2.
MAX_CLIENTS = 2000


@dataclass
class Selection:
    selected: list[int]  # indices of kept records, dataset order
    reasons: list[dict]  # one per record, dataset order: kept, reason, group, and the decision's numbers
    groups: list[dict] = field(default_factory=list)  # per group: name, eligible, demand, quota, selected


def reference_demand(groups: np.ndarray, n_groups: int, vecs: np.ndarray, ref_vecs: np.ndarray | None,
                     ref_group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(demand per group, group of each reference record): equal without a reference.

    A reference record belongs to `ref_group` when given (its label), else to the group of its
    nearest training record; one with no training record at positive cosine belongs to none (-1):
    no group can serve it, and `curate gaps` lists it.
    """
    if ref_vecs is None or len(ref_vecs) == 0:
        return np.ones(n_groups), np.zeros(0, dtype=int)
    if ref_group is None:
        idx, sim = nearest(ref_vecs, vecs)
        ref_group = np.where(sim > 0, groups[idx], -1)
    ref_group = np.asarray(ref_group, dtype=int)
    return np.bincount(ref_group[ref_group >= 0], minlength=n_groups).astype(float), ref_group


def select(vecs: np.ndarray, groups: np.ndarray, names: list[str], budget: int, *, ids: list[str],
           excluded: dict[int, str] | None = None, usefulness: np.ndarray | None = None,
           ref_vecs: np.ndarray | None = None, ref_group: np.ndarray | None = None) -> Selection:
    """Pick `budget` records. `excluded`: index -> why the gate excludes it (never selected)."""
    n, k = len(vecs), len(names)
    excluded = excluded or {}
    eligible = np.array([i not in excluded for i in range(n)], dtype=bool)
    demand, rgroup = reference_demand(groups, k, vecs, ref_vecs, ref_group)
    capacity = np.array([int((eligible & (groups == g)).sum()) for g in range(k)])
    quota = allocate(budget, demand, capacity)
    u = np.ones(n) if usefulness is None else np.asarray(usefulness, dtype=float)
    reasons: list[dict] = [{} for _ in range(n)]
    chosen: list[int] = []
    table = []
    for g in range(k):
        members = np.where(groups == g)[0]
        cand = members[eligible[members]]
        served = cand if len(cand) <= MAX_CLIENTS else np.sort(np.random.default_rng(g).choice(cand, MAX_CLIENTS, replace=False))
        clients, weight = vecs[served], np.full(len(served), len(cand) / max(len(served), 1))
        if ref_vecs is not None and len(rgroup):
            ref_members = np.where(rgroup == g)[0]
            if len(ref_members) and len(cand):
                clients = np.vstack([clients, ref_vecs[ref_members]])
                weight = np.r_[weight, np.full(len(ref_members), len(cand) / len(ref_members))]
        picks, gains = facility_location(clients, vecs[cand], int(quota[g]), client_weight=weight, usefulness=u[cand])
        kept = cand[picks]
        total = float(weight.sum()) or 1.0
        whose = "its records' and reference records'" if len(weight) > len(served) else "its records'"
        for rank, (i, gain) in enumerate(zip(kept, gains), 1):
            raw = gain / u[i] / total  # what the record adds; the pick was made on raw x usefulness
            weighted = "" if usefulness is None else f" x usefulness {u[i]:.3f} = {gain / total:.3f}, the pick's score"
            reasons[i] = {"kept": True, "group": names[g], "reason": f"pick {rank} of {quota[g]} in '{names[g]}': "
                          f"adds {raw:.3f} to {whose} mean similarity to their nearest kept record{weighted}",
                          "gain": round(float(raw), 4), "score": round(gain / total, 4), "usefulness": round(float(u[i]), 4)}
        chosen.extend(kept.tolist())
        if len(kept):
            near_idx, near_sim = nearest(vecs[members], vecs[kept])
        for pos, i in enumerate(members):
            if reasons[i]:
                continue
            if i in excluded:
                reasons[i] = {"kept": False, "group": names[g], "reason": f"excluded by the gate: {excluded[i]}"}
            elif not len(kept):
                reasons[i] = {"kept": False, "group": names[g],
                              "reason": f"'{names[g]}' got no share of the budget (demand {demand[g]:g} of {demand.sum():g})"}
            else:
                j = kept[near_idx[pos]]
                reasons[i] = {"kept": False, "group": names[g], "nearest_kept": ids[j],
                              "nearest_kept_similarity": round(float(near_sim[pos]), 4),
                              "reason": f"'{names[g]}' quota of {quota[g]} filled; kept {ids[j]} is "
                                        f"{float(near_sim[pos]):.3f} similar", "usefulness": round(float(u[i]), 4)}
        table.append({"group": names[g], "records": int(len(members)), "eligible": int(capacity[g]),
                      "demand_share": round(float(demand[g] / max(demand.sum(), 1e-12)), 4),
                      "quota": int(quota[g]), "selected": int(len(kept))})
    for i in range(n):
        reasons[i] = {"id": ids[i], **reasons[i]}
    return Selection(sorted(chosen), reasons, table)
