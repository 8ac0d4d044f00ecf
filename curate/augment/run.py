"""`augment_dataset`: a dataset in; the original records plus gated generated ones out, with a manifest.

Outline: embed -> group (select's grouping: labels, or topic clusters for SFT) -> which groups grow
(thin: fewer records than the median group; or all) -> sources (records the audit's gate does not
flag) -> K candidates per source (eda or lm) -> the quality gate (gate.py) -> rows + manifest.

What is edited: the text of a classification/text record; for prompt/answer records only the
instruction (alpaca / prompt_completion: the prompt field; chat: the user turns). Answers are never
edited: an answer's numbers and facts must stay right for its prompt, and a generated record keeps
its source's answer, so its prompt keeps every number, code span, placeholder, URL and quote.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import numpy as np

from curate.augment.gate import REASONS, GateConfig, loo_agreement, run_gate
from curate.errors import CurateError

MARK = "curate_generated"
SFT_OPS = ("synonym",)  # swaps, deletions and insertions in a prompt can change what its answer must say
CLASSIFICATION_OPS = ("synonym", "insert", "swap", "delete")


@dataclass
class AugmentConfig:
    only: str = "thin"  # thin: groups with fewer records than the median group; all: every group
    method: str = "eda"  # eda: rule-based edits; lm: paraphrases from a local causal LM
    per_record: int = 2  # candidates generated per source record (before the gate)
    seed: int = 0  # every random choice derives from it
    alpha: float = 0.1  # EDA: share of a text's words one operation changes
    ops: tuple | None = None  # EDA operations; None: all four for classification/text, synonyms only for SFT
    embed_model: str = ""  # sentence-transformers model for grouping, the thesaurus and the gate ("" = bundled)
    lm_model: str = ""  # causal LM directory for --method lm ("" = Gemma 3 270M from its package)
    distance_threshold: float = 0.65  # topic clustering cut for unlabelled data (select's default)
    gate: GateConfig = field(default_factory=GateConfig)


@dataclass
class Augmentation:
    rows: list[dict]  # original raw rows, then accepted generated rows (marked)
    manifest: list[dict]  # one per candidate: source, group, method, ops, text, accepted, reason, evidence
    summary: dict


def editable_fields(ds, rec: dict) -> list[dict]:
    m = ds.mapping
    if rec["format"] in ("classification", "text"):
        return [f for f in rec["fields"] if f["name"] == m.text_field]
    if rec["format"] == "chat":
        return [f for f in rec["fields"] if f.get("role") == "user" and not f.get("alternative")]
    return [f for f in rec["fields"] if f["name"] == m.prompt_field]


def _marked(row: dict, mark: dict, kind: str) -> dict:
    return {**row, MARK: json.dumps(mark, ensure_ascii=False) if kind in ("csv", "tsv") else mark}


def generate(ds, sources: list[int], cfg: AugmentConfig, use_cache: bool) -> list[dict]:
    """Candidates (raw row, canonical record, what was edited, ops) for each source record, in order."""
    from curate.load.formats import InvalidRecord, canonical
    from curate.writers import set_field

    ops = cfg.ops or (CLASSIFICATION_OPS if ds.format in ("classification", "text") else SFT_OPS)
    if cfg.method == "eda":
        from curate.augment import eda
        from curate.augment.synonyms import embedder_thesaurus

        thesaurus = embedder_thesaurus(cfg.embed_model, use_cache=use_cache)
    else:
        from curate.augment import lm

        paraphraser = lm.Paraphraser(cfg.lm_model, seed=cfg.seed)
    out = []
    used_ids = set(ds.ids)
    for s in sources:
        rec, row = ds.records[s], ds.raw[s]
        fields = editable_fields(ds, rec)
        if not fields:
            continue
        # one candidate = every editable field rewritten; per field, K variants zipped together
        per_field = []
        for f_i, f in enumerate(fields):
            seed = cfg.seed * 1_000_003 + s * 97 + f_i
            if cfg.method == "eda":
                per_field.append([(t, ops_, 0) for t, ops_ in eda.candidates(
                    f["text"], cfg.per_record, ops=ops, seed=seed, thesaurus=thesaurus, alpha=cfg.alpha)])
            else:
                per_field.append(paraphraser.paraphrase(f["text"], cfg.per_record, seed=seed))
        for j in range(min(len(v) for v in per_field)):
            new_row, edited, all_ops, unfinished = row, {}, [], 0
            for f, variants in zip(fields, per_field):
                text, f_ops, unf = variants[j]
                new_row = set_field(new_row, f["name"], text)
                edited[f["name"]] = (f["text"], text)
                all_ops += f_ops
                unfinished = unfinished or unf
            new_id = None
            if ds.mapping.id_field:
                new_id = f"{rec['id']}-aug{j + 1}"
                while new_id in used_ids:
                    new_id += "x"
                used_ids.add(new_id)
                new_row = {**copy.deepcopy(new_row), ds.mapping.id_field: new_id}
            try:
                new_rec = canonical(new_row, ds.mapping, len(ds) + len(out))
            except InvalidRecord:
                continue
            out.append({"row": new_row, "record": new_rec, "source": s, "edited": edited, "ops": all_ops,
                        "unfinished": unfinished})
    return out


def augment_dataset(ds, cfg: AugmentConfig | None = None, *, excluded_ids: dict[str, str] | None = None,
                    eval_sets=(), use_cache: bool = True, progress=lambda msg: None) -> Augmentation:
    from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts
    from curate.select.dataset import groups_of

    cfg = cfg or AugmentConfig()
    if cfg.only not in ("thin", "all"):
        raise CurateError(f"--only {cfg.only}: must be 'thin' or 'all'", fix="pass --only thin or --only all")
    if cfg.method not in ("eda", "lm"):
        raise CurateError(f"--method {cfg.method}: must be 'eda' or 'lm'", fix="pass --method eda or --method lm")
    if cfg.per_record < 1:
        raise CurateError(f"--per-record {cfg.per_record}: must be at least 1", fix="pass --per-record 2")
    if len(ds) == 0:
        raise CurateError(f"{ds.path}: no records to augment", fix="check the file and the loading options")
    ecfg = EmbedConfig(model=cfg.embed_model)
    progress("embedding")
    texts = dataset_texts(ds, "prompt")
    vecs = embed_texts(texts, ecfg, use_cache=use_cache)
    groups, names, how = groups_of(ds, vecs, texts, cfg.distance_threshold)
    counts = np.bincount(groups, minlength=len(names))
    median = float(np.median(counts)) if len(counts) else 0.0
    grow = counts < median if cfg.only == "thin" else np.ones(len(names), dtype=bool)
    excluded = excluded_ids or {}
    sources = [i for i in range(len(ds)) if grow[groups[i]] and ds.ids[i] not in excluded]
    progress(f"generating ({cfg.method}) from {len(sources)} records")
    cands = generate(ds, sources, cfg, use_cache)
    progress(f"gating {len(cands)} candidates")
    cand_vecs = embed_texts([c["record"]["prompt"] for c in cands], ecfg, use_cache=use_cache) if cands \
        else np.zeros((0, vecs.shape[1]), dtype=np.float32)
    eval_vecs = [embed_texts(dataset_texts(ev, "prompt"), ecfg, use_cache=use_cache) for ev in eval_sets]
    verdicts = run_gate(cands, ds, vecs, cand_vecs, eval_sets=eval_sets, eval_vecs=eval_vecs, cfg=cfg.gate)

    rows = list(ds.raw)
    manifest = []
    per_group = {g: {"group": names[g], "records": int(counts[g]), "grown": bool(grow[g]), "sources": 0,
                     "generated": 0, "accepted": 0, "rejected": {r: 0 for r in REASONS}} for g in range(len(names))}
    for s in sources:
        per_group[groups[s]]["sources"] += 1
    for c, v in zip(cands, verdicts):
        g = groups[c["source"]]
        mark = {"method": cfg.method, "source_id": ds.ids[c["source"]], "ops": c["ops"]}
        row = per_group[g]
        row["generated"] += 1
        if v["accepted"]:
            row["accepted"] += 1
            rows.append(_marked(c["row"], mark, ds.kind))
        else:
            row["rejected"][v["reason"]] += 1
        manifest.append({"id": c["record"]["id"], "source_id": ds.ids[c["source"]], "group": names[g],
                         "method": cfg.method, "ops": c["ops"],
                         "text": None if v["reason"] == "pii_added" else c["record"]["prompt"],  # no raw PII written
                         "source_text": ds.records[c["source"]]["prompt"], **v})
    labels = [r["label"] for r in ds.records]
    table = list(per_group.values())
    summary = {"input": ds.path, "records": len(ds), "grouped_by": how, "groups": len(names),
               "median_group_size": median, "only": cfg.only, "groups_grown": int(grow.sum()),
               "method": cfg.method, "per_record": cfg.per_record, "seed": cfg.seed,
               "ops": list(cfg.ops or (CLASSIFICATION_OPS if ds.format in ("classification", "text") else SFT_OPS))
               if cfg.method == "eda" else None,
               "excluded_by_gate": sum(1 for i in range(len(ds)) if grow[groups[i]] and ds.ids[i] in excluded),
               "sources": len(sources), "generated": len(cands), "accepted": int(sum(v["accepted"] for v in verdicts)),
               "rejected": {r: sum(t["rejected"][r] for t in table) for r in REASONS},
               "eval_sets": [ev.name for ev in eval_sets], "per_group": table}
    if how == "label":
        summary["original_label_agreement"] = round(loo_agreement(vecs, labels, cfg.gate.k), 4)
    return Augmentation(rows, manifest, summary)
