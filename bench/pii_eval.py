"""PII detection: curate's `pii` stage vs presidio's default AnalyzerEngine, quality and speed.

    .venv/bin/python bench/pii_eval.py                 # presidio synth set + sample_data planted PII
    .venv/bin/python bench/pii_eval.py --limit 300     # quicker, on the first 300 texts of each set
    .venv/bin/python bench/pii_eval.py --quick --code 300   # presidio vs curate only, + 300 code answers

Quality: span-level precision / recall / F1 per entity type. A gold span counts as found when a
prediction of the same (mapped) type overlaps it; a prediction is correct when it overlaps a gold
span of its type. Entity names are mapped explicitly (their STREET_ADDRESS and GPE are our
LOCATION/STREET_ADDRESS, DOMAIN_NAME is URL); types curate does not look for by default
(ORGANIZATION, DATE_TIME, TITLE, AGE, NRP, US_DRIVER_LICENSE) are not scored, and a prediction on
a ZIP_CODE is neither right nor wrong. The synth set is also reported on its held-out templates
(template_id % 4 == 0): the street-address patterns were written after looking at the other 3/4.

Phones are also scored by format (international prefix, extension, area code in parentheses,
other): recall per format, both systems. With `--code N`, the first N answers of the shared code
sets (code_alpaca, gpteacher_codegen) are scanned too: they hold no personal data by
construction of the policy (nothing inside code is, see curate/pii/context.py), so every span
there, per type, is a false positive of that system.

Speed: texts/s of each system over the same texts in the same run, models loaded and warmed
beforehand (presidio: `analyze()` one text at a time, as its docs show; curate: the stage's
detector over the whole list, empty cache). Wall clock and CPU time are both printed: on a machine
shared with other jobs the wall clock mostly measures the neighbours, CPU time the work done.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
CODE_SETS = [(ROOT.parent / "shared" / "data" / "code_alpaca" / "code_alpaca_2k.json", "output"),
             (ROOT.parent / "shared" / "data" / "gpteacher_codegen" / "codegen-instruct.json", "response")]
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
    from curate.pii.context import reserved_value

    for e in key["entries"]:
        for v in e["values"]:
            # the generator's e-mails on example.* and IPs in documentation ranges are reserved for
            # examples (RFC 2606, 5737): not personal data, so not gold; a prediction there is wrong
            if not reserved_value(v["value"], v["entity_type"]):
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


def phone_format(value: str) -> str:
    v = value.strip()
    if re.match(r"^(?:\+|00|011|001[\s.-])", v):
        return "international"
    if re.search(r"\d\s*(?:x|ext\.?)\s*\d+$", v):
        return "extension"
    if "(" in v:
        return "area code ()"
    return "other"


def phone_table(title, systems, texts, gold):
    """Recall on PHONE_NUMBER gold spans, per format."""
    rows = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for name, pred in systems.items():
        for t, g, p in zip(texts, gold, pred):
            for s, e, k in g:
                if k != "PHONE_NUMBER":
                    continue
                c = rows[phone_format(t[s:e])][name]
                c[1] += 1
                c[0] += any(pk == "PHONE_NUMBER" and ps < e and s < pe for ps, pe, pk in p)
    names = list(systems)
    print(f"\n### {title}: phone recall by format\n")
    print("| format | gold | " + " | ".join(f"{n} R" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for fmt in sorted(rows):
        n_gold = rows[fmt][names[0]][1]
        print(f"| {fmt} | {n_gold} | " + " | ".join(f"{rows[fmt][n][0] / n_gold:.2f}" for n in names) + " |")


def code_table(analyzer, limit):
    """Spans per type on code answers (none is personal data): presidio default vs curate."""
    texts = []
    for path, field in CODE_SETS:
        if path.exists():
            texts += [r[field] for r in json.loads(path.read_text())[:limit] if r.get(field)]
    if not texts:
        print("skipping the code sets: ../shared/data is not on this machine")
        return
    p_pred, _, _ = run_presidio(analyzer, texts)
    c_pred, _, _ = run_curate(texts)
    counts = {name: defaultdict(int) for name in ("presidio", "curate")}
    for name, pred in (("presidio", p_pred), ("curate", c_pred)):
        for spans in pred:
            for _, _, k in spans:
                counts[name][k] += 1
    types = sorted(set(counts["presidio"]) | set(counts["curate"]))
    print(f"\n### code answers ({len(texts)} texts, first {limit} of each code set): spans found (all false)\n")
    print("| entity | presidio | curate |")
    print("|---|---:|---:|")
    for k in types + ["ALL"]:
        p = sum(counts["presidio"].values()) if k == "ALL" else counts["presidio"][k]
        c = sum(counts["curate"].values()) if k == "ALL" else counts["curate"][k]
        print(f"| {k} | {p} | {c} |")


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
    ap.add_argument("--quick", action="store_true", help="presidio vs curate only (no nogate/nofilter variants)")
    ap.add_argument("--code", type=int, default=0, metavar="N", help="also count spans on N answers of each code set")
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
        systems = {"presidio": p_pred, "curate": c_pred}
        g_dt = g_ct = float("nan")
        if not args.quick:
            g_pred, g_dt, g_ct = run_curate(texts, gate_ner=False)
            u_pred, _, _ = run_curate(texts, name_filter=False)
            systems.update({"curate-nogate": g_pred, "curate-nofilter": u_pred})
        m_pred, m_dt, _ = run_curate(texts, n_process=2) if args.n_process2 else (None, float("nan"), None)
        table(f"{name}: all {len(texts)} texts", systems, gold)
        if not all(held):
            table(f"{name}: held-out templates ({sum(held)} texts)", systems, gold, held)
        phone_table(name, {"presidio": p_pred, "curate": c_pred}, texts, gold)
        n = len(texts)
        speed.append((name, "wall clock", n / p_dt, n / c_dt, n / g_dt, n / m_dt))
        speed.append((name, "CPU time (1 core)", n / p_ct, n / c_ct, n / g_ct, float("nan")))
    if args.code:
        code_table(analyzer, args.code)
    print("\n### Throughput (texts/s, same texts, same run)\n")
    print("| set | measured by | presidio default | curate | speed-up | curate, NER on whole texts | speed-up "
          "| curate, n_process=2 | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, how, p, c, g, m in speed:
        mm = f"{m:.0f} | {m / p:.1f}x" if m == m else "- | -"
        gg = f"{g:.0f} | {g / p:.1f}x" if g == g else "- | -"
        print(f"| {name} | {how} | {p:.0f} | {c:.0f} | {c / p:.1f}x | {gg} | {mm} |")




if __name__ == "__main__":
    main()
