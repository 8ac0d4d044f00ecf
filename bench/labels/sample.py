"""Pick records to label per dataset: a seeded random sample + what a baseline audit flagged.

Run from bench/labels after auditing each dataset into /tmp/baseline/<name>/ (see bench/precision.py):
    python sample.py <dataset> <n_random> <cap per rule>
Writes /work/labels/<dataset>.jsonl for a reader to label into bench/labels/<dataset>.csv.
"""
import json, os, random, re, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASELINE = os.environ.get("BASELINE", "/tmp/baseline")  # where the baseline audits are
OUT = os.environ.get("LABEL_QUEUE", "/work/labels")  # where the records to read go
from curate.load import load_dataset
S = str(ROOT.parent / "shared" / "data")
DATASETS = {
    "code_alpaca": (f"{S}/code_alpaca/code_alpaca_2k.json", {}),
    "gpteacher_codegen": (f"{S}/gpteacher_codegen/codegen-instruct.json", {}),
    "gpteacher_roleplay": (f"{S}/gpteacher_roleplay/roleplay-simple-deduped-roleplay-instruct.json", {}),
    "dialogsum": (f"{S}/dialogsum/dialogsum.dev.jsonl", {"prompt_field": "dialogue", "response_field": "summary"}),
    "gsm8k": (f"{S}/gsm8k_alpaca/gsm_8k_train.json", {}),
    "banking77": (f"{S}/banking77/train.csv", {}),
}
SKIP = {"max_long_tail_share", "max_outlier_rate", "min_reference_coverage", "max_truncated_at_max_len"}
name, n_random, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
path, kw = DATASETS[name]
ds = load_dataset(path, **kw)
byid = {r["id"]: r for r in ds.records}
audit = json.load(open(f"{BASELINE}/{name}/audit.json"))
rng = random.Random(0)
chosen, partner = [], {}
import pandas as pd
sig = pd.read_parquet(f"{BASELINE}/{name}/signals.parquet")
PARTNER_COLS = [c for c in ("exact_dup_of", "near_dup_of", "semantic_dup_of", "conflicts_with") if c in sig]
for _, row in sig.iterrows():
    for c in PARTNER_COLS:
        v = row[c]
        if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
            v = list(v)[0] if len(v) else None
        if v is not None and v == v and str(v) in byid and str(v) != row["id"]:
            partner.setdefault(row["id"], str(v))
            break
for r in audit["rules"]:
    if r["rule"] in SKIP or not r.get("flagged_ids"):
        continue
    ids = list(r["flagged_ids"])
    rng.shuffle(ids)
    chosen += ids[:cap]
pool = [i for i in ds.ids if i not in set(chosen)]
chosen += rng.sample(pool, min(n_random, len(pool)))
seen, out = set(), []
for i in chosen:
    if i in seen:
        continue
    seen.add(i)
    rec = byid[i]
    item = {"id": i, "fields": {f["name"]: f["text"][:1800] for f in rec["fields"]}}
    if rec.get("label") is not None:
        item["label"] = rec["label"]
    p = partner.get(i)
    if p in byid:
        item["compare_with"] = {"id": p, "fields": {f["name"]: f["text"][:600] for f in byid[p]["fields"]}}
    out.append(item)
EVAL = {"banking77": f"{S}/banking77/test.csv"}
if name in EVAL:  # leakage: the eval record it leaks into
    ev = {r["id"]: r for r in load_dataset(EVAL[name]).records}
    leak = {}
    for _, row in sig.iterrows():
        target = None
        lk = row.get("leaks_into")
        if lk is not None and len(lk):
            target = str(list(lk)[0]["id"])
        elif "semantic_leak_of" in row and row["semantic_leak_of"] is not None and row["semantic_leak_of"] == row["semantic_leak_of"]:
            target = str(row["semantic_leak_of"])
        if target in ev:
            leak[row["id"]] = target
    for item in out:
        t = leak.get(item["id"])
        if t:
            item["eval_record"] = {"id": t, "text": ev[t]["fields"][0]["text"], "label": ev[t]["label"]}
rng.shuffle(out)
with open(f"{OUT}/{name}.jsonl", "w") as f:
    for item in out:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
print(name, len(out), "records,", sum("compare_with" in o for o in out), "with a comparison record")
