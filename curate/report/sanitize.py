"""Keep raw PII out of everything curate writes.

Reports quote records (excerpts, evidence). Every value the PII stage found is replaced by its
entity type before any report, summary or log line is written, whichever check produced the text.

The PII stage reads record *texts*; a record's id, a class label and the data file's name are
names, not texts, yet they reach every report (`user-jane.doe@example.org`,
`owner: dave.lee@example.com`, `export_carol.king@example.net.jsonl`). `Sanitizer.from_result`
runs the PII pattern recognizers (no NER: ids and labels are not sentences) over those names too,
and gives each value found there a numbered placeholder (`<EMAIL_ADDRESS_1>`), so two ids that
differed only by their e-mail address still differ after sanitising.

Evidence and excerpts are often cut (`text[:160] + "…"`), and a cut value is no longer the value:
`sk-proj-Xq7vB2…` would survive an exact match. A fragment at a cut edge (the end or start of the
string, or next to an ellipsis) that is the start (or end) of a found value goes too.
"""

from __future__ import annotations

import bisect
import html
import re
from pathlib import Path

MIN_FRAGMENT = 4  # a cut-off piece of a value shorter than this says nothing about it
_CUT = re.compile(r"…|\.\.\.")
_EDGE_PAD = " \t\n\"'`([{<>)]}"


_ORDINARY_WORD = re.compile(r"[a-z]+|[A-Z]+")


class Sanitizer:
    def __init__(self, values: dict[str, str], names: dict[str, str] | None = None):
        """values: raw value -> entity type (from texts); names: raw value -> placeholder (from ids, labels, files)."""
        self.types = dict(values)
        # a detected span that is one all-lowercase or all-capitals word ("input", "JSON") is an ordinary
        # word wherever else it stands, not a name, place or contact detail: masking it everywhere turned
        # a field mapping into 'input_field': '<URL>' and a rule message into "<LOCATION> answers"
        values = {v: t for v, t in values.items() if not _ORDINARY_WORD.fullmatch(v.strip())}
        self.replacement = {v: f"<{t}>" for v, t in values.items()}
        self.replacement.update(names or {})
        for v in list(self.replacement):  # the same value as report.html or an SVG figure escapes it
            esc = html.escape(v, quote=True)
            if esc != v:
                self.replacement.setdefault(esc, self.replacement[v])
        vals = sorted((v for v in self.replacement if len(v.strip()) >= 3), key=len, reverse=True)
        # whole words only, case-sensitive: a PERSON span "Max" must not turn "max_rate" or "Maximum"
        # into "<PERSON>_rate"
        self.pattern = _alternation(vals)
        # our own prose (rule messages) only loses values that cannot be ordinary lowercase words;
        # values found in names came from pattern recognizers (e-mails, phones, keys): all distinctive
        distinctive = [v for v in vals if v in (names or {}) or v != v.lower() or any(c.isdigit() or c in "@:/" for c in v)]
        self.prose_pattern = _alternation(distinctive)
        # fragments: only values long enough that a cut piece of them is still identifying
        frag = [v for v in vals if len(v) > MIN_FRAGMENT]
        self._prefixes = sorted(frag)
        self._suffixes = sorted(v[::-1] for v in frag)
        self._distinctive = set(distinctive)
        self._longest = max((len(v) for v in frag), default=0)
        self._memo: dict[tuple, str] = {}  # signal columns repeat short strings (ids, labels, languages)

    @classmethod
    def from_signals(cls, ds, signals) -> "Sanitizer":
        return cls(span_values(ds, signals))

    @classmethod
    def from_result(cls, result) -> "Sanitizer":
        """Values the PII stage found in the texts, plus PII in ids, labels and file names."""
        datasets = [result.dataset, *getattr(result, "eval_sets", []), *([result.reference] if result.reference else [])]
        return cls(span_values(result.dataset, result.signals), name_values(datasets))

    # ---- applying it ----------------------------------------------------------------------------
    def text(self, s: str) -> str:
        """Record-derived text (evidence, excerpts, tables, figures, ids): every found value goes."""
        if not self.pattern or not isinstance(s, str):
            return s
        return self._memoised(s, False)

    def prose(self, s: str) -> str:
        """A check's own message, which may quote data: distinctive values go."""
        if not self.prose_pattern or not isinstance(s, str):
            return s
        return self._memoised(s, True)

    def _memoised(self, s: str, prose: bool) -> str:
        key = (s, prose)
        if key in self._memo:
            return self._memo[key]
        pattern = self.prose_pattern if prose else self.pattern
        out = self._fragments(pattern.sub(self._sub, s), distinctive_only=prose)
        if len(s) <= 200 and len(self._memo) < 100_000:
            self._memo[key] = out
        return out

    def clean(self, obj):
        """Sanitise every string inside nested dicts/lists/arrays (keys too)."""
        if self.pattern is None:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self.text(k) if isinstance(k, str) else k: self.clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.clean(v) for v in obj]
        if type(obj).__name__ == "ndarray" and obj.dtype == object:
            return [self.clean(v) for v in obj.tolist()]
        return obj

    def _sub(self, m: re.Match) -> str:
        return self.replacement.get(m.group(0), "<PII>")

    def _fragments(self, s: str, *, distinctive_only: bool) -> str:
        """Replace cut-off pieces of values at the string's edges and next to an ellipsis."""
        if not self._prefixes or len(s) < MIN_FRAGMENT:
            return s
        # pieces: the whole string split at ellipses; each piece's tail may start a value, its head end one
        out, pos = [], 0
        for m in list(_CUT.finditer(s)) + [None]:
            end = m.start() if m else len(s)
            out.append(self._edges(s[pos:end], distinctive_only))
            if m:
                out.append(m.group(0))
                pos = m.end()
        return "".join(out)

    def _edges(self, piece: str, distinctive_only: bool) -> str:
        core = piece.rstrip(_EDGE_PAD)
        tail = piece[len(core):]
        cut = self._tail_fragment(core, self._prefixes, distinctive_only, reverse=False)
        if cut is not None:
            core = core[:cut[0]] + cut[1]
        stripped = core.lstrip(_EDGE_PAD)
        head = core[:len(core) - len(stripped)]
        cut = self._tail_fragment(stripped[::-1], self._suffixes, distinctive_only, reverse=True)
        if cut is not None:
            stripped = cut[1] + stripped[::-1][:cut[0]][::-1]
        return head + stripped + tail

    def _tail_fragment(self, s: str, sorted_vals: list[str], distinctive_only: bool, *, reverse: bool):
        """(start, placeholder) for the longest tail of `s`, starting at a word edge, that begins a value."""
        longest = self._longest
        for i in range(max(0, len(s) - longest), len(s) - MIN_FRAGMENT + 1):
            if i > 0 and _word(s[i - 1]) and _word(s[i]):
                continue  # starts inside a word (`_` included, as the whole-word match counts it)
            frag = s[i:]
            if _ORDINARY_WORD.fullmatch(frag[::-1] if reverse else frag):
                continue  # "input" of "input.html": an ordinary word says nothing about the value
            j = bisect.bisect_left(sorted_vals, frag)
            if j < len(sorted_vals) and sorted_vals[j] == frag:
                j += 1  # a whole value is the whole-word match's business, not a cut piece
            if j < len(sorted_vals) and sorted_vals[j].startswith(frag):
                value = sorted_vals[j][::-1] if reverse else sorted_vals[j]
                if distinctive_only and value not in self._distinctive:
                    continue
                return i, self.replacement.get(value, "<PII>")
        return None


def _word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _alternation(vals: list[str]):
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in vals) + r")(?!\w)") if vals else None


def span_values(ds, signals) -> dict[str, str]:
    """raw value -> entity type, for every span the PII stage found in the dataset's texts."""
    values: dict[str, str] = {}
    if signals is None or "pii_spans" not in signals.columns:
        return values
    for rec, spans in zip(ds.records, signals["pii_spans"]):
        if spans is None or len(spans) == 0:
            continue
        texts = {f["name"]: f["text"] for f in rec["fields"]}
        for s in spans:
            text = texts.get(s["field"])
            if text is not None:
                start, end = _word_edges(text, int(s["start"]), int(s["end"]))
                values[text[start:end]] = s["entity_type"]
    return values


def _word_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """A span that ends or starts inside a word (`... Suite 019 CH` of `CHARLEROI`, `Christin` of
    `Christine`) grows to the whole word: the rest of the word identifies as much, and the
    whole-word match would never find the cut value."""
    while start > 0 and text[start - 1].isalnum() and start < len(text) and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and end > 0 and text[end - 1].isalnum():
        end += 1
    return start, end


_JOINER = re.compile(r"(?<=[^\W\d])[-_.:/](?=[\d+(])")


def name_values(datasets) -> dict[str, str]:
    """raw value -> numbered placeholder, for PII in record ids, labels and the data files' names."""
    names: list[str] = []
    for d in datasets:
        if d is None:
            continue
        p = Path(str(d.path))
        names += [part for part in p.parts if part not in ("/", ".")] + [p.stem, d.name]
        if getattr(getattr(d, "mapping", None), "id_field", True):  # ids curate numbered by position hold no PII
            names += [r["id"] for r in d.records if isinstance(r["id"], str)]
        names += [r["label"] for r in d.records if isinstance(r.get("label"), str)]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        return {}
    from curate.pii.detect import DEFAULT_ENTITIES, NER_ENTITIES, PiiConfig, get_detector

    det = get_detector(PiiConfig(entities=[e for e in DEFAULT_ENTITIES if e not in NER_ENTITIES]))
    out: dict[str, str] = {}
    counts: dict[str, int] = {}
    # ids and file names join words with separators ("caller-628-555-0199"): a separator between a
    # letter and a digit is read as a space, or the digits look like a signed number (same length,
    # so spans index the original name)
    probes = [_JOINER.sub(" ", n) for n in names]
    for name, spans in zip(names, det.detect(probes)):
        for s in spans:
            value = name[s.start:s.end]
            if value not in out and len(value.strip()) >= 3:
                counts[s.entity_type] = counts.get(s.entity_type, 0) + 1
                out[value] = f"<{s.entity_type}_{counts[s.entity_type]}>"
    return out


def safe_name(name: str, sanitizer: Sanitizer | None = None) -> str:
    """A file or folder name with the PII in it replaced by plain words (no <> in paths)."""
    san = sanitizer or Sanitizer({}, name_values([_Named(name)]))
    return re.sub(r"[<>]", "", san.text(name)) if san.pattern else name


class _Named:
    """Just enough of a dataset for name_values: a path, no records."""

    def __init__(self, path: str):
        self.path, self.name, self.records = path, Path(path).stem, []
