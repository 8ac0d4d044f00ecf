"""Precision and recall of every per-record rule against hand labels on real public datasets.

    python bench/precision.py                       # audit every labelled dataset with this code
    python bench/precision.py --from-audit DIR      # score existing audits: DIR/<dataset>/audit.json
    python bench/precision.py --datasets gsm8k,banking77 --markdown out.md
    python bench/precision.py --from-audit NEW --baseline OLD   # before/after side by side

The labels (`bench/labels/<dataset>.csv`: id, kind, reason) were made by reading records of the
datasets in ../shared/data: a seeded random sample of each plus the records an earlier audit
flagged, so precision is measured on the old false alarms as well as on clean records. A record
with no defect has one row of kind `clean`. No text is copied: ids point into the shared files.
presidio_pii needs no label file: its own PII spans are the labels.

Per rule the table prints every record the check flagged (whether or not the rule's threshold
passed), how many of those carry a label, how many of the labelled ones are truly of the rule's
defect kind (precision), and the recall of that kind among the labelled records. The targets
(issue 13): error rules precision >= 0.95, warn rules >= 0.80, on every dataset. A rule whose
flags are not per-record defects (long tail, outliers, coverage, sizes) is not scored.

This is the regression harness every change to a check runs; BENCHMARKS.md keeps its table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
LABELS = ROOT / "bench" / "labels"

# dataset -> (file under ../shared/data, load options, rules, eval files)
DATASETS = {
    "code_alpaca": ("code_alpaca/code_alpaca_2k.json", {}, "instruction", ()),
    "gpteacher_codegen": ("gpteacher_codegen/codegen-instruct.json", {}, "instruction", ()),
    "gpteacher_roleplay": ("gpteacher_roleplay/roleplay-simple-deduped-roleplay-instruct.json", {}, "instruction", ()),
    "dialogsum": ("dialogsum/dialogsum.dev.jsonl", {"prompt_field": "dialogue", "response_field": "summary"},
                  "instruction", ()),
    "gsm8k": ("gsm8k_alpaca/gsm_8k_train.json", {}, "instruction", ()),
    "banking77": ("banking77/train.csv", {}, "classification", ("banking77/test.csv",)),
    "presidio_pii": ("presidio_pii/synth_dataset_v2.json", {"text_field": "full_text"}, "default", ()),
}

# check -> the label kinds that make one of its flags true
KINDS = {
    "max_exact_duplicate_rate": {"duplicate"},
    "max_near_duplicate_rate": {"duplicate"},
    "max_semantic_duplicate_rate": {"duplicate"},
    "max_eval_leakage": {"eval_leak", "duplicate"},
    "max_semantic_leakage": {"eval_leak", "duplicate"},
    "max_benchmark_contamination": {"eval_leak", "duplicate"},
    "require_no_pii_in_answers": {"pii"},
    "max_pii_rate": {"pii", "pii_name", "pii_other"},
    "max_empty_or_placeholder_answers": {"empty_answer"},
    "max_refusal_answers": {"refusal"},
    "max_unanswerable_prompts": {"unanswerable"},
    "max_merged_instructions": {"merged_instructions"},
    "max_template_token_leaks": {"template_leak"},
    "max_truncated_answers": {"truncated"},
    "max_repetition": {"repetition"},
    "max_control_char_records": {"broken_text"},
    "max_mojibake_records": {"broken_text"},
    "max_invalid_unicode_records": {"broken_text"},
    "max_answers_repeating_prompt": {"answer_repeats_prompt"},
    "max_invalid_json_answers": {"invalid_json"},
    "max_invalid_code_answers": {"invalid_code"},
    "max_arithmetic_errors": {"wrong_arithmetic"},
    "max_off_language_records": {"off_language"},
    "max_label_issue_rate": {"mislabeled"},
    "max_no_input_markers": {"no_input_marker"},
    "max_conflicting_answers": {"duplicate", "mislabeled", "conflict"},
}
# a rule named after its check but reading other entities: PERSON findings are names
RULE_KINDS = {"names_in_answers": {"pii_name"}}
TARGET = {"error": 0.95, "warn": 0.80}

# presidio_pii entity names -> the kind its spans make a record. Contact details, ids and
# account numbers are `pii` (what require_no_pii_in_answers blocks); names are `pii_name`; places,
# dates, organisations, titles and ages are `pii_other` (personal only in combination).
PRESIDIO_PII_KIND = {"PERSON": "pii_name", **{t: "pii" for t in (
    "STREET_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN", "IP_ADDRESS",
    "US_DRIVER_LICENSE")}}
# datasets whose labels cover only some kinds: other rules are not scored there
LABELLED_KINDS = {"presidio_pii": {"pii", "pii_name", "pii_other"}}


def read_labels(name: str) -> dict[str, set[str]] | None:
    """id -> set of kinds, or None when the dataset has no label file."""
    path = LABELS / f"{name}.csv"
    if name == "presidio_pii":
        return presidio_labels()
    if not path.exists():
        return None
    labels: dict[str, set[str]] = defaultdict(set)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["kind"].strip() != "kind":  # a header repeated by a labeller appending in chunks
                labels[row["id"].strip()].add(row["kind"].strip())
    return dict(labels)


def presidio_labels() -> dict[str, set[str]]:
    data = json.loads((SHARED / DATASETS["presidio_pii"][0]).read_text(encoding="utf-8"))
    out = {}
    for pos, row in enumerate(data):
        kinds = {PRESIDIO_PII_KIND.get(s["entity_type"], "pii_other") for s in row.get("spans", [])}
        out[str(pos)] = kinds or {"clean"}
    return out


def run(name: str, out_root: Path | None) -> list[dict]:
    """Audit one dataset with this checkout's code; return audit.json's rules list."""
    from curate.audit import run_audit
    from curate.load import load_dataset

    rel, kw, rules, evals = DATASETS[name]
    ds = load_dataset(SHARED / rel, **kw)
    result = run_audit(ds, eval=[SHARED / e for e in evals], rules=rules)
    rows = [{"rule": o.rule, "check": o.check, "severity": o.severity, "status": o.status,
             "flagged_ids": list(o.flagged)} for o in result.outcomes]
    if out_root:
        (out_root / name).mkdir(parents=True, exist_ok=True)
        (out_root / name / "rules.json").write_text(json.dumps(rows))
    return rows


def from_audit(name: str, root: Path) -> list[dict] | None:
    for f in (root / name / "audit.json", root / name / "rules.json"):
        if f.exists():
            data = json.loads(f.read_text())
            return data["rules"] if isinstance(data, dict) else data
    return None


def score(name: str, rules: list[dict], labels: dict[str, set[str]]) -> list[dict]:
    rows = []
    for r in rules:
        kinds = RULE_KINDS.get(r["rule"]) or KINDS.get(r.get("check") or r["rule"])
        if kinds is None or r["status"] == "skipped":
            continue
        if name in LABELLED_KINDS and not kinds & LABELLED_KINDS[name]:
            continue
        flagged = [str(i) for i in r.get("flagged_ids") or []]
        labelled = [i for i in flagged if i in labels]
        true = [i for i in labelled if labels[i] & kinds]
        positives = [i for i, k in labels.items() if k & kinds]
        caught = [i for i in positives if i in set(flagged)]
        precision = len(true) / len(labelled) if labelled else None
        rows.append({"dataset": name, "rule": r["rule"], "severity": r["severity"], "flagged": len(flagged),
                     "labelled": len(labelled), "true": len(true), "precision": precision,
                     "positives": len(positives), "caught": len(caught),
                     "recall": len(caught) / len(positives) if positives else None,
                     "meets": None if precision is None else precision >= TARGET.get(r["severity"], 0.0)})
    return rows


def fmt(x, pct=False):
    if x is None:
        return "–"
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def table(rows: list[dict], *, only_flagged: bool) -> str:
    head = "| dataset | rule | severity | flagged | labelled | true | precision | recall (caught/labelled) | target |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        if only_flagged and not r["flagged"] and not r["positives"]:
            continue
        target = {True: "met", False: "**missed**", None: "–"}[r["meets"]]
        if r["severity"] == "info":
            target = "info"
        recall = f"{fmt(r['recall'])} ({r['caught']}/{r['positives']})" if r["positives"] else "–"
        lines.append(f"| {r['dataset']} | {r['rule']} | {r['severity']} | {r['flagged']} | {r['labelled']} | "
                     f"{r['true']} | {fmt(r['precision'])} | {recall} | {target} |")
    return "\n".join(lines)


def compare_table(rows: list[dict], before: list[dict]) -> str:
    """One line per (dataset, rule) seen in either run: flagged, precision and recall before -> after."""
    old = {(r["dataset"], r["rule"]): r for r in before}
    new = {(r["dataset"], r["rule"]): r for r in rows}
    keys = list(dict.fromkeys([*old, *new]))
    lines = ["| dataset | rule | severity | flagged | precision | recall | target |", "|" + "---|" * 7]

    def pair(a, b, f):
        return f"{f(a)} → {f(b)}" if f(a) != f(b) else f(b)

    for k in keys:
        a, b = old.get(k), new.get(k)
        if not ((a and (a["flagged"] or a["positives"])) or (b and (b["flagged"] or b["positives"]))):
            continue
        sev = pair(a, b, lambda r: r["severity"] if r else "–")
        flagged = pair(a, b, lambda r: str(r["flagged"]) if r else "–")
        prec = pair(a, b, lambda r: f"{fmt(r['precision'])} ({r['true']}/{r['labelled']})" if r and r["labelled"] else "–")
        rec = pair(a, b, lambda r: f"{fmt(r['recall'])} ({r['caught']}/{r['positives']})" if r and r["positives"] else "–")
        target = "–" if not b or b["meets"] is None else ("info" if b["severity"] == "info" else
                                                           "met" if b["meets"] else "**missed**")
        lines.append(f"| {k[0]} | {k[1]} | {sev} | {flagged} | {prec} | {rec} | {target} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", help="comma-separated subset of: " + ", ".join(DATASETS))
    ap.add_argument("--from-audit", type=Path, help="score DIR/<dataset>/audit.json instead of auditing")
    ap.add_argument("--save", type=Path, help="keep each run's rule outcomes under DIR/<dataset>/rules.json")
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    ap.add_argument("--all", action="store_true", help="list rules that flagged nothing too")
    ap.add_argument("--baseline", type=Path, help="also score DIR/<dataset>/audit.json and print before -> after")
    args = ap.parse_args(argv)
    names = args.datasets.split(",") if args.datasets else list(DATASETS)
    rows, missing, before = [], [], []
    for name in names:
        if not (SHARED / DATASETS[name][0]).exists():
            missing.append(f"{name} (../shared/data not here)")
            continue
        labels = read_labels(name)
        if labels is None:
            missing.append(f"{name} (no bench/labels/{name}.csv)")
            continue
        rules = from_audit(name, args.from_audit) if args.from_audit else run(name, args.save)
        if rules is None:
            missing.append(f"{name} (no audit under {args.from_audit})")
            continue
        print(f"{name}: {len(labels)} labelled records", file=sys.stderr)
        rows += score(name, rules, labels)
        old = from_audit(name, args.baseline) if args.baseline else None
        if old is not None:
            before += score(name, old, labels)
    out = compare_table(rows, before) if args.baseline else table(rows, only_flagged=not args.all)
    print(out)
    scored = [r for r in rows if r["meets"] is not None and r["severity"] != "info"]
    missed = [r for r in scored if not r["meets"]]
    summary = (f"\n{len(scored) - len(missed)} of {len(scored)} scored rule/dataset pairs meet their precision target"
               + (f"; missed: {', '.join(r['dataset'] + '/' + r['rule'] for r in missed)}" if missed else ""))
    print(summary)
    if missing:
        print("not scored: " + "; ".join(missing))
    if args.markdown:
        args.markdown.write_text(out + "\n" + summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
