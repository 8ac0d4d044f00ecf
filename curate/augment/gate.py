"""The quality gate every generated record must pass before it is written.

A candidate is compared with the original records, the eval sets and the candidates accepted
before it (dataset order), with the audit's own measures and thresholds:
- truncated: empty text, or a language model that stopped at its token limit;
- protected_changed: the code, numbers, placeholders, URLs, e-mails or quotes (protect.py) differ
  from the source's; an answer that was right for the source may be wrong for the rewrite;
- eval_leak: an exact, near (shingle Jaccard, the dedup stage's) or semantic (cosine, the
  semantic stage's, same numbers) match of an eval record;
- exact_duplicate / near_duplicate / semantic_duplicate: the same against training records and
  accepted candidates; near duplicates are compared on what the dedup stage compares (all turns);
- pii_added: a PII span (the pii stage's detector) the source did not have;
- label_inconsistent (classification): the k nearest original records (cosine), each weighted by
  1 / its label's size, do not vote for the candidate's label: the edit moved it towards another class.
The first failing reason is the one reported, with the number it was decided on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

REASONS = ("truncated", "protected_changed", "eval_leak", "exact_duplicate", "near_duplicate", "semantic_duplicate",
           "pii_added", "label_inconsistent")


@dataclass
class GateConfig:
    near_threshold: float = 0.8  # shingle Jaccard of a near duplicate (the dedup stage's default)
    shingle: str = "char"  # the dedup stage's shingles
    ngram: int = 5
    semantic_threshold: float = 0.95  # cosine of a semantic duplicate / leak (the semantic stage's default)
    k: int = 10  # nearest original records that vote on a candidate's label
    check_pii: bool = True  # run the PII detector on generated text


def _numbers(texts):
    from curate.embed.semantic import number_keys

    return number_keys(texts)


def label_votes(cand_vecs: np.ndarray, vecs: np.ndarray, labels: list, k: int, *, exclude_self: bool = False):
    """Counter of labels among the k nearest originals, per row.

    The vote is read with each neighbour weighted by 1 / its label's record count (`agrees`): a plain
    plurality would outvote every label with fewer than k/2 records, the thin labels augmentation grows.
    """
    out = []
    if not len(vecs):
        return out
    sim = cand_vecs @ vecs.T
    if exclude_self:
        np.fill_diagonal(sim, -np.inf)
    kk = min(k, len(vecs) - (1 if exclude_self else 0))
    top = np.argsort(-sim, axis=1, kind="stable")[:, :kk]
    for row in top:
        out.append(Counter(str(labels[j]) for j in row))
    return out


def agrees(vote: Counter, label: str, sizes: Counter) -> tuple[bool, str]:
    """(the class-size-weighted vote picks `label` or ties it, evidence with the raw counts)."""
    weighted = {lab: c / sizes[lab] for lab, c in vote.items()}
    best = max(weighted.values())
    top = max(weighted, key=lambda lab: (weighted[lab], lab == label))
    ok = weighted.get(label, 0.0) >= best - 1e-12
    evidence = (f"{vote[label]} of {sum(vote.values())} nearest original records are '{label}' (of {sizes[label]}), "
                f"{vote[top]} are '{top}' (of {sizes[top]}): weighted by label size, the vote is "
                f"{weighted.get(label, 0.0):.3f} vs {weighted[top]:.3f}")
    return ok, evidence


def loo_agreement(vecs: np.ndarray, labels: list, k: int) -> float:
    """Share of original records whose own k nearest other records vote for their label (the gate's baseline)."""
    if len(vecs) < 2:
        return 1.0
    sizes = Counter(map(str, labels))
    votes = label_votes(vecs, vecs, labels, k, exclude_self=True)
    ok = []
    for v, lab in zip(votes, labels):
        own = sizes.copy()
        own[str(lab)] -= 1  # the record itself is not among its neighbours
        ok.append(agrees(v, str(lab), own)[0] if own[str(lab)] else True)
    return float(np.mean(ok))


def run_gate(cands: list[dict], ds, vecs: np.ndarray, cand_vecs: np.ndarray, *, eval_sets=(), eval_vecs=(),
             cfg: GateConfig | None = None) -> list[dict]:
    """One verdict per candidate: {"accepted", "reason", "evidence"}.

    A candidate: {"record": canonical record, "source": index into ds, "edited": {field name: (old, new)},
    "unfinished": bool}. `vecs`/`cand_vecs`/`eval_vecs`: prompt embeddings (unit vectors).
    """
    from curate.augment.protect import changed_protected
    from curate.dedup.minhash import shingle_sets
    from curate.dedup.normalize import normalize
    from curate.dedup.pairs import similar_pairs
    from curate.dedup.stage import record_texts

    cfg = cfg or GateConfig()
    n, c = len(ds), len(cands)
    recs = [x["record"] for x in cands]
    cols = ("prompt", "response", "messages")
    orig_cmp = record_texts({k: [r[k] for r in ds.records] for k in cols})
    cand_cmp = record_texts({k: [r[k] for r in recs] for k in cols})
    ev_cmp, ev_names, ev_prompts = [], [], []
    for ev in eval_sets:
        ev_cmp += record_texts({k: [r[k] for r in ev.records] for k in cols})
        ev_prompts += [r["prompt"] for r in ev.records]
        ev_names += [f"{ev.name}:{rid}" for rid in ev.ids]
    e = len(ev_cmp)
    ev_v = np.vstack([v for v in eval_vecs if len(v)]) if e else np.zeros((0, cand_vecs.shape[1] if c else 1))

    # near duplicates: one MinHash pass over originals + eval + candidates (prompt-only eval texts too: a
    # leak of an eval question is a leak whatever answer follows it)
    texts = orig_cmp + ev_cmp + ev_prompts + cand_cmp + [r["prompt"] for r in recs]
    sets = shingle_sets(texts, shingle=cfg.shingle, ngram=cfg.ngram)
    pairs = similar_pairs(sets, threshold=cfg.near_threshold, num_perm=128)
    base_c, base_p = n + 2 * e, n + 2 * e + c
    near: dict[int, list[tuple[int, float]]] = {}
    for (a, b), j in zip(pairs.pairs.tolist(), pairs.jaccard.tolist()):
        for x, y in ((a, b), (b, a)):
            if x >= base_c:
                near.setdefault((x - base_c) % c, []).append((y, j))

    def who(y: int) -> tuple[str, int | None]:
        if y < n:
            return "training", y
        if y < n + 2 * e:
            return "eval", (y - n) % e
        return "candidate", (y - base_c) % c

    orig_norm = {}
    for i, t in enumerate(orig_cmp):
        orig_norm.setdefault(normalize(t), i)
    ev_norm = {normalize(t): i for i, t in enumerate(ev_cmp)} | {normalize(t): i for i, t in enumerate(ev_prompts)}
    keys = _numbers([r["prompt"] for r in ds.records])
    ckeys = _numbers([r["prompt"] for r in recs])
    ekeys = _numbers(ev_prompts) if e else np.zeros(0, dtype=np.int64)
    sim_orig = cand_vecs @ vecs.T if c and n else np.zeros((c, n))
    sim_ev = cand_vecs @ ev_v.T if c and e else np.zeros((c, e))
    sim_cand = cand_vecs @ cand_vecs.T if c else np.zeros((0, 0))
    labels = [r["label"] for r in ds.records]
    labelled = bool(labels) and all(lab is not None for lab in labels)
    votes = label_votes(cand_vecs, vecs, labels, cfg.k) if labelled and c else []
    sizes = Counter(map(str, labels))
    pii_new = _pii_added(cands, ds) if cfg.check_pii else [None] * c

    accepted = np.zeros(c, dtype=bool)
    out = []
    for i, x in enumerate(cands):
        rec, src = x["record"], x["source"]
        src_id = ds.ids[src]

        def verdict(reason, evidence):
            return {"accepted": False, "reason": reason, "evidence": evidence}

        v = None
        if not rec["prompt"].strip():
            v = verdict("truncated", "the generated text is empty")
        elif x.get("unfinished"):
            v = verdict("truncated", f"the model stopped at its limit of {x['unfinished']} new tokens")
        if v is None:
            for name, (old, new) in x["edited"].items():
                lost, added = changed_protected(old, new)
                if lost or added:
                    v = verdict("protected_changed", f"{name}: lost {lost[:3]}, added {added[:3]}")
                    break
        if v is None and e:
            key = normalize(cand_cmp[i])
            hit_near = [(y, j) for y, j in near.get(i, []) if who(y)[0] == "eval"]
            m = ekeys == ckeys[i]
            best = int(np.argmax(np.where(m, sim_ev[i], -np.inf))) if m.any() else -1
            if key in ev_norm or normalize(rec["prompt"]) in ev_norm:
                v = verdict("eval_leak", f"same text as eval record {ev_names[ev_norm.get(key, ev_norm.get(normalize(rec['prompt'])))]}")
            elif hit_near:
                y, j = max(hit_near, key=lambda t: t[1])
                v = verdict("eval_leak", f"shingle Jaccard {j:.3f} >= {cfg.near_threshold} to eval record {ev_names[who(y)[1]]}")
            elif best >= 0 and sim_ev[i, best] >= cfg.semantic_threshold:
                v = verdict("eval_leak", f"cosine {sim_ev[i, best]:.3f} >= {cfg.semantic_threshold} to eval record "
                                         f"{ev_names[best]}")
        if v is None:
            key = normalize(cand_cmp[i])
            earlier = [j for j in range(i) if accepted[j] and normalize(cand_cmp[j]) == key]
            if key in orig_norm:
                v = verdict("exact_duplicate", f"same text as training record {ds.ids[orig_norm[key]]}")
            elif earlier:
                v = verdict("exact_duplicate", f"same text as generated record {cands[earlier[0]]['record']['id']}")
        if v is None:
            hits = [(y, j) for y, j in near.get(i, []) if who(y)[0] == "training"
                    or (who(y)[0] == "candidate" and who(y)[1] < i and accepted[who(y)[1]])]
            if hits:
                y, j = max(hits, key=lambda t: t[1])
                kind, idx = who(y)
                name = ds.ids[idx] if kind == "training" else cands[idx]["record"]["id"]
                v = verdict("near_duplicate", f"shingle Jaccard {j:.3f} >= {cfg.near_threshold} to {kind} record {name}")
        if v is None:
            m = keys == ckeys[i]
            best = int(np.argmax(np.where(m, sim_orig[i], -np.inf))) if m.any() else -1
            prev = [j for j in range(i) if accepted[j] and ckeys[j] == ckeys[i]]
            bestc = max(prev, key=lambda j: sim_cand[i, j]) if prev else -1
            if best >= 0 and sim_orig[i, best] >= cfg.semantic_threshold:
                v = verdict("semantic_duplicate", f"cosine {sim_orig[i, best]:.3f} >= {cfg.semantic_threshold} to "
                                                  f"training record {ds.ids[best]}")
            elif bestc >= 0 and sim_cand[i, bestc] >= cfg.semantic_threshold:
                v = verdict("semantic_duplicate", f"cosine {sim_cand[i, bestc]:.3f} >= {cfg.semantic_threshold} to "
                                                  f"generated record {cands[bestc]['record']['id']}")
        if v is None and pii_new[i]:
            v = verdict("pii_added", "; ".join(pii_new[i][:3]))
        if v is None and votes:
            ok, evidence = agrees(votes[i], str(rec["label"]), sizes)
            if not ok:
                v = verdict("label_inconsistent", evidence)
        if v is None:
            accepted[i] = True
            v = {"accepted": True, "reason": None, "evidence": f"generated from {src_id}"}
        out.append(v)
    return out


def _pii_added(cands: list[dict], ds) -> list[list[str]]:
    """Per candidate: PII spans (entity 'text') in an edited field that its source field did not have."""
    from curate.pii.detect import PiiConfig, get_detector

    det = get_detector(PiiConfig())
    olds = [old for x in cands for old, _ in x["edited"].values()]
    news = [new for x in cands for _, new in x["edited"].values()]
    found = det.detect(olds + news)
    before, after = found[:len(olds)], found[len(olds):]
    out, k = [], 0
    for x in cands:
        added = []
        for (old, new), b, a in zip(x["edited"].values(), before[k:k + len(x["edited"])], after[k:k + len(x["edited"])]):
            had = {(s.entity_type, old[s.start:s.end]) for s in b}
            # the type only: the value is personal data, and the manifest is not a quarantine
            added += [f"a new {s.entity_type} span" for s in a if (s.entity_type, new[s.start:s.end]) not in had]
        k += len(x["edited"])
        out.append(added)
    return out
