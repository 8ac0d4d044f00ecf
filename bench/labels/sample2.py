"""Round 2 of labelling: records the new code flags that carry no label yet (cap per rule), with
duplicate partners and the eval record they leak into. Run after `bench/precision.py --save DIR`:

    AFTER=DIR python bench/labels/sample2.py <dataset> <cap per rule>

Writes $LABEL_QUEUE/<dataset>-round2.jsonl for a reader to label (appended to bench/labels/<dataset>.csv).
"""
import csv, json, os, random, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
AFTER = os.environ.get("AFTER", "/tmp/after1")  # the --save folder of a precision run
OUT = os.environ.get("LABEL_QUEUE", "/work/labels")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
from curate.load import load_dataset
from curate.rules import load_rules
from curate.stages import STAGES, run_stage
import curate.checks  # noqa: F401  (registers stages)
sys.path.insert(0, str(ROOT / "bench"))
from precision import DATASETS, SHARED

name, cap = sys.argv[1], int(sys.argv[2])
rel, kw, rules_name, evals = DATASETS[name]
ds = load_dataset(SHARED / rel, **kw)
byid = {r["id"]: r for r in ds.records}
labelled = {row["id"] for row in csv.DictReader(open(ROOT / "bench" / "labels" / f"{name}.csv", encoding="utf-8"))}
rules = json.load(open(f"{AFTER}/{name}/rules.json"))
ruleset = load_rules(rules_name)
ev_sets = [load_dataset(SHARED / e) for e in evals]
partner, leak = {}, {}
for st in ("dedup", "semantic", "leakage", "decontam"):
    if st not in STAGES:
        continue
    df, _ = run_stage(STAGES[st], ds, ruleset.stage_configs.get(st), inputs={"eval": ev_sets})
    for c in ("exact_dup_of", "near_dup_of", "semantic_dup_of", "conflicts_with"):
        if c in df:
            for rid, v in zip(df["id"], df[c]):
                if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
                    v = list(v)[0] if len(v) else None
                if v is not None and v == v and str(v) in byid and rid not in partner:
                    partner[rid] = str(v)
    for c in ("leaks_into", "contaminated_by", "semantic_leak_of"):
        if c in df:
            for rid, v in zip(df["id"], df[c]):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if hasattr(v, "tolist") or isinstance(v, list):
                    v = list(v)
                    if not v:
                        continue
                    v = v[0]
                if isinstance(v, dict):
                    v = v.get("id") or v.get("item")
                leak.setdefault(rid, str(v).split(":")[-1])
evrec = {r["id"]: r for e in ev_sets for r in e.records}
rng = random.Random(1)
chosen = []
SKIP = {"max_long_tail_share", "max_outlier_rate", "min_reference_coverage", "max_truncated_at_max_len", "max_label_issue_rate"}
for r in rules:
    if r["rule"] in SKIP or r["severity"] == "info":
        continue
    ids = [i for i in r["flagged_ids"] if i not in labelled]
    rng.shuffle(ids)
    chosen += ids[:cap]
out, seen = [], set()
for i in chosen:
    if i in seen:
        continue
    seen.add(i)
    rec = byid[i]
    item = {"id": i, "fields": {f["name"]: f["text"][:1800] for f in rec["fields"]}}
    if rec.get("label") is not None:
        item["label"] = rec["label"]
    if partner.get(i) in byid:
        p = byid[partner[i]]
        item["compare_with"] = {"id": p["id"], "fields": {f["name"]: f["text"][:600] for f in p["fields"]}}
    if leak.get(i) in evrec:
        e = evrec[leak[i]]
        item["eval_record"] = {"id": e["id"], "text": e["fields"][0]["text"], "label": e.get("label")}
    out.append(item)
rng.shuffle(out)
with open(f"{OUT}/{name}-round2.jsonl", "w") as f:
    for item in out:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
print(name, len(out), "unlabelled flagged records;", sum("compare_with" in o for o in out), "with partner;",
      sum("eval_record" in o for o in out), "with eval record")
