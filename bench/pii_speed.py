"""PII stage speed: the detector of this checkout vs an older checkout (and presidio's default), same texts.

    python bench/pii_speed.py --before /tmp/before-pii            # old vs new detector, span agreement
    python bench/pii_speed.py --before /tmp/before-pii --presidio # + presidio AnalyzerEngine.analyze per text
    python bench/pii_speed.py --sets generated --n 20000          # one set, more texts
    python bench/pii_speed.py --profile                           # cProfile of this checkout's detector
    python bench/pii_speed.py --before /tmp/before-pii --quality  # P/R of both on pii_eval.py's labelled sets

Text sets (every text field of the records, in file order, first --n texts):
- code_alpaca, dialogsum, gpteacher_roleplay, gsm8k: ../shared/data (skipped when absent);
- presidio: presidio-research's synth_dataset_v2 (1,500 texts with labelled PII);
- generated: a seeded SFT-like corpus (user/assistant turns of ~60 words, capitalised sentence
  openers, a few names, products and numbers, e-mails in ~1% of records), like the 100,000-record
  file of issue 15.

Each detector runs in its own process (`--worker`), with the checkout's `curate` first on the path,
the model loaded and warmed before the clock starts and the per-text cache empty. CPU time
(`time.process_time`) is the measure: on a shared machine the wall clock mostly measures the
neighbours. Agreement: texts whose spans (start, end, type, recognizer; score to 4 places) are
identical, and every differing text listed with both span lists (`--show`).
"""

from __future__ import annotations

import sys
from pathlib import Path


import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

DATASETS = {
    "code_alpaca": ("code_alpaca/code_alpaca_2k.json", {}),
    "dialogsum": ("dialogsum/dialogsum.dev.jsonl", {"prompt_field": "dialogue", "response_field": "summary"}),
    "gpteacher_roleplay": ("gpteacher_roleplay/roleplay-simple-deduped-roleplay-instruct.json", {}),
    "gsm8k": ("gsm8k_alpaca/gsm_8k_train.json", {}),
    "presidio": ("presidio_pii/synth_dataset_v2.json", {"text_field": "full_text"}),
    "gpteacher_codegen": ("gpteacher_codegen/codegen-instruct.json", {}),
    "banking77": ("banking77/train.csv", {}),
    "sample_data": ("sample_data/support_sft.jsonl", {}),  # in the repository
}
DEFAULT_SETS = "code_alpaca,dialogsum,presidio,generated"


# ---- a seeded SFT-like corpus --------------------------------------------------------------------

_PRODUCTS = ["Premium", "Basic", "Gold", "Pro", "Android", "iPhone", "Windows", "Chrome", "Visa", "Mastercard",
             "PayPal", "Excel", "Python", "Settings", "Account", "Billing", "Dashboard", "Monday", "Friday", "January"]
_OPENERS = ["Hi", "Thanks", "Sure", "Yes", "No", "Please", "Okay", "Hello", "Great", "Sorry"]
_DOMAINS = ["gmail.com", "outlook.com", "acme-corp.com", "mailbox.org", "proton.me"]


def generated_texts(n: int, seed: int = 0) -> list[str]:
    """`n` texts (alternating user / assistant turns) of ~60 words from a fixed vocabulary."""
    import names

    from curate.models import minilm_path

    rnd = random.Random(seed)
    # the MiniLM WordPiece vocabulary in file order (frequent words first): 85% of words from its
    # first 3,000 whole words, the rest from all of them
    vocab = [w for w in (minilm_path() / "vocab.txt").read_text(encoding="utf-8").split("\n")
             if len(w) >= 2 and w.isascii() and w.isalpha()]
    frequent = vocab[:3000]
    first = _census_names(names, "dist.female.first", 300) + _census_names(names, "dist.male.first", 300)
    last = _census_names(names, "dist.all.last", 600)
    out = []
    for i in range(n):
        words_left = rnd.randint(45, 75)
        sents = []
        if rnd.random() < 0.3:
            sents.append(rnd.choice(_OPENERS) + ",")
        while words_left > 0:
            k = min(words_left, rnd.randint(6, 16))
            ws = [rnd.choice(frequent if rnd.random() < 0.85 else vocab) for _ in range(k)]
            for j in range(1, k):
                r = rnd.random()
                if r < 0.03:
                    ws[j] = rnd.choice(_PRODUCTS)
                elif r < 0.04:
                    ws[j] = str(rnd.randint(1, 5000))
            if rnd.random() < 0.05:
                ws.insert(rnd.randint(1, k), f"{rnd.choice(first).title()} {rnd.choice(last).title()}")
            ws[0] = ws[0].title()
            sents.append(" ".join(ws) + rnd.choice([".", ".", ".", "?", "!"]))
            words_left -= k
        if i % 200 == 0:  # one record (two texts) in 100 carries an e-mail address
            sents.insert(rnd.randint(0, len(sents)),
                         f"Contact {rnd.choice(first).lower()}.{rnd.choice(last).lower()}@{rnd.choice(_DOMAINS)}.")
        out.append(" ".join(sents))
    return out


def _census_names(names_mod, fname: str, top: int) -> list[str]:
    path = Path(names_mod.__file__).parent / fname
    with open(path, encoding="utf-8") as fh:
        return [line.split()[0] for line, _ in zip(fh, range(top))]


def load_set(name: str, n: int) -> list[str] | None:
    if name == "generated":
        return generated_texts(n)
    rel, opts = DATASETS[name]
    path = ROOT / rel if name == "sample_data" else SHARED / rel
    if not path.exists():
        print(f"skipping {name}: {path} is not on this machine")
        return None
    from curate.load import load_dataset

    ds = load_dataset(path, **opts)
    return [f["text"] for r in ds.records for f in r["fields"]][:n]


# ---- one detector in its own process -------------------------------------------------------------

def worker(code_root: str, texts_path: str, out_path: str, system: str) -> None:
    """Spans and CPU seconds of one system over the texts in `texts_path` (JSON list)."""
    sys.path.insert(0, code_root)
    texts = json.loads(Path(texts_path).read_text())
    if system == "presidio":
        from curate.pii import engine

        analyzer = engine.presidio_default_analyzer()
        analyzer.analyze("warm up, Jane Doe in Paris, jane@example.com", language="en")
        c0, t0 = time.process_time(), time.perf_counter()
        res = [[(r.start, r.end, r.entity_type, round(float(r.score), 4), r.recognition_metadata.get(
            "recognizer_name", "")) for r in analyzer.analyze(t, language="en")] for t in texts]
    else:
        from curate.pii.detect import PiiConfig, PiiDetector

        det = PiiDetector(PiiConfig())
        det.detect(["warm up, Jane Doe in Paris, jane@example.com"])
        det.cache.clear()
        c0, t0 = time.process_time(), time.perf_counter()
        res = [[(s.start, s.end, s.entity_type, round(s.score, 4), s.recognizer) for s in spans]
               for spans in det.detect(texts)]
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    import curate

    Path(out_path).write_text(json.dumps({"spans": res, "cpu": cpu, "wall": wall, "code": curate.__file__}))


def run_system(code_root: Path, texts_path: Path, system: str = "curate") -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    env = dict(os.environ, PYTHONPATH=str(code_root), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(code_root), str(texts_path),
                    str(out), system], check=True, env=env)
    res = json.loads(out.read_text())
    out.unlink()
    return res


def show_diff(texts, a, b, names, limit):
    shown = 0
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if shown >= limit:
            break
        shown += 1
        xs, ys = {tuple(s) for s in x}, {tuple(s) for s in y}
        print(f"--- text {i}: {texts[i][:160]!r}")
        for s in sorted(xs - ys):
            print(f"    only {names[0]}: {s[2]} {texts[i][s[0]:s[1]]!r} {s[3]} {s[4]} @{s[0]}")
        for s in sorted(ys - xs):
            print(f"    only {names[1]}: {s[2]} {texts[i][s[0]:s[1]]!r} {s[3]} {s[4]} @{s[0]}")


def quality(before: Path | None) -> None:
    """bench/pii_eval.py's span-level P/R tables, the older checkout's detector next to this one's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pii_eval", ROOT / "bench" / "pii_eval.py")
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    sets = []
    if ev.SYNTH.exists():
        sets.append(("presidio synth_dataset_v2", *ev.load_synth(None)))
    sample = ev.load_sample(None) if ev.ANSWER_KEY.exists() else None
    if sample:
        sets.append(("sample_data support_sft (planted PII)", *sample))
    for name, texts, gold, held in sets:
        tpath = Path(tempfile.mkstemp(suffix=".json")[1])
        tpath.write_text(json.dumps(texts))
        systems = {}
        if before:
            systems["before"] = [[tuple(s[:3]) for s in spans] for spans in run_system(before.resolve(), tpath)["spans"]]
        systems["now"] = [[tuple(s[:3]) for s in spans] for spans in run_system(ROOT, tpath)["spans"]]
        tpath.unlink()
        ev.table(f"{name}: all {len(texts)} texts", systems, gold)
        if not all(held):
            ev.table(f"{name}: held-out templates ({sum(held)} texts)", systems, gold, held)
        ev.phone_table(name, systems, texts, gold)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--sets", default=DEFAULT_SETS, help=f"comma-separated (default {DEFAULT_SETS})")
    ap.add_argument("--n", type=int, default=5000, help="texts per set (default 5000)")
    ap.add_argument("--before", type=Path, help="an older checkout whose detector is the baseline")
    ap.add_argument("--presidio", action="store_true", help="also time presidio's AnalyzerEngine.analyze per text")
    ap.add_argument("--show", type=int, default=20, help="differing texts printed per set (default 20)")
    ap.add_argument("--profile", action="store_true", help="cProfile this checkout's detector instead")
    ap.add_argument("--quality", action="store_true",
                    help="with --before: precision/recall of both detectors on the labelled sets of bench/pii_eval.py")
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sys.path.insert(0, str(ROOT))
    if args.quality:
        quality(args.before)
        return
    rows = []
    for name in args.sets.split(","):
        texts = load_set(name, args.n)
        if not texts:
            continue
        if args.profile:
            import cProfile
            import pstats

            from curate.pii.detect import PiiConfig, PiiDetector

            det = PiiDetector(PiiConfig())
            det.detect(["warm up, Jane Doe in Paris"])
            det.cache.clear()
            prof = cProfile.Profile()
            prof.runcall(det.detect, texts)
            print(f"\n## {name}: {len(texts)} texts")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            continue
        tpath = Path(tempfile.mkstemp(suffix=".json")[1])
        tpath.write_text(json.dumps(texts))
        systems = {}
        if args.presidio:
            systems["presidio default"] = run_system(ROOT, tpath, "presidio")
        if args.before:
            systems["before"] = run_system(args.before.resolve(), tpath)
        systems["this checkout"] = run_system(ROOT, tpath)
        tpath.unlink()
        new = systems["this checkout"]
        n_words = sum(len(t.split()) for t in texts)
        for sname, res in systems.items():
            same = sum(x == y for x, y in zip(res["spans"], new["spans"]))
            n_spans = sum(len(s) for s in res["spans"])
            rows.append((name, len(texts), n_words, sname, len(texts) / res["cpu"], new["cpu"] and res["cpu"] / new["cpu"],
                         n_spans, same))
        if args.before:
            print(f"\n### {name}: texts whose spans differ, before vs this checkout (first {args.show})\n")
            show_diff(texts, systems["before"]["spans"], new["spans"], ("before", "now"), args.show)
    if rows:
        print("\n### PII detector throughput (CPU time, one core) and agreement with this checkout\n")
        print("| set | texts | words | system | texts/s | this checkout's speed-up | spans | texts with identical spans |")
        print("|---|---:|---:|---|---:|---:|---:|---:|")
        for name, n, w, sname, rate, ratio, n_spans, same in rows:
            print(f"| {name} | {n} | {w} | {sname} | {rate:.0f} | {ratio:.2f}x | {n_spans} | {same} ({same / n:.1%}) |")


if __name__ == "__main__":
    main()
