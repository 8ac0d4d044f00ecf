"""The audit at scale: wall, peak memory and per-stage seconds on a generated SFT corpus, new vs baseline.

Run:
    python bench/audit_scale.py --n 100000                 # this checkout vs the engine at a77db86
    python bench/audit_scale.py --n 20000 --no-baseline    # this checkout only
    python bench/audit_scale.py --n 20000 --baseline-src /tmp/before   # a baseline checkout of your own
    python bench/audit_scale.py --n 20000 --engine ray --workers 2     # passed through to `curate audit`
    python bench/audit_scale.py --n 100000 --no-baseline --embedder hashing   # every stage but the fp32 encoder

The corpus (seeded, `--seed`): N prompt/response records of ~60 words per field, sentences drawn from a
word list with a grammar of determiners, nouns, verbs and adjectives so the text reads like English
(tokenizers, NER and MiniLM see realistic words); 2% exact copies of an earlier record, 2% near
copies (an earlier record with 3 words swapped: char 5-gram Jaccard ~0.9, above the 0.8 default), 1%
with an e-mail address in the prompt.

Each side runs `python -m curate audit CORPUS --no-cache` as a subprocess with default rules and a
fresh `CURATE_CACHE_DIR` whose `models` links to the shared converted models (~/.cache/curate/models
or `--models`): signals are cold, model conversions are not. The baseline side puts `--baseline-src`
(default: a detached worktree of commit a77db86, made once under /tmp) first on PYTHONPATH; the new
side this checkout. Measured per side: wall seconds, peak RSS of the largest process (wait4's
ru_maxrss: the audit process, or its largest worker), peak memory of the whole process tree
(PSS summed over the audit and its workers, sampled every 2 s: shared pages counted once), and
per-stage seconds from audit.json. Exit code 1 of the audit (gate failed) is expected: the corpus
has duplicates on purpose.
"""

from __future__ import annotations

import os
import sys


import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "a77db86"

# ---- the corpus ------------------------------------------------------------------------------------

NOUNS = ("account card payment transfer balance statement password app phone email address order refund "
         "delivery package invoice fee limit branch loan mortgage rate report meeting schedule project team "
         "customer service manager document file folder system server database network update version "
         "feature setting option screen button page link message notification reminder calendar event "
         "ticket request issue problem error solution answer question example summary recipe garden kitchen "
         "weather city country river mountain forest history science student teacher lesson course exam "
         "book chapter story character article paragraph sentence word language translation grammar price "
         "budget plan goal habit exercise health doctor appointment medicine hospital insurance policy claim "
         "contract agreement warranty product review rating store market travel flight hotel booking trip "
         "train ticket passport visa airport luggage car engine battery charger cable screen keyboard mouse "
         "printer camera photo video music song playlist podcast movie game score team player coach season").split()
VERBS = ("check update reset change cancel confirm review send receive open close share download upload "
         "explain describe compare summarize translate calculate estimate schedule move book order return "
         "replace repair install remove enable disable verify track find choose prepare improve organize "
         "write read plan start finish keep use need want help show tell ask try learn teach build fix").split()
ADJS = ("new old recent current previous monthly weekly daily annual simple quick short long detailed "
        "clear useful important main final extra free online local international personal secure private "
        "public small large early late easy hard common special standard basic advanced full partial "
        "correct wrong missing pending active available different similar better best good great").split()
ADVS = "quickly carefully usually often already still again soon today yesterday later recently".split()
PREPS = "for with about from into after before during without under over between through".split()
DETS = "the a my your our every each their".split()
OPENERS = ["Can you", "Could you please", "I need to", "Please", "How do I", "What is the best way to",
           "I would like to", "Is it possible to", "Help me", "Why can't I"]
FIRST = "jane john maria li amir sofia tom anna omar eva".split()
DOMAINS = "example.com example.org mail.example.net test.example.com".split()


def _third(verb: str) -> str:
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")


def _np(rng: random.Random) -> str:
    parts = [rng.choice(DETS)]
    if rng.random() < 0.5:
        parts.append(rng.choice(ADJS))
    parts.append(rng.choice(NOUNS))
    return " ".join(parts)


def _sentence(rng: random.Random, question: bool = False) -> str:
    if question:
        s = f"{rng.choice(OPENERS)} {rng.choice(VERBS)} {_np(rng)} {rng.choice(PREPS)} {_np(rng)}"
        return s + "?"
    subj = _np(rng)
    s = f"{subj} {_third(rng.choice(VERBS))} {_np(rng)}"
    if rng.random() < 0.6:
        s += f" {rng.choice(PREPS)} {_np(rng)}"
    if rng.random() < 0.3:
        s += f" {rng.choice(ADVS)}"
    return s[0].upper() + s[1:] + "."


def _text(rng: random.Random, words: int, question: bool) -> str:
    out: list[str] = []
    n = 0
    first = True
    while n < words:
        s = _sentence(rng, question and first)
        out.append(s)
        n += len(s.split())
        first = False
    return " ".join(out)


def _perturb(rng: random.Random, text: str, k: int = 3) -> str:
    words = text.split(" ")
    for _ in range(k):
        i = rng.randrange(len(words))
        tail = words[i][-1] if words[i][-1:] in ".?," else ""
        words[i] = rng.choice(NOUNS + ADJS) + tail
    return " ".join(words)


def generate(n: int, seed: int = 0, words: int = 60) -> list[dict]:
    """N records: 2% exact copies, 2% near copies, 1% with an e-mail in the prompt (seeded)."""
    rng = random.Random(seed)
    recs: list[dict] = []
    for i in range(n):
        r = rng.random()
        if i > 10 and r < 0.02:
            src = recs[rng.randrange(len(recs))]
            rec = {"prompt": src["prompt"], "response": src["response"]}
        elif i > 10 and r < 0.04:
            src = recs[rng.randrange(len(recs))]
            rec = {"prompt": src["prompt"], "response": _perturb(rng, src["response"])}
        else:
            rec = {"prompt": _text(rng, words, True), "response": _text(rng, words, False)}
            if r < 0.05:
                rec["prompt"] += f" You can reach me at {rng.choice(FIRST)}.{rng.choice(FIRST)}{i}@{rng.choice(DOMAINS)}."
        rec["id"] = f"rec-{i:07d}"
        recs.append(rec)
    return recs


def write_corpus(path: Path, n: int, seed: int) -> None:
    with path.open("w") as f:
        for r in generate(n, seed):
            f.write(json.dumps({"id": r["id"], "prompt": r["prompt"], "response": r["response"]}) + "\n")


# ---- running one side ------------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_side(label: str, src: Path, corpus: Path, work: Path, models: Path, extra: list[str]) -> dict:
    cache = work / f"cache-{label}"
    cache.mkdir(parents=True)
    if models.exists():
        (cache / "models").symlink_to(models)
    out = work / f"out-{label}"
    env = dict(os.environ, PYTHONPATH=str(src), CURATE_CACHE_DIR=str(cache), TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cmd = [sys.executable, "-m", "curate", "audit", str(corpus), "--no-cache", "--out", str(out), *extra]
    print(f"[{label}] PYTHONPATH={src} {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    log = (work / f"{label}.log").open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(work))
    peak_tree = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak_tree[0] = max(peak_tree[0], sum(_pss_kb(p) for p in _tree(proc.pid)))
            stop.wait(2.0)  # smaps_rollup walks the page tables: sampling costs CPU the audit needs

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    res = {"label": label, "src": str(src), "rc": proc.returncode, "wall_s": round(wall, 1),
           "peak_rss_mb": round(usage.ru_maxrss / 1024), "peak_tree_pss_mb": round(peak_tree[0] / 1024),
           "stages": {}, "phases": {}}
    audit = out / "audit.json"
    if proc.returncode not in (0, 1) or not audit.exists():
        tail = (work / f"{label}.log").read_text()[-3000:]
        print(f"[{label}] audit failed with exit {proc.returncode}:\n{tail}", file=sys.stderr)
        return res
    a = json.loads(audit.read_text())
    res["stages"] = {s["name"]: s["seconds"] for s in a.get("stages", [])}
    res["phases"] = {k: v for k, v in (a.get("timings") or {}).items() if not k.startswith("stage:")}
    res["flagged"] = {o["rule"]: o.get("flagged", 0) for o in a.get("rules", []) if o.get("flagged")}
    return res


def baseline_checkout(commit: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"curate-baseline-{commit}"
    if not (path / "curate" / "__init__.py").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def audit_flags(src: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(src))
    r = subprocess.run([sys.executable, "-m", "curate", "audit", "--help"], env=env, capture_output=True, text=True)
    return r.stdout


def side_args(src: Path, engine: str | None, workers: int | None) -> list[str]:
    """The pass-through flags this side's CLI knows (`--engine` and `--workers`, else `--num-proc`)."""
    helptext = audit_flags(src)
    extra: list[str] = []
    if engine and engine != "local":
        if "--engine" not in helptext:
            sys.exit(f"{src}: this curate has no --engine flag")
        extra += ["--engine", engine]
    elif engine == "local" and "--engine" in helptext:
        extra += ["--engine", "local"]
    if workers:
        extra += ["--workers" if "--workers" in helptext else "--num-proc", str(workers)]
    return extra


def table(results: list[dict], n: int) -> str:
    stages = list(dict.fromkeys(s for r in results for s in r["stages"]))
    phases = list(dict.fromkeys(p for r in results for p in r["phases"]))
    head = ["", *[r["label"] for r in results]]
    if len(results) == 2:
        head.append("ratio")
    rows: list[list[str]] = []

    def add(name, vals, fmt, ratio=True):
        row = [name, *[fmt(v) if v is not None else "-" for v in vals]]
        if len(results) == 2:
            a, b = vals
            row.append(f"{a / b:.2f}x" if ratio and a and b else "")
        rows.append(row)

    add("wall s", [r["wall_s"] for r in results], lambda v: f"{v:.1f}")
    add("records/s", [n / r["wall_s"] if r["wall_s"] else None for r in results], lambda v: f"{v:.0f}", ratio=False)
    add("peak RSS MB (largest process)", [r["peak_rss_mb"] for r in results], lambda v: f"{v}")
    add("peak PSS MB (process tree)", [r["peak_tree_pss_mb"] for r in results], lambda v: f"{v}")
    add("exit code", [r["rc"] for r in results], str, ratio=False)
    for p in phases:
        add(f"  {p} s", [r["phases"].get(p) for r in results], lambda v: f"{v:.1f}")
    for s in stages:
        add(f"  stage {s} s", [r["stages"].get(s) for r in results], lambda v: f"{v:.1f}")
        add(f"  stage {s} rec/s", [n / r["stages"][s] if r["stages"].get(s) else None for r in results],
            lambda v: f"{v:.0f}", ratio=False)
    for rule in dict.fromkeys(k for r in results for k in r.get("flagged", {})):
        add(f"  flagged {rule}", [r.get("flagged", {}).get(rule, 0) for r in results], str, ratio=False)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda row: "| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                         for i, (c, w) in enumerate(zip(row, widths))) + " |"
    lines = [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, rows)]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="records to generate (default 20000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", choices=("local", "ray"), default=None, help="passed to the new side's `curate audit`")
    ap.add_argument("--workers", type=int, default=None, help="passed to the new side (--workers, else --num-proc)")
    ap.add_argument("--baseline-src", type=Path, default=None,
                    help=f"checkout of the baseline engine (default: a worktree of {BASELINE_COMMIT} under /tmp)")
    ap.add_argument("--baseline-n", type=int, default=None, help="records for the baseline (default: --n)")
    ap.add_argument("--no-baseline", action="store_true", help="run this checkout only")
    ap.add_argument("--models", type=Path, default=Path.home() / ".cache" / "curate" / "models",
                    help="converted models to link into each fresh cache (default ~/.cache/curate/models)")
    ap.add_argument("--work", type=Path, default=None, help="folder for the corpus, caches and outputs (default: temp)")
    ap.add_argument("--concurrent", action="store_true",
                    help="run both sides at the same time (a busy machine slows both alike; memory is per side)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--embedder", choices=("default", "hashing"), default="default",
                    help="hashing: the default rules with `stages: {embed: {model: hashing}}` (a model-free "
                         "embedder), to time every other stage at sizes where the fp32 encoder alone takes half an hour")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="audit-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    for p in work.glob("cache-*"):
        shutil.rmtree(p)
    for p in work.glob("out-*"):
        shutil.rmtree(p)
    results = []
    sides = []
    if not args.no_baseline:
        base = args.baseline_src or baseline_checkout(BASELINE_COMMIT)
        sides.append(("baseline", base, args.baseline_n or args.n, side_args(base, None, None)))
    sides.append(("new", ROOT, args.n, side_args(ROOT, args.engine, args.workers)))
    if args.embedder == "hashing":
        rules = work / "default-hashing.yaml"
        rules.write_text((ROOT / "audit_rules" / "default.yaml").read_text() + "\nstages:\n  embed: {model: hashing}\n")
        sides = [(label, src, n, [*extra, "--rules", str(rules)]) for label, src, n, extra in sides]
    jobs = []
    for label, src, n, extra in sides:
        corpus = work / f"corpus-{n}-{args.seed}.jsonl"
        if not corpus.exists():
            t0 = time.perf_counter()
            write_corpus(corpus, n, args.seed)
            print(f"corpus: {n} records, {corpus.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
        jobs.append((label, src, corpus, n, extra))

    def one(job):
        label, src, corpus, n, extra = job
        r = run_side(label, src, corpus, work, args.models, extra)
        r["n"] = n
        return r

    if args.concurrent:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(jobs)) as ex:
            results = list(ex.map(one, jobs))
    else:
        results = [one(j) for j in jobs]
    same_n = len({r["n"] for r in results}) == 1
    if same_n:
        print(f"\n{args.n} records, seed {args.seed}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
              f"{', sides run concurrently' if args.concurrent else ''}\n")
        print(table(results, args.n))
    else:
        for r in results:
            print(f"\n{r['label']}: {r['n']} records\n")
            print(table([r], r["n"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["rc"] in (0, 1) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
