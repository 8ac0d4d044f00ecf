"""PII detection: curate's `pii` stage vs presidio's default AnalyzerEngine, quality and speed.

    .venv/bin/python bench/pii_eval.py                 # presidio synth set + sample_data planted PII
    .venv/bin/python bench/pii_eval.py --limit 300     # quicker, on the first 300 texts of each set

Quality: span-level precision / recall / F1 per entity type. A gold span counts as found when a
prediction of the same (mapped) type overlaps it; a prediction is correct when it overlaps a gold
span of its type. Entity names are mapped explicitly (their STREET_ADDRESS and GPE are our
LOCATION/STREET_ADDRESS, DOMAIN_NAME is URL); types curate does not look for by default
(ORGANIZATION, DATE_TIME, TITLE, AGE, NRP, US_DRIVER_LICENSE) are not scored, and a prediction on
a ZIP_CODE is neither right nor wrong. The synth set is also reported on its held-out templates
(template_id % 4 == 0): the street-address patterns were written after looking at the other 3/4.

Speed: texts/s of each system over the same texts in the same run, models loaded and warmed
beforehand (presidio: `analyze()` one text at a time, as its docs show; curate: the stage's
detector over the whole list, empty cache). Wall clock and CPU time are both printed: on a machine
shared with other jobs the wall clock mostly measures the neighbours, CPU time the work done.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.pii import engine  # noqa: E402
from curate.pii.detect import PiiConfig, PiiDetector  # noqa: E402

SYNTH = ROOT.parent / "shared" / "data" / "presidio_pii" / "synth_dataset_v2.json"
SAMPLE = ROOT / "sample_data" / "support_sft.jsonl"
ANSWER_KEY = ROOT / "sample_data" / "answer_key.json"

# gold entity name -> the scored type; None: not scored
GOLD_MAP = {"PERSON": "PERSON", "STREET_ADDRESS": "LOCATION", "GPE": "LOCATION", "CREDIT_CARD": "CREDIT_CARD",
            "PHONE_NUMBER": "PHONE_NUMBER", "EMAIL_ADDRESS": "EMAIL_ADDRESS", "IBAN_CODE": "IBAN_CODE",
            "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "DOMAIN_NAME": "URL", "API_KEY": "API_KEY"}
IGNORE_REGIONS = {"ZIP_CODE"}
# predicted entity name -> scored type (both systems); anything else is not scored
PRED_MAP = {"PERSON": "PERSON", "LOCATION": "LOCATION", "STREET_ADDRESS": "LOCATION", "CREDIT_CARD": "CREDIT_CARD",
            "PHONE_NUMBER": "PHONE_NUMBER", "EMAIL_ADDRESS": "EMAIL_ADDRESS", "IBAN_CODE": "IBAN_CODE",
            "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "URL": "URL", "API_KEY": "API_KEY"}


def load_synth(limit):
    rows = json.loads(SYNTH.read_text())[:limit]
    texts = [r["full_text"] for r in rows]
    gold = [[(s["start_position"], s["end_position"], s["entity_type"]) for s in r["spans"]] for r in rows]
    held = [r["template_id"] % 4 == 0 for r in rows]
    return texts, gold, held


def planted_pii():
    """answer_key.json -> the support_sft.jsonl "pii" entry ({count, entries: [{id, values}]}), or None."""
    key = json.loads(ANSWER_KEY.read_text())
    return key.get("support_sft.jsonl", {}).get("problems", {}).get("pii")


def load_sample(limit):
    """Every text field of sample_data/support_sft.jsonl, gold = the planted PII values."""
    from curate.load import load_dataset

    key = planted_pii()
    if key is None:
        return None
    ds = load_dataset(SAMPLE)
    planted = defaultdict(list)
    for e in key["entries"]:
        for v in e["values"]:
            planted[(e["id"], v["field"])].append((v["value"], v["entity_type"]))
    texts, gold = [], []
    for rec in ds.records:
        for f in rec["fields"]:
            g = []
            for value, etype in planted.get((rec["id"], f["name"]), []):
                at = f["text"].find(value)
                assert at >= 0, f"planted value not in record {rec['id']} {f['name']}"
                g.append((at, at + len(value), etype))
            texts.append(f["text"])
            gold.append(g)
    return texts[:limit], gold[:limit], [True] * len(texts[:limit])


def score(gold, pred, mask=None):
    """{type: [tp_gold, n_gold, tp_pred, n_pred]} over texts where mask is True."""
    t = defaultdict(lambda: [0, 0, 0, 0])
    for i, (g, p) in enumerate(zip(gold, pred)):
        if mask is not None and not mask[i]:
            continue
        gs = [(s, e, GOLD_MAP[k]) for s, e, k in g if k in GOLD_MAP]
        ignore = [(s, e) for s, e, k in g if k in IGNORE_REGIONS]
        ps = [(s, e, PRED_MAP[k]) for s, e, k in p if k in PRED_MAP]
        for s, e, k in gs:
            t[k][1] += 1
            t[k][0] += any(k == pk and ps_ < e and s < pe for ps_, pe, pk in ps)
        for s, e, k in ps:
            if any(a < e and s < b for a, b in ignore) and not any(gk == k and gs_ < e and s < ge for gs_, ge, gk in gs):
                continue
            t[k][3] += 1
            t[k][2] += any(k == gk and gs_ < e and s < ge for gs_, ge, gk in gs)
    return t


def prf(c):
    r = c[0] / c[1] if c[1] else float("nan")
    p = c[2] / c[3] if c[3] else float("nan")
    f = 2 * p * r / (p + r) if c[1] and c[3] and p + r else float("nan")
    return p, r, f


def table(title, systems, gold, mask=None):
    scores = {name: score(gold, pred, mask) for name, pred in systems.items()}
    types = sorted({k for s in scores.values() for k, c in s.items() if c[1] or c[3]})
    names = list(systems)
    print(f"\n### {title}\n")
    print("| entity | gold | " + " | ".join(f"{n} P | {n} R | {n} F1" for n in names) + " |")
    print("|---|---:|" + "---:|" * (3 * len(names)))
    for k in types + ["ALL"]:
        cells = []
        n_gold = 0
        for n in names:
            c = [sum(x[i] for x in scores[n].values()) for i in range(4)] if k == "ALL" else scores[n][k]
            n_gold = c[1]
            cells += [f"{v:.2f}" if v == v else "-" for v in prf(c)]
        print(f"| {k} | {n_gold} | " + " | ".join(cells) + " |")


def run_presidio(analyzer, texts):
    t0, c0 = time.perf_counter(), time.process_time()
    res = [analyzer.analyze(t, language="en") for t in texts]
    dt, ct = time.perf_counter() - t0, time.process_time() - c0
    return [[(r.start, r.end, r.entity_type) for r in rs] for rs in res], dt, ct


def run_curate(texts, **cfg):
    det = PiiDetector(PiiConfig(**cfg))
    det.detect(["warm up, Jane Doe in Paris"])
    det.cache.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    out = det.detect(texts)
    dt, ct = time.perf_counter() - t0, time.process_time() - c0
    return [[(s.start, s.end, s.entity_type) for s in spans] for spans in out], dt, ct


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="texts per set")
    ap.add_argument("--n-process2", action="store_true", help="also time curate with 2 spaCy processes (wall clock)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    analyzer = engine.presidio_default_analyzer()
    analyzer.analyze("warm up, Jane Doe in Paris, jane@example.com", language="en")
    print(f"presidio default AnalyzerEngine loaded in {time.perf_counter() - t0:.1f}s "
          f"(spaCy {engine.SPACY_PACKAGE}, full pipeline: {', '.join(engine.full_pipeline().pipe_names)})")
    sets = []
    if SYNTH.exists():
        sets.append(("presidio synth_dataset_v2", *load_synth(args.limit)))
    else:
        print(f"skipping the presidio set: {SYNTH} is not on this machine")
    sample = load_sample(args.limit) if ANSWER_KEY.exists() else None
    if sample:
        sets.append(("sample_data support_sft (planted PII)", *sample))
    else:
        print("skipping sample_data: no answer_key.json with a 'pii' entry yet")
    speed = []
    for name, texts, gold, held in sets:
        p_pred, p_dt, p_ct = run_presidio(analyzer, texts)
        c_pred, c_dt, c_ct = run_curate(texts)
        g_pred, g_dt, g_ct = run_curate(texts, gate_ner=False)
        u_pred, _, _ = run_curate(texts, name_filter=False)
        m_pred, m_dt, _ = run_curate(texts, n_process=2) if args.n_process2 else (None, float("nan"), None)
        systems = {"presidio": p_pred, "curate": c_pred, "curate-nogate": g_pred, "curate-nofilter": u_pred}
        table(f"{name}: all {len(texts)} texts", systems, gold)
        if not all(held):
            table(f"{name}: held-out templates ({sum(held)} texts)", systems, gold, held)
        n = len(texts)
        speed.append((name, "wall clock", n / p_dt, n / c_dt, n / g_dt, n / m_dt))
        speed.append((name, "CPU time (1 core)", n / p_ct, n / c_ct, n / g_ct, float("nan")))
    print("\n### Throughput (texts/s, same texts, same run)\n")
    print("| set | measured by | presidio default | curate | speed-up | curate, NER on whole texts | speed-up "
          "| curate, n_process=2 | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, how, p, c, g, m in speed:
        mm = f"{m:.0f} | {m / p:.1f}x" if m == m else "- | -"
        print(f"| {name} | {how} | {p:.0f} | {c:.0f} | {c / p:.1f}x | {g:.0f} | {g / p:.1f}x | {mm} |")




if __name__ == "__main__":
    main()
