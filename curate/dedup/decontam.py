"""The `decontam` stage: benchmark contamination by long n-gram overlap (issue 18).

The standard test published models report: a training record is contaminated by a benchmark item
when they share a 13-gram of words after normalisation (GPT-3, Brown et al. 2020, appendix C;
EleutherAI lm-evaluation-harness `decontamination/janitor.py`). Normalisation follows lm-eval's
janitor: lowercase, delete punctuation (ASCII punctuation and every Unicode P* character),
split on whitespace.

What is compared (each field on its own; an n-gram never spans two fields):
  - benchmark side: an item's question/input texts (user role), as lm-eval's decontamination
    compares each task's `doc_to_decontamination_query`; with `answers: true` also its answers of
    at least `n` words (leaked solutions). Answers are off by default: an in-house eval set often
    shares canned answer text with its training set by design, and short answers ("B", "42")
    are shared by countless unrelated records;
  - training side: every user and assistant text (a question quoted in an answer still leaks).
  - system prompts never: one shared system prompt would make every record overlap every item.
Texts shorter than `n` words have no n-gram. GPT-3 lowers n per benchmark to the 5th-percentile
item length, never below 8 words; we apply the same floor per text:
  - `min_n` <= words < `n`: the whole text is one n-gram of its own length: a training text
    containing it contiguously is contaminated (Banking77's ~12-word queries fall here);
  - fewer than `min_n` words: only a training text *equal* to it after normalisation counts: a
    5-word question inside a longer record is common language, an identical record is a copy.
An n-gram found in more than `max_items_per_ngram` items of one benchmark is the benchmark's
template (shared instructions), evidence of no single item, and is not used.

Speed: the benchmark side becomes sorted uint64 arrays of n-gram hashes (a polynomial hash over
random 64-bit token codes); training records stream through in chunks, their windows are hashed
with numpy and looked up with searchsorted; every hit is verified token by token, so a reported
overlap is always a real one. bench/decontam.py measures it (100,000 records x 10,000 items).

Column: contaminated_by  [{benchmark, id, match, n, ngrams, coverage, ngram}] per training
record, most overlapping first: `benchmark` is the eval set's name, `id` the item, `match`
"ngram" / "whole" / "equal" (see above), `n` the n-gram length in words, `ngrams` how many
distinct n-grams of the item the record contains, `coverage` that count over the item's
n-grams, `ngram` the first overlapping n-gram (normalised words).
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from curate.checks.registry import CheckResult, SkipCheck, register_check
from curate.stages import register_stage

MAX_LISTED = 5


@dataclass
class DecontamConfig:
    n: int = 13  # n-gram length in words (GPT-3 appendix C; lm-eval decontamination)
    min_n: int = 8  # texts of min_n..n-1 words are one whole-text n-gram; shorter ones must equal a training text
    answers: bool = False  # also index benchmark answers of >= n words (leaked solutions), not only questions
    max_items_per_ngram: int = 10  # an n-gram in more items of one benchmark is template text: ignored
    chunk: int = 5000  # training records hashed per step (bounds memory: ~15 kB per record of ~100 words)


class _Deletions(dict):
    """str.translate table deleting punctuation: ASCII punctuation (lm-eval's `string.punctuation`)
    and every Unicode P* character, decided per character on first sight (the full table would
    take seconds to build)."""

    def __missing__(self, code: int):
        ch = chr(code)
        value = None if ch in string.punctuation or unicodedata.category(ch).startswith("P") else code
        self[code] = value
        return value


_DELETE = _Deletions()


def words(text: str) -> list[str]:
    """lm-eval janitor's normalisation: lowercase, delete punctuation, split on whitespace."""
    return (text or "").casefold().translate(_DELETE).split()


def _units(fields, prompt, response, *, benchmark: bool, config: "DecontamConfig") -> list[list[str]]:
    """The normalised word lists compared, one per text field (see the module docstring)."""
    if fields is None:
        fields = [{"role": "user", "text": prompt}] + ([{"role": "assistant", "text": response}] if response else [])
    out = []
    for f in fields:
        role = f.get("role")
        if role == "system" or (benchmark and role == "assistant" and not config.answers):
            continue
        w = words(f.get("text"))
        if not w or (benchmark and role == "assistant" and len(w) < config.n):
            continue
        out.append(w)
    return out


def _codes(count: int, seed: int = 13) -> np.ndarray:
    """A random 64-bit code per vocabulary id (deterministic, so runs are reproducible)."""
    return np.random.default_rng(seed).integers(1, 2**63, size=count, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


_P = np.uint64(0x9E3779B97F4A7C15)


def _window_hashes(codes: np.ndarray, length: int) -> np.ndarray:
    """h[i] = sum_k codes[i+k] * P^k (mod 2^64) for every window of `length` tokens."""
    m = len(codes) - length + 1
    if m <= 0:
        return np.zeros(0, np.uint64)
    h = np.zeros(m, np.uint64)
    pk = np.uint64(1)
    with np.errstate(over="ignore"):
        for k in range(length):
            h += codes[k:k + m] * pk
            pk = pk * _P
    return h


@dataclass
class _Flat:
    """Word ids of many texts laid end to end, with where each text starts and ends."""
    ids: np.ndarray  # int64 vocabulary id per word (-1: a word no benchmark has)
    starts: np.ndarray
    lengths: np.ndarray
    owner: np.ndarray  # record/item index per text

    def windows(self, length: int) -> np.ndarray:
        """Start positions of every window of `length` words inside one text."""
        ok = self.lengths >= length
        if not ok.any():
            return np.zeros(0, np.int64)
        counts = self.lengths[ok] - length + 1
        base = np.repeat(self.starts[ok], counts)
        return base + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))

    def text_of(self, pos: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, pos, side="right") - 1


def _flatten(unit_lists, vocab: dict, *, grow: bool) -> tuple[_Flat, list[list[str]]]:
    texts, lengths, owner = [], [], []
    for i, units in enumerate(unit_lists):
        texts += units
        lengths += [len(w) for w in units]
        owner += [i] * len(units)
    flat_words = [t for w in texts for t in w]
    if grow:
        for t in flat_words:
            vocab.setdefault(t, len(vocab))
    ids = np.fromiter(map(vocab.get, flat_words, repeat(-1)), np.int64, count=len(flat_words))
    lengths = np.asarray(lengths, np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(lengths) else lengths
    return _Flat(ids, starts, lengths, np.asarray(owner, np.int64)), texts


@dataclass
class _Index:
    """Sorted n-gram hashes of one length; per entry the item and one position to verify against."""
    hashes: np.ndarray
    items: np.ndarray
    pos: np.ndarray

    def __post_init__(self):
        # a one-bit-per-slot prefilter on the low hash bits (~16 slots per n-gram, so ~6% of the
        # training windows that are not in the index reach the binary search)
        size = 1 << int(min(max(np.ceil(np.log2(max(len(self.hashes), 1) * 16)), 16), 27))
        self.mask = np.uint64(size - 1)
        self.filter = np.zeros(size, bool)
        self.filter[self.hashes & self.mask] = True

    def lookup(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(which queries hit, first entry, end entry) for hashes `h`."""
        maybe = np.flatnonzero(self.filter[h & self.mask])
        lo = np.searchsorted(self.hashes, h[maybe], side="left")
        hi = np.searchsorted(self.hashes, h[maybe], side="right")
        hit = hi > lo
        return maybe[hit], lo[hit], hi[hit]


class BenchmarkIndex:
    """The hashed n-grams of every benchmark item, built once, queried chunk by chunk."""

    def __init__(self, eval_sets: list, config: DecontamConfig):
        self.config = config
        self.vocab: dict[str, int] = {}
        self.item_id, self.item_set, unit_lists = [], [], []
        self.sets: list[str] = []
        for k, ds in enumerate(eval_sets):
            self.sets.append(ds.name)
            for rec in ds.records:
                unit_lists.append(_units(rec.get("fields"), rec["prompt"], rec["response"], benchmark=True, config=config))
                self.item_id.append(str(rec["id"]))
                self.item_set.append(k)
        self.item_set = np.asarray(self.item_set, np.int64)
        flat, _ = _flatten(unit_lists, self.vocab, grow=True)
        self.flat = flat
        self.codes = _codes(len(self.vocab) + 1)
        word_codes = self.codes[flat.ids] if len(flat.ids) else np.zeros(0, np.uint64)
        n, min_n = config.n, config.min_n
        self.ignored_template = np.zeros(len(self.sets), np.int64)
        self.item_ngrams = np.zeros(len(self.item_id), np.int64)  # denominator of `coverage`
        self.by_length: dict[int, _Index] = {}
        lengths = {n} | {int(L) for L in flat.lengths if min_n <= L < n}
        for L in sorted(lengths):
            if L == n:
                pos = flat.windows(n)
            else:  # a whole text of L words: its only window starts at the text's start
                pos = flat.starts[flat.lengths == L]
            if len(pos) == 0:
                continue
            h = _window_hashes(word_codes, L)[pos]
            items = flat.owner[flat.text_of(pos)]
            self.by_length[L] = self._build(h, items, pos)
        # shorter than min_n: equal texts only (exact tuples; no hashing needed)
        self.equal: dict[tuple, list[int]] = {}
        for t, (s, L, o) in enumerate(zip(flat.starts, flat.lengths, flat.owner)):
            if L < min_n:
                key = tuple(flat.ids[s:s + L].tolist())
                lst = self.equal.setdefault(key, [])
                if int(o) not in lst:
                    lst.append(int(o))
                    self.item_ngrams[o] += 1

    def _build(self, h, items, pos) -> _Index:
        # one entry per (hash, item); count each item's distinct n-grams
        order = np.lexsort((pos, items, h))
        h, items, pos = h[order], items[order], pos[order]
        first = np.ones(len(h), bool)
        first[1:] = (h[1:] != h[:-1]) | (items[1:] != items[:-1])
        h, items, pos = h[first], items[first], pos[first]
        np.add.at(self.item_ngrams, items, 1)
        # template n-grams: in more than max_items_per_ngram items of one benchmark
        key_start = np.ones(len(h), bool)
        key_start[1:] = (h[1:] != h[:-1]) | (self.item_set[items[1:]] != self.item_set[items[:-1]])
        group = np.cumsum(key_start) - 1
        size = np.bincount(group)
        template = size[group] > self.config.max_items_per_ngram
        if template.any():
            heads = key_start & template
            np.add.at(self.ignored_template, self.item_set[items[heads]], 1)
        keep = ~template
        return _Index(h[keep], items[keep], pos[keep])

    def match(self, unit_lists) -> list[list[dict]]:
        """Per training record, the benchmark items it overlaps (verified), most overlapping first."""
        flat, texts = _flatten(unit_lists, self.vocab, grow=False)
        known = flat.ids >= 0
        word_codes = np.where(known, self.codes[np.where(known, flat.ids, 0)], np.uint64(0))
        unknown_before = np.concatenate([[0], np.cumsum(~known)])  # windows with an unknown word cannot match
        rec, item, start, length = [], [], [], []
        for L, idx in self.by_length.items():
            pos = flat.windows(L)
            if len(pos) == 0 or len(idx.hashes) == 0:
                continue
            pos = pos[unknown_before[pos + L] == unknown_before[pos]]
            h = _window_hashes(word_codes, L)[pos]
            hit, lo, hi = idx.lookup(h)
            pos = pos[hit]
            if len(pos) == 0:
                continue
            cnt = hi - lo
            tpos = np.repeat(pos, cnt)
            entry = np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
            offs = np.arange(L)
            same = (flat.ids[tpos[:, None] + offs] == self.flat.ids[idx.pos[entry][:, None] + offs]).all(axis=1)
            tpos, entry = tpos[same], entry[same]
            rec.append(flat.owner[flat.text_of(tpos)])
            item.append(idx.items[entry])
            start.append(tpos)
            length.append(np.full(len(tpos), L))
        found: dict[tuple[int, int], dict] = {}
        if rec:
            rec, item, start, length = (np.concatenate(a) for a in (rec, item, start, length))
            h_of = {}  # distinct n-grams per (record, item): the words themselves
            for r, it, s, L in zip(rec.tolist(), item.tolist(), start.tolist(), length.tolist()):
                key = (r, it)
                gram = tuple(flat.ids[s:s + L].tolist())
                seen = h_of.setdefault(key, {})
                if gram not in seen:
                    seen[gram] = s
            for (r, it), grams in h_of.items():
                lengths = {len(g) for g in grams}  # an item with a long and a short question: report the n-grams
                L = self.config.n if self.config.n in lengths else max(lengths)
                s0 = min(s for g, s in grams.items() if len(g) == L)
                t = int(flat.text_of(np.asarray([s0]))[0])
                off = int(s0 - flat.starts[t])
                found[(r, it)] = {"match": "ngram" if L == self.config.n else "whole", "n": L,
                                  "ngrams": len(grams), "ngram": " ".join(texts[t][off:off + L])}
        if self.equal:
            for t, (s, L, o) in enumerate(zip(flat.starts.tolist(), flat.lengths.tolist(), flat.owner.tolist())):
                if L >= self.config.min_n:
                    continue
                for it in self.equal.get(tuple(flat.ids[s:s + L].tolist()), ()):
                    if (o, it) not in found:
                        found[(o, it)] = {"match": "equal", "n": L, "ngrams": 1, "ngram": " ".join(texts[t])}
        out = [[] for _ in unit_lists]
        for (r, it), d in found.items():
            cov = d["ngrams"] / max(int(self.item_ngrams[it]), 1)
            out[r].append({"benchmark": self.sets[self.item_set[it]], "id": self.item_id[it], "match": d["match"],
                           "n": int(d["n"]), "ngrams": int(d["ngrams"]), "coverage": round(min(cov, 1.0), 4),
                           "ngram": d["ngram"]})
        for lst in out:
            if len(lst) > 1:
                lst.sort(key=lambda d: (-d["ngrams"], -d["coverage"], d["benchmark"], d["id"]))
                del lst[MAX_LISTED:]
        return out


@register_stage("decontam", config=DecontamConfig, columns=("contaminated_by",), inputs=("eval",))
def decontam(batch: dict[str, list], *, config: DecontamConfig, eval: list | None = None) -> dict[str, list]:
    """Training records sharing a 13-gram (after normalisation) with a benchmark item."""
    n = len(batch["id"])
    if n == 0 or not eval:
        return {"contaminated_by": [[] for _ in range(n)]}
    index = BenchmarkIndex(eval, config)
    fields = batch.get("fields") or [None] * n
    out: list = []
    for a in range(0, n, config.chunk):
        b = min(a + config.chunk, n)
        units = [_units(fields[i], batch["prompt"][i], batch["response"][i], benchmark=False, config=config)
                 for i in range(a, b)]
        out += index.match(units)
    return {"contaminated_by": out}


def benchmark_table(eval_sets, config: DecontamConfig) -> list[dict]:
    """Per benchmark: items, how they are matched (n-grams / whole text / equal text only), and
    how many template n-grams (shared by more than max_items_per_ngram items) were set aside."""
    index = BenchmarkIndex(eval_sets, config)
    rows = []
    for k, ds in enumerate(eval_sets):
        kinds = {"ngram": 0, "whole": 0, "equal": 0}
        for rec in ds.records:
            units = _units(rec.get("fields"), rec["prompt"], rec["response"], benchmark=True, config=config)
            longest = max((len(u) for u in units), default=0)
            kinds["ngram" if longest >= config.n else "whole" if longest >= config.min_n else "equal"] += 1
        rows.append({"benchmark": ds.name, "items": len(ds), f"items_{config.n}gram": kinds["ngram"],
                     "items_whole_text": kinds["whole"], "items_equal_only": kinds["equal"],
                     "template_ngrams_ignored": int(index.ignored_template[k])})
    return rows


def _describe(d: dict) -> str:
    gram = d["ngram"] if len(d["ngram"]) <= 90 else d["ngram"][:87] + "..."
    where = f"benchmark {d['benchmark']} item {d['id']}"
    if d["match"] == "equal":
        return f"identical to {where} after normalisation ({d['n']} words): '{gram}'"
    if d["match"] == "whole":
        return f"contains all {d['n']} words of {where}: '{gram}'"
    return (f"{d['ngrams']} {d['n']}-gram(s) of {where} ({d['coverage']:.0%} of its {d['n']}-grams), "
            f"e.g. '{gram}'")


@register_check("max_benchmark_contamination", needs=("decontam",), fix="drop")
def max_benchmark_contamination(signals, ctx, *, max_count: int = 0, min_ngrams: int = 1,
                                min_coverage: float = 0.0) -> CheckResult:
    """At most `max_count` training records share a 13-gram (or a whole short item) with a benchmark/eval item.

    The defaults are the standard test (GPT-3, lm-eval): one shared 13-gram makes a record dirty.
    `min_ngrams` / `min_coverage` (share of the item's 13-grams found in the record) count only
    larger overlaps, for eval sets whose items share stock sentences with the training data.
    """
    evals = list(getattr(ctx, "eval_sets", None) or [])
    if not evals:
        raise SkipCheck("no benchmark given: pass --eval FILE or --eval FOLDER to check for contamination")
    cfg = (getattr(ctx, "stage_configs", None) or {}).get("decontam") or DecontamConfig()
    col = list(signals["contaminated_by"]) if "contaminated_by" in signals else [None] * len(signals)
    n = len(signals)
    flagged, evidence, pairs = [], {}, []
    per_set: dict[str, dict] = {ds.name: {"records": set(), "items": set()} for ds in evals}
    for rid, lst in zip(signals["id"], col):
        hits = [d for d in (list(lst) if lst is not None and not isinstance(lst, float) else [])
                if d["match"] != "ngram" or (int(d["ngrams"]) >= min_ngrams and float(d["coverage"]) >= min_coverage)]
        if not hits:
            continue
        flagged.append(rid)
        more = f"; {len(hits) - 1} more item(s)" if len(hits) > 1 else ""
        evidence[rid] = _describe(hits[0]) + more
        for d in hits:
            s = per_set.setdefault(d["benchmark"], {"records": set(), "items": set()})
            s["records"].add(rid)
            s["items"].add(d["id"])
            pairs.append({"train_id": rid, "benchmark": d["benchmark"], "item_id": d["id"], "match": d["match"],
                          "n": int(d["n"]), "ngrams": int(d["ngrams"]), "coverage": float(d["coverage"]),
                          "ngram": d["ngram"]})
    table = []
    for row in benchmark_table(evals, cfg):
        s = per_set.get(row["benchmark"], {"records": set(), "items": set()})
        table.append({**row, "training_records_contaminated": len(s["records"]), "items_hit": len(s["items"])})
    names = ", ".join(ds.name for ds in evals)
    return CheckResult(value=len(flagged), passed=n > 0 and len(flagged) <= max_count, threshold=max_count,
                       flagged=flagged, evidence=evidence, details={"table": table, "tables": {"overlapping pairs": pairs}},
                       message=f"{len(flagged)} of {n} training records share a {cfg.n}-gram or a whole short item "
                               f"with a benchmark (max {max_count}; benchmarks: {names})")
