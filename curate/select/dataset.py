"""`select_dataset`: a dataset in, a Selection out (gate, embeddings, groups, score), and its writer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from curate.embed.encode import EmbedConfig, dataset_texts, embed_texts
from curate.errors import CurateError
from curate.select.subset import Selection, select


def gate_exclusions(result, *, exclude_warned: bool = False) -> dict[str, str]:
    """record id -> the rules (and their evidence) that flag it: error rules, and warn rules with exclude_warned.

    Every flagged record is excluded, whatever `curate clean` would do with it (drop, scrub, repair,
    or nothing, as for conflicting labels): the subset is written unchanged, so a record that needs
    a fix is not worth a place in it.
    """
    crashed = [o.rule for o in result.outcomes if o.status == "error"]
    if crashed:
        raise CurateError(f"rules crashed, so what the gate flags is unknown: {', '.join(crashed)}",
                          fix="run `curate audit` to see the traceback in the report, or pass --rules none")
    severities = ("error", "warn") if exclude_warned else ("error",)
    out: dict[str, list[str]] = {}
    for o in result.outcomes:
        if o.severity in severities and o.status in ("pass", "fail"):
            for rid in o.flagged:
                ev = o.evidence.get(rid, "")
                out.setdefault(rid, []).append(o.rule + (f" ({ev})" if ev else ""))
    return {rid: "; ".join(why) for rid, why in out.items()}


def groups_of(ds, vecs: np.ndarray, texts: list[str], distance_threshold: float) -> tuple[np.ndarray, list[str], str]:
    """(group per record, group names, 'label' or 'topic')."""
    labels = [r["label"] for r in ds.records]
    if labels and all(lab is not None for lab in labels):
        names = sorted(set(map(str, labels)))
        pos = {n: i for i, n in enumerate(names)}
        return np.array([pos[str(lab)] for lab in labels], dtype=int), names, "label"
    from curate.embed.topics import characteristic_words, cluster

    groups = cluster(vecs, distance_threshold=distance_threshold)
    words = characteristic_words(texts, groups)
    return groups, [f"#{c}: {words.get(c, '')}" for c in range(int(groups.max()) + 1 if len(groups) else 0)], "topic"


def select_dataset(ds, budget: int, *, reference=None, excluded_ids: dict[str, str] | None = None,
                   cfg: EmbedConfig | None = None, score: str = "auto", margin_power: float = 1.0, lm_model: str = "",
                   distance_threshold: float = 0.65, use_cache: bool = True) -> tuple[Selection, dict]:
    if budget < 1:
        raise CurateError(f"--budget {budget}: the budget is a number of records, at least 1", fix="pass --budget 100")
    if len(ds) == 0:
        raise CurateError(f"{ds.path}: no records to select from", fix="check the file and the loading options")
    cfg = cfg or EmbedConfig()
    texts = dataset_texts(ds, cfg.side)
    vecs = embed_texts(texts, cfg, use_cache=use_cache)
    groups, names, how = groups_of(ds, vecs, texts, distance_threshold)
    usefulness, used_score = None, "none"
    if score == "auto":
        score = "margin" if how == "label" and len(names) > 1 else "none"
    if score == "margin":
        if how != "label":
            raise CurateError(f"--score margin needs labelled records; {ds.path} has records without a label",
                              fix="pass --score none, or load the label column with --label-field")
        from curate.select.score import STAGE_NAME, ProbeMarginConfig, usefulness_from_margin
        from curate.stages import STAGES, run_stage

        pcfg = ProbeMarginConfig(**{f: getattr(cfg, f) for f in EmbedConfig.__dataclass_fields__})
        df, _ = run_stage(STAGES[STAGE_NAME], ds, pcfg, use_cache=use_cache)
        usefulness, used_score = usefulness_from_margin(df["probe_margin"], margin_power), "margin"
    if score == "ifd":
        from curate.select.ifd import STAGE_NAME as IFD, AnswerIFDConfig, usefulness_from_ifd
        from curate.stages import STAGES, run_stage

        if all(r["format"] == "text" or not (r["response"] or r["messages"]) for r in ds.records):
            raise CurateError(f"--score ifd needs prompt/answer records; {ds.path} has none",
                              fix="pass --score none (or margin for labelled data)")
        df, _ = run_stage(STAGES[IFD], ds, AnswerIFDConfig(model=lm_model), use_cache=use_cache)
        usefulness, used_score = usefulness_from_ifd(df["answer_ifd"]), "ifd"
    ref_vecs = ref_group = None
    if reference is not None:
        ref_vecs = embed_texts(dataset_texts(reference, cfg.side), cfg, use_cache=use_cache)
        ref_labels = [r["label"] for r in reference.records]
        if how == "label" and ref_labels and all(lab is not None for lab in ref_labels):
            pos = {n: i for i, n in enumerate(names)}
            ref_group = np.array([pos.get(str(lab), -1) for lab in ref_labels], dtype=int)
    pos_of = {rid: i for i, rid in enumerate(ds.ids)}
    excluded = {pos_of[rid]: why for rid, why in (excluded_ids or {}).items() if rid in pos_of}
    sel = select(vecs, groups, names, budget, ids=ds.ids, excluded=excluded, usefulness=usefulness,
                 ref_vecs=ref_vecs, ref_group=ref_group)
    summary = {"input": ds.path, "records": len(ds), "budget": budget, "selected": len(sel.selected),
               "excluded_by_gate": len(excluded), "grouped_by": how, "groups": len(names), "score": used_score,
               "margin_power": margin_power if used_score == "margin" else None,
               "reference": getattr(reference, "path", None), "demand": "reference" if reference is not None else "equal per group",
               "per_group": sel.groups}
    if ref_group is not None:
        summary["reference_labels_not_in_training"] = int((ref_group < 0).sum())
    return sel, summary


def write_selection(ds, sel: Selection, summary: dict, out_dir) -> Path:
    from curate.writers import output_path, write_rows

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_path = write_rows(ds, [ds.raw[i] for i in sel.selected], output_path(ds, out))
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as f:
        for r in sel.reasons:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary = {**summary, "output": str(data_path), "manifest": str(out / "manifest.jsonl")}
    (out / "select.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data_path
