"""Embedding tiers vs the fp32 reference: speed, and agreement on the decisions the audit makes.

Run: python bench/embed_tiers.py [--speed-n 2000] [--json out.json] [--static-only]

Data: Banking77 (../shared/data/banking77): train (10,003 queries) is the training set, test (3,080)
the reference set. Tiers: `onnx` (fp32, the default, the reference), `onnx-int8` (opt-in). Each
tier's vectors go through the audit's own decision code, unchanged:
- semantic duplicates: `semantic_columns` (keep-first, cosine >= 0.95 to a kept record with the
  same numbers), the flagged sets compared by count and Jaccard;
- coverage: each reference record is covered when its nearest training record is at cosine >= 0.6
  (`coverage_report`, the min_reference_coverage default), and its reference cluster's status
  (group_by: cluster) -- records whose decision differs from fp32's;
- topics: `topics_of` cluster assignment (adjusted Rand index to fp32's) and the long-tail and
  outlier record sets (Jaccard).
Calibration: on a calibration half of the training set (even rows), the int8 duplicate threshold
is moved until int8 flags as many records as fp32 does at 0.95; the residual disagreement is
measured on the held-out half (odd rows) at 0.95 and at the calibrated threshold.
Speed: texts/s of each tier's `encode` with the vector cache off, on the first `--speed-n` texts,
measured in alternation (fp32, int8, fp32, int8) so a busy machine slows both alike; best of two.

The static tier (curate/embed/static.py; `--static-only` skips int8) is measured on Banking77 and on
code_alpaca (training, 2,017 prompts) against gpteacher_codegen (reference, 4,535 prompts), each
through the audit's own code:
- recall: the static cosine at which 99% of fp32's pairs at >= 0.95 (with equal numbers) are found;
- semantic duplicates: fp32; static alone at a threshold calibrated (on even rows) to flag as many
  as fp32; static retrieval + fp32 decision (`semantic_columns(..., exact=...)`, the audit's static
  path): counts, Jaccard to fp32, and how many records the fp32 model had to encode;
- coverage @0.6: static top-k + fp32 decision (`coverage_report(..., exact=ExactNeighbours)`)
  against fp32 everywhere: reference records whose covered decision, or cluster status, flips;
- topics: ARI of the static clustering to fp32's (topics read the static vectors directly);
- encode time: static for every record + fp32 for the candidates, against fp32 for every record.
"""

from __future__ import annotations

import os
import sys


import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
BANK = SHARED / "banking77"


class _Split:
    """The part of a CurateDataset coverage_report reads."""

    def __init__(self, name: str, texts: list[str], labels: list[str]):
        self.name, self.path = name, name
        self.ids = [f"{name}-{i}" for i in range(len(texts))]
        self.records = [{"id": i, "prompt": t, "response": "", "label": lab}
                        for i, t, lab in zip(self.ids, texts, labels)]

    def batch(self, cols=("prompt", "response")):
        return {c: [r[c] for r in self.records] for c in cols}

    def __len__(self):
        return len(self.records)


def load(split: str) -> tuple[list[str], list[str]]:
    rows = list(csv.DictReader((BANK / f"{split}.csv").open()))
    return [r["text"] for r in rows], [r.get("category") or r.get("label") or "" for r in rows]


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def dup_set(vecs, texts, threshold, rows=None) -> set:
    from curate.embed.semantic import SemanticConfig, number_keys, semantic_columns

    idx = np.arange(len(texts)) if rows is None else np.asarray(rows)
    sub = [texts[i] for i in idx]
    cols = semantic_columns(vecs[idx], [str(i) for i in idx], [], [], SemanticConfig(threshold=threshold),
                            keys=number_keys(sub))
    return {int(i) for i, d in zip(idx, cols["semantic_dup_of"]) if d is not None}


def calibrate(vecs, texts, rows, target: int, lo: float = 0.90) -> float:
    """The highest threshold at which a tier flags at least `target` records on `rows` (bisection)."""
    hi = 0.999
    for _ in range(14):
        mid = (lo + hi) / 2
        if len(dup_set(vecs, texts, mid, rows)) >= target:
            lo = mid
        else:
            hi = mid
    return round(lo, 4)


def speed(embedders: dict, texts: list[str]) -> dict[str, float]:
    best = {k: float("inf") for k in embedders}
    for _ in range(2):
        for k, emb in embedders.items():
            t0 = time.perf_counter()
            emb.encode(texts)
            best[k] = min(best[k], time.perf_counter() - t0)
    return {k: len(texts) / v for k, v in best.items()}


def load_prompts(path: Path) -> list[str]:
    from curate.embed.encode import dataset_texts
    from curate.load import load_dataset

    return dataset_texts(load_dataset(str(path)), "prompt")


def recall_cut(fp: np.ndarray, st: np.ndarray, texts: list[str], threshold: float = 0.95, recall: float = 0.99):
    """(fp32 pairs >= threshold with equal numbers, the static cosine finding `recall` of them)."""
    from curate.embed.semantic import number_keys

    keys = number_keys(texts)
    sims = []
    for s in range(0, len(fp), 1024):
        f = fp[s:s + 1024] @ fp.T
        st_blk = st[s:s + 1024] @ st.T
        rows, cols = np.nonzero(f >= threshold)
        keep = (cols > rows + s) & (keys[rows + s] == keys[cols])
        sims.append(st_blk[rows[keep], cols[keep]])
    sims = np.sort(np.concatenate(sims)) if sims else np.zeros(0)
    return len(sims), (round(float(sims[int(np.floor((1 - recall) * len(sims)))]), 4) if len(sims) else None)


def static_tier(name: str, train_t: list[str], ref_t: list[str], fp: tuple, st: tuple, rates: dict,
                train_labels=None, ref_labels=None) -> dict:
    """Agreement of the static tier (alone, and retrieving for fp32) with fp32 on one training/reference pair."""
    from sklearn.metrics import adjusted_rand_score

    from curate.embed.coverage import CoverageConfig, ExactNeighbours, coverage_report, top_k
    from curate.embed.semantic import Exact, SemanticConfig, number_keys, semantic_columns, static_cut
    from curate.embed.topics import TopicsConfig, topics_of

    (ftr, fref), (str_, sref) = fp, st
    res: dict = {"dataset": name, "train": len(train_t), "reference": len(ref_t)}
    pairs, cut99 = recall_cut(ftr, str_, train_t)
    cfg = SemanticConfig()
    res["recall"] = {"fp32_pairs@0.95": pairs, "static_cos_for_99%_recall": cut99,
                     "static_cut_used": round(static_cut(cfg.threshold, cfg.static_ratio), 4)}
    f32 = dup_set(ftr, train_t, 0.95)
    cal, held = np.arange(0, len(train_t), 2), np.arange(1, len(train_t), 2)
    t_st = calibrate(str_, train_t, cal, len(dup_set(ftr, train_t, 0.95, cal)), lo=0.80)
    alone = dup_set(str_, train_t, t_st)
    h32, hst = dup_set(ftr, train_t, 0.95, held), dup_set(str_, train_t, t_st, held)
    asked = []

    def rows(r):
        asked.append(len(r))
        return ftr[r]

    cols = semantic_columns(str_, [str(i) for i in range(len(train_t))], [], [], cfg, keys=number_keys(train_t),
                            exact=Exact(dups=rows, train=rows, eval=lambda k, r: fref[r]))
    verified = {i for i, d in enumerate(cols["semantic_dup_of"]) if d is not None}
    encoded = int(sum(asked))
    res["semantic@0.95"] = {"fp32": len(f32), "static_threshold_calibrated": t_st, "static_alone": len(alone),
                            "static_alone_jaccard": round(jaccard(f32, alone), 3),
                            "static_alone_held_out_jaccard": round(jaccard(h32, hst), 3),
                            "static_verify": len(verified), "static_verify_jaccard": round(jaccard(f32, verified), 3),
                            "fp32_encoded": encoded, "fp32_encoded_share": round(encoded / max(len(train_t), 1), 3)}
    # coverage: fp32 everywhere vs static top-k + fp32 decision
    ccfg = CoverageConfig(group_by="cluster")
    split = _Split("train", train_t, train_labels or [""] * len(train_t))
    ref = _Split("ref", ref_t, ref_labels or [""] * len(ref_t))
    cand = top_k(sref, str_, ccfg.static_k)
    crow = np.unique(cand)
    ex = ExactNeighbours(fref, crow, ftr[crow], np.searchsorted(crow, cand))
    r32 = coverage_report(split, ftr, ref, fref, ccfg)
    rsv = coverage_report(split, str_, ref, sref, ccfg, exact=ex)

    def status(rep):
        st_of = {g: row["status"] for g, row in rep["groups_by_index"].items()}
        return np.array([st_of.get(int(g), "") == "covered" for g in rep["ref_groups"]])

    res["coverage@0.6"] = {"covered_fp32": int(r32["ref_covered"].sum()), "covered_static_verify":
                           int(rsv["ref_covered"].sum()),
                           "records_flipped": int((r32["ref_covered"] != rsv["ref_covered"]).sum()),
                           "status_flipped_records": int((status(r32) != status(rsv)).sum()),
                           "fp32_encoded_training": int(len(crow)), "static_k": ccfg.static_k}
    tcfg = TopicsConfig(show_progress=False)
    t32, tst = topics_of(ftr, train_t, tcfg), topics_of(str_, train_t, tcfg)
    tsv = topics_of(str_, train_t, tcfg, exact=lambda r: ftr[r])  # the audit's static path: the sample on fp32
    lt = {k: {i for i, x in enumerate(t["is_long_tail"]) if x} for k, t in (("fp32", t32), ("verify", tsv))}
    res["topics"] = {"clusters_fp32": len(set(t32["topic_cluster"])), "clusters_static": len(set(tst["topic_cluster"])),
                     "adjusted_rand": round(adjusted_rand_score(t32["topic_cluster"], tst["topic_cluster"]), 3),
                     "clusters_static_verify": len(set(tsv["topic_cluster"])),
                     "adjusted_rand_static_verify": round(adjusted_rand_score(t32["topic_cluster"],
                                                                              tsv["topic_cluster"]), 3),
                     "long_tail_jaccard_static_verify": round(jaccard(lt["fp32"], lt["verify"]), 3),
                     "fp32_encoded": min(len(train_t), tcfg.max_points)}
    n = len(train_t)
    fp32_s = n / rates["fp32"]
    verify_s = n / rates["static"] + encoded / rates["fp32"]
    res["encode_seconds"] = {"fp32_all": round(fp32_s, 1), "static_all_plus_fp32_candidates": round(verify_s, 1),
                             "share": round(verify_s / fp32_s, 3)}
    return res


def print_static(r: dict, rates: dict) -> None:
    sd, c, t, e, rc = r["semantic@0.95"], r["coverage@0.6"], r["topics"], r["encode_seconds"], r["recall"]
    print(f"\n{r['dataset']}: {r['train']} training, {r['reference']} reference records\n")
    print("| measure | fp32 (reference) | static alone | static retrieves, fp32 decides |")
    print("|---|---|---|---|")
    print(f"| encode texts/s | {rates['fp32']:.0f} | {rates['static']:.0f} | |")
    print(f"| encode seconds, training set | {e['fp32_all']} | {r['train'] / rates['static']:.1f} | "
          f"{e['static_all_plus_fp32_candidates']} ({e['share']:.0%} of fp32) |")
    print(f"| fp32 pairs @0.95: static cosine finding 99% | {rc['fp32_pairs@0.95']} pairs | {rc['static_cos_for_99%_recall']} "
          f"| cut used {rc['static_cut_used']} |")
    print(f"| semantic duplicates @0.95 | {sd['fp32']} | {sd['static_alone']} @{sd['static_threshold_calibrated']} "
          f"(calibrated), Jaccard {sd['static_alone_jaccard']} (held-out half {sd['static_alone_held_out_jaccard']}) | "
          f"{sd['static_verify']}, Jaccard {sd['static_verify_jaccard']}; fp32 encoded {sd['fp32_encoded']} "
          f"({sd['fp32_encoded_share']:.0%}) |")
    print(f"| reference records covered @0.6 | {c['covered_fp32']} | | {c['covered_static_verify']}, "
          f"{c['records_flipped']} flip; fp32 encoded {c['fp32_encoded_training']} training (top-{c['static_k']}) |")
    print(f"| reference records whose cluster status flips | | | {c['status_flipped_records']} |")
    print(f"| topic clusters (ARI to fp32) | {t['clusters_fp32']} | {t['clusters_static']}, ARI {t['adjusted_rand']} | "
          f"{t['clusters_static_verify']}, ARI {t['adjusted_rand_static_verify']} (sample of {t['fp32_encoded']} "
          f"clustered on fp32); long-tail Jaccard {t['long_tail_jaccard_static_verify']} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--speed-n", type=int, default=2000, help="texts timed per tier (default 2000)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--static-only", action="store_true", help="fp32 and static only (no int8 rows)")
    args = ap.parse_args()
    if not (BANK / "train.csv").exists():
        sys.exit(f"needs {BANK}")
    if not os.environ.get("CURATE_CACHE_DIR"):  # a private cache; the converted models are the shared ones
        os.environ["CURATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="embed-tiers-")
        shared = Path.home() / ".cache" / "curate" / "models"
        if shared.exists():
            (Path(os.environ["CURATE_CACHE_DIR"]) / "models").symlink_to(shared)
    from sklearn.metrics import adjusted_rand_score

    from curate.embed.coverage import CoverageConfig, coverage_report
    from curate.embed.encode import EmbedConfig, embed_texts, get_embedder
    from curate.embed.topics import TopicsConfig, topics_of

    train_t, train_l = load("train")
    test_t, test_l = load("test")
    train, ref = _Split("train", train_t, train_l), _Split("test", test_t, test_l)
    tiers = {"fp32": EmbedConfig(backend="onnx", show_progress=False),
             "int8": EmbedConfig(backend="onnx-int8", show_progress=False),
             "static": EmbedConfig(backend="static", show_progress=False)}
    if args.static_only:
        tiers.pop("int8")
    embs = {k: get_embedder(c) for k, c in tiers.items()}
    if not args.static_only and getattr(embs["int8"], "precision", "") != "int8":
        sys.exit("the int8 model did not pass its probe on this machine (onnx_export.py): nothing to compare")
    rate = speed(embs, (train_t + test_t)[: args.speed_n])
    # the vector cache holds what encode() returned: a rerun reads it instead of encoding again
    vec = {k: (embed_texts(train_t, c), embed_texts(test_t, c)) for k, c in tiers.items()}
    static_res = [static_tier("Banking77 (train vs test as reference)", train_t, test_t, vec["fp32"], vec["static"],
                              rate, train_l, test_l)]
    second = [SHARED / "code_alpaca" / "code_alpaca_2k.json", SHARED / "gpteacher_codegen" / "codegen-instruct.json"]
    if all(p.exists() for p in second):
        a, b = load_prompts(second[0]), load_prompts(second[1])
        static_res.append(static_tier("code_alpaca (training) vs gpteacher_codegen (reference)", a, b,
                                      (embed_texts(a, tiers["fp32"]), embed_texts(b, tiers["fp32"])),
                                      (embed_texts(a, tiers["static"]), embed_texts(b, tiers["static"])), rate))
    if args.static_only:
        for r in static_res:
            print_static(r, rate)
        if args.json:
            args.json.write_text(json.dumps({"speed_texts_per_s": rate, "static": static_res}, indent=2))
        return 0
    vec.pop("static")  # int8 against fp32 below; the static tier above

    res: dict = {"speed_texts_per_s": {k: round(v, 1) for k, v in rate.items()}, "static": static_res,
                 "speed_ratio_int8": round(rate["int8"] / rate["fp32"], 2)}
    cos = np.sum(vec["fp32"][0] * vec["int8"][0], axis=1)
    res["cosine_int8_to_fp32"] = {"mean": round(float(cos.mean()), 5), "min": round(float(cos.min()), 5),
                                  "p01": round(float(np.quantile(cos, 0.01)), 5)}
    # semantic duplicates at the default threshold
    sets = {k: dup_set(v[0], train_t, 0.95) for k, v in vec.items()}
    res["semantic_dups@0.95"] = {"fp32": len(sets["fp32"]), "int8": len(sets["int8"]),
                                 "both": len(sets["fp32"] & sets["int8"]),
                                 "jaccard": round(jaccard(sets["fp32"], sets["int8"]), 3)}
    # calibration on even rows, residual on odd rows
    cal, held = np.arange(0, len(train_t), 2), np.arange(1, len(train_t), 2)
    target = len(dup_set(vec["fp32"][0], train_t, 0.95, cal))
    t8 = calibrate(vec["int8"][0], train_t, cal, target)
    h32 = dup_set(vec["fp32"][0], train_t, 0.95, held)
    h8, h8c = dup_set(vec["int8"][0], train_t, 0.95, held), dup_set(vec["int8"][0], train_t, t8, held)
    res["calibration"] = {"calibration_rows": len(cal), "fp32_flagged_on_calibration": target,
                          "int8_threshold": t8, "held_out_rows": len(held), "held_out_fp32": len(h32),
                          "held_out_int8@0.95": len(h8), "held_out_jaccard@0.95": round(jaccard(h32, h8), 3),
                          f"held_out_int8@{t8}": len(h8c), "held_out_jaccard@calibrated": round(jaccard(h32, h8c), 3)}
    # coverage of the test split
    cov = {}
    for k, (tv, rv) in vec.items():
        rep = coverage_report(train, tv, ref, rv, CoverageConfig(group_by="cluster"))
        status = {g: row["status"] for g, row in rep["groups_by_index"].items()}
        cov[k] = (rep["ref_covered"], np.array([status.get(int(g), "") for g in rep["ref_groups"]]), rep)
    c32, c8 = cov["fp32"], cov["int8"]
    res["coverage@0.6"] = {"reference_records": len(test_t), "covered_fp32": int(c32[0].sum()),
                           "covered_int8": int(c8[0].sum()), "records_flipped": int((c32[0] != c8[0]).sum()),
                           "record_coverage_fp32": round(c32[2]["record_coverage"], 4),
                           "record_coverage_int8": round(c8[2]["record_coverage"], 4),
                           "not_covered_status_fp32": int((c32[1] != "covered").sum()),
                           "not_covered_status_int8": int((c8[1] != "covered").sum()),
                           "status_flipped_records": int(((c32[1] == "covered") != (c8[1] == "covered")).sum()),
                           "groups_fp32": len(c32[2]["groups"]), "groups_int8": len(c8[2]["groups"])}
    # topics
    top = {k: topics_of(v[0], train_t, TopicsConfig(show_progress=False)) for k, v in vec.items()}
    lt = {k: {i for i, x in enumerate(t["is_long_tail"]) if x} for k, t in top.items()}
    out = {k: {i for i, x in enumerate(t["is_outlier"]) if x} for k, t in top.items()}
    res["topics"] = {"clusters_fp32": len(set(top["fp32"]["topic_cluster"])),
                     "clusters_int8": len(set(top["int8"]["topic_cluster"])),
                     "adjusted_rand": round(adjusted_rand_score(top["fp32"]["topic_cluster"],
                                                                top["int8"]["topic_cluster"]), 3),
                     "long_tail_fp32": len(lt["fp32"]), "long_tail_int8": len(lt["int8"]),
                     "long_tail_jaccard": round(jaccard(lt["fp32"], lt["int8"]), 3),
                     "outliers_fp32": len(out["fp32"]), "outliers_int8": len(out["int8"]),
                     "outlier_jaccard": round(jaccard(out["fp32"], out["int8"]), 3)}
    # fp32 against itself on another run order: the floor of disagreement (should be exact)
    print(f"Banking77: {len(train_t)} train, {len(test_t)} test (reference); {os.cpu_count()} cores\n")
    print("| measure | fp32 (onnx, default) | int8 (onnx-int8) | agreement |")
    print("|---|---|---|---|")
    s, sd, c, t, cb = (res["speed_texts_per_s"], res["semantic_dups@0.95"], res["coverage@0.6"], res["topics"],
                       res["calibration"])
    print(f"| encode texts/s (first {args.speed_n}) | {s['fp32']} | {s['int8']} | int8 {res['speed_ratio_int8']}x |")
    print(f"| cosine to fp32 (mean / 1% / min) | 1 | {res['cosine_int8_to_fp32']['mean']} / "
          f"{res['cosine_int8_to_fp32']['p01']} / {res['cosine_int8_to_fp32']['min']} | |")
    print(f"| semantic duplicates @0.95 | {sd['fp32']} | {sd['int8']} | {sd['both']} in both, Jaccard {sd['jaccard']} |")
    print(f"| held-out dups @0.95 | {cb['held_out_fp32']} | {cb['held_out_int8@0.95']} | Jaccard {cb['held_out_jaccard@0.95']} |")
    print(f"| held-out dups, int8 @{cb['int8_threshold']} (calibrated on the other half) | {cb['held_out_fp32']} | "
          f"{cb[f'held_out_int8@{t8}']} | Jaccard {cb['held_out_jaccard@calibrated']} |")
    print(f"| reference records covered @0.6 | {c['covered_fp32']} | {c['covered_int8']} | {c['records_flipped']} "
          f"records flip |")
    print(f"| reference records in thin/uncovered clusters | {c['not_covered_status_fp32']} | "
          f"{c['not_covered_status_int8']} | {c['status_flipped_records']} records flip |")
    print(f"| topic clusters | {t['clusters_fp32']} | {t['clusters_int8']} | ARI {t['adjusted_rand']} |")
    print(f"| long-tail records | {t['long_tail_fp32']} | {t['long_tail_int8']} | Jaccard {t['long_tail_jaccard']} |")
    print(f"| outlier records | {t['outliers_fp32']} | {t['outliers_int8']} | Jaccard {t['outlier_jaccard']} |")
    for r in static_res:
        print_static(r, rate)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
