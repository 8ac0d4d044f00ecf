"""The data-first claim, measured: the same classifier trained on raw noisy data and on gated data.

    .venv/bin/python bench/gated_vs_raw.py [--noise 0.10] [--dups 500] [--leaks 300] [--seed 0]

Banking77 (../shared/data/banking77) with seeded damage injected into the training set:
  - label noise: `--noise` of the original records get a different, random label;
  - duplicates: `--dups` records copied (half exact, half re-cased/re-spaced/re-punctuated);
  - test leakage: `--leaks` test records copied into training with their labels (half verbatim,
    half re-cased/re-spaced).
Arms, each the same model (frozen all-MiniLM-L6-v2 embeddings from curate's embed stage +
multinomial logistic regression; full fine-tuning on this shared 2-core CPU would take hours):
  raw      trains on the damaged set as is;
  gated    `curate clean` with bench/gated_vs_raw.yaml (exact/near duplicates and leakage into the
           test set are dropped to quarantine) and then the records curate's `label_issues` stage
           flags are dropped as well (the check has no automatic fix: clean only reports it);
  original the undamaged Banking77 training set (the ceiling).
Accuracy is reported on the honest test set (every test record whose normalised text occurs in the
damaged training set is excluded, so leaked items cannot inflate it) and, for the raw arm, on the
full test set too: the number a user would have believed.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "banking77"


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return [{"text": r["text"], "label": r["category"]} for r in csv.DictReader(f)]


def perturb(text: str, rng: random.Random) -> str:
    """Same request, different surface: case, spacing or trailing punctuation (what scraping and merging do)."""
    choice = rng.randrange(3)
    if choice == 0:
        return text.lower()
    if choice == 1:
        return "  ".join(text.split()) + " "
    return text.rstrip("?.! ") + ("?" if not text.endswith("?") else "")


def damage(train: list[dict], test: list[dict], labels: list[str], *, noise: float, dups: int, leaks: int,
           seed: int) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    rows = [dict(r, id=f"t{i}") for i, r in enumerate(train)]
    noisy = set(rng.sample(range(len(rows)), round(noise * len(rows))))
    for i in noisy:
        rows[i]["label"] = rng.choice([lab for lab in labels if lab != rows[i]["label"]])
    dup_rows = []
    for k, i in enumerate(rng.sample(range(len(train)), dups)):
        text = rows[i]["text"] if k % 2 == 0 else perturb(rows[i]["text"], rng)
        dup_rows.append({"text": text, "label": rows[i]["label"], "id": f"dup{k}", "copy_of": f"t{i}"})
    leak_idx = rng.sample(range(len(test)), leaks)
    leak_rows = [{"text": test[j]["text"] if k % 2 == 0 else perturb(test[j]["text"], rng), "label": test[j]["label"],
                  "id": f"leak{k}"} for k, j in enumerate(leak_idx)]
    out = rows + dup_rows + leak_rows
    rng.shuffle(out)
    return out, {"noisy": {f"t{i}" for i in noisy}, "dups": {r["id"] for r in dup_rows},
                 "dup_pairs": [(r["id"], r["copy_of"]) for r in dup_rows],
                 "leaks": {r["id"] for r in leak_rows}}


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def write_csv(path: Path, rows: list[dict], with_id: bool = True) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=(["id"] if with_id else []) + ["text", "label"])
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in w.fieldnames})
    return path


def fit_predict(x_train, y_train, x_test) -> list[str]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=10.0, max_iter=1000).fit(x_train, y_train)
    return list(clf.predict(x_test))


def gate(train_path: Path, test_path: Path, out: Path) -> tuple[set, dict, float]:
    """Kept ids after `curate clean` + dropping flagged label issues; what each step removed."""
    from curate.audit import run_audit
    from curate.clean import clean

    t = time.perf_counter()
    result = run_audit(train_path, eval=[str(test_path)], rules=str(ROOT / "bench" / "gated_vs_raw.yaml"))
    cleaned = clean(result)
    removed = {q["id"] for q in cleaned.quarantine}
    by_rule: dict[str, set] = {}
    for q in cleaned.quarantine:
        for reason in q["reasons"]:
            by_rule.setdefault(reason["rule"], set()).add(q["id"])
    sig = result.signals
    issues = {i for i, f in zip(sig["id"], sig["label_issue"]) if f}
    by_rule["label_issues"] = issues
    kept = set(sig["id"]) - removed - issues
    return kept, by_rule, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--noise", type=float, default=0.10)
    ap.add_argument("--dups", type=int, default=500)
    ap.add_argument("--leaks", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args(argv)
    if not (DATA / "train.csv").exists():
        print(f"needs {DATA}/train.csv and test.csv (Banking77)", file=sys.stderr)
        return 2

    train, test = read(DATA / "train.csv"), read(DATA / "test.csv")
    labels = sorted({r["label"] for r in train})
    damaged, planted = damage(train, test, labels, noise=args.noise, dups=args.dups, leaks=args.leaks, seed=args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="gated_vs_raw-"))
    try:
        return run(args, train, test, labels, damaged, planted, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, train, test, labels, damaged, planted, tmp: Path) -> int:
    from curate.embed.encode import EmbedConfig, embed_texts
    from train import metrics

    train_path = write_csv(tmp / "banking77_damaged.csv", damaged)
    test_rows = [dict(r, id=f"test{j}") for j, r in enumerate(test)]
    test_path = write_csv(tmp / "banking77_test.csv", test_rows)

    seen = {norm(r["text"]) for r in damaged}
    honest = [r for r in test_rows if norm(r["text"]) not in seen]
    print(f"train: {len(train)} original -> {len(damaged)} damaged ({len(planted['noisy'])} relabelled, "
          f"{len(planted['dups'])} duplicates, {len(planted['leaks'])} leaked test records); test {len(test)}, "
          f"honest test {len(honest)} ({len(test) - len(honest)} overlap the damaged training set)")

    t = time.perf_counter()
    kept, by_rule, gate_s = gate(train_path, test_path, tmp / "clean")
    print(f"curate audit + clean + label issues: {gate_s:.0f} s")

    cfg = EmbedConfig(show_progress=False)
    t = time.perf_counter()
    x_damaged = embed_texts([r["text"] for r in damaged], cfg)
    x_orig = embed_texts([r["text"] for r in train], cfg)
    x_test = embed_texts([r["text"] for r in test_rows], cfg)
    embed_s = time.perf_counter() - t
    honest_idx = [int(r["id"][4:]) for r in honest]
    y_test = [r["label"] for r in test_rows]

    def score(name, x, y, note):
        t0 = time.perf_counter()
        pred = fit_predict(x, y, x_test)
        fit_s = time.perf_counter() - t0
        hy, hp = [y_test[i] for i in honest_idx], [pred[i] for i in honest_idx]
        m = metrics.classification_metrics(hy, hp, labels)
        ci = metrics.classification_cis(hy, hp, n_resamples=args.bootstrap, seed=0)
        full = metrics.classification_metrics(y_test, pred, labels)["accuracy"]
        return {"arm": name, "n_train": len(y), "honest_acc": m["accuracy"], "acc_ci": ci["accuracy"],
                "macro_f1": m["macro_f1"], "f1_ci": ci["macro_f1"], "full_acc": full, "fit_s": fit_s, "note": note}

    ids = [r["id"] for r in damaged]
    y_damaged = [r["label"] for r in damaged]
    keep_mask = np.array([i in kept for i in ids])
    results = [
        score("raw (damaged)", x_damaged, y_damaged, "as a user would train without a gate"),
        score("gated (curate clean + label issues)", x_damaged[keep_mask], [y for y, k in zip(y_damaged, keep_mask) if k],
              "duplicates, leaks and flagged label issues dropped"),
        score("original Banking77 (ceiling)", x_orig, [r["label"] for r in train], "no damage injected"),
    ]

    print(f"\nfrozen all-MiniLM-L6-v2 + logistic regression (C=10); embeddings {embed_s:.0f} s; "
          f"honest test n={len(honest)}; 95% bootstrap CIs ({args.bootstrap} resamples)")
    print(f"{'arm':38} {'train n':>8} {'honest acc':>22} {'honest macro-F1':>22} {'full-test acc':>14}")
    for r in results:
        print(f"{r['arm']:38} {r['n_train']:>8} {r['honest_acc']:>9.2%} [{r['acc_ci'][0]:.2%},{r['acc_ci'][1]:.2%}]"
              f" {r['macro_f1']:>9.2%} [{r['f1_ci'][0]:.2%},{r['f1_ci'][1]:.2%}] {r['full_acc']:>13.2%}")
    raw, gated = results[0], results[1]
    print(f"\ngain from gating (honest accuracy): {100 * (gated['honest_acc'] - raw['honest_acc']):+.2f} points; "
          f"raw arm's full-test accuracy overstates its honest accuracy by "
          f"{100 * (raw['full_acc'] - raw['honest_acc']):+.2f} points")

    print("\nwhat the gate removed, against what was planted:")
    planted_all = planted["noisy"] | planted["dups"] | planted["leaks"]
    print(f"{'step':34} {'removed':>8} {'of which planted':>17}")
    for rule, removed in sorted(by_rule.items()):
        print(f"{rule:34} {len(removed):>8} {len(removed & planted_all):>17}")
    removed_all = set(ids) - kept
    for kind in ("dups", "leaks", "noisy"):
        caught = len(planted[kind] & removed_all)
        print(f"  planted {kind:10} {caught:>5} / {len(planted[kind]):<5} removed ({caught / len(planted[kind]):.1%})")
    # dedup keeps the first record of a cluster, so the original may go instead of its planted copy:
    # what matters is whether both stayed in training
    both = sum(1 for d, o in planted["dup_pairs"] if d in kept and o in kept)
    print(f"  planted duplicate pairs with both copies still in training: {both} / {len(planted['dup_pairs'])}")
    clean_removed = len(removed_all - planted_all)
    print(f"  unplanted records removed: {clean_removed} of {len(ids) - len(planted_all)} "
          f"({clean_removed / (len(ids) - len(planted_all)):.1%}; includes the real Banking77 duplicates/leaks and "
          "hard-but-correct records the label-issue stage flags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
