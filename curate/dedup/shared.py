"""Text shared by a large share of records (a tool preamble, a template, a canned sentence).

A block of text that many records carry is not evidence that two of them are duplicates: when
every instruction starts with the same 300-character tool description, two different requests
score shingle Jaccard 0.5-0.6 and cosine 0.9+ on the preamble alone (issue 13: 63% of a 7,673
record tool-use set flagged). So before comparing, such blocks are found, reported once as a
dataset-level finding, and cut out of the texts that are compared.

How a block is found (on the raw text, so what is reported is what users wrote):
1. every 16-character window of every text is hashed (each codepoint mixed with splitmix64,
   the window a polynomial of them: WINDOW vectorised passes over the batch; 40 bits kept);
2. a window is *frequent* when it occurs in at least `max(min_records, share x records)` of the
   counted records (one per exact-duplicate group, so 50 copies of one record are not a template);
3. the characters covered by frequent windows form runs of at least `min_chars` characters; runs
   that start (or end) with the same text in that many counted records share a block, their
   common core, which is replaced by a line break in the compared text.
Common words and short phrases never form a 64-character run, so ordinary text is untouched. Many
near-copies of one text, edited at different places, are not a template: their runs end at the
edits, so no run's exact text recurs (tests/dedup/test_verified.py pins both cases).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from curate.dedup.minhash import _GOLD, fmix64

WINDOW = 16  # characters per hashed window: longer than any common word, shorter than a template sentence
MIN_RECORDS = 10  # a block in fewer distinct records is never a template (it is a duplicate, or chance)


@dataclass
class SharedText:
    texts: list[str]  # the texts with shared blocks cut out (unchanged where none was found)
    block: list  # per text: the longest shared block cut out of it (None: none)
    chars: list[int]  # per text: characters cut out
    blocks: list[dict] = field(default_factory=list)  # {text, chars, records}: the dataset-level finding


_BUCKET_BITS = 22  # document-frequency pre-count: 4M buckets (32 MB), far fewer records per bucket than `need`


def _window_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(40-bit hash of every WINDOW-character window, its text's index in `texts`, whether it stays
    inside that text, start offset of each text) for a batch of texts joined by one separator."""
    lens = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens + 1)[:-1]]).astype(np.int64)
    big = "\x00".join(t.replace("\x00", " ") for t in texts)
    cp = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = len(cp) - WINDOW + 1
    if m <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, bool), starts
    f = fmix64(cp + _GOLD)
    del cp
    h = f[:m].copy()
    for j in range(1, WINDOW):  # h = sum(fmix(c_p+j) * GOLD**(WINDOW-1-j)): WINDOW passes, no gathers
        h *= _GOLD
        h += f[j:j + m]
    del f
    doc = np.repeat(np.arange(len(texts)), lens + 1)[:m]
    inside = np.arange(m) + WINDOW <= starts[doc] + lens[doc]  # the window does not cross into the next text
    return h >> np.uint64(24), doc, inside, starts


def _batches(texts: list[str], batch_chars: int):
    """Consecutive (first index, texts) slices of about `batch_chars` characters, whole texts only."""
    i = 0
    while i < len(texts):
        j, size = i, 0
        while j < len(texts) and (j == i or size + len(texts[j]) <= batch_chars):
            size += len(texts[j]) + 1
            j += 1
        yield i, texts[i:j]
        i = j


def _unique_pairs(h: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """The distinct window hashes of each document, one entry per (document, hash) (doc < 2**24)."""
    key = np.sort((h << np.uint64(24)) | doc.astype(np.uint64))
    key = key[np.concatenate([[True], key[1:] != key[:-1]])] if len(key) else key
    return key >> np.uint64(24)


def frequent_windows(texts: list[str], is_counted: np.ndarray, need: int, batch_chars: int) -> np.ndarray:
    """Window hashes found in at least `need` counted texts, exactly, in memory bounded by the batch.

    Pass 1 counts each text's distinct windows into hash buckets (~4 characters per bucket, at most
    2**22): a window in `need` texts puts its bucket at >= `need`, so only windows of such buckets
    can be frequent. Pass 2 counts
    those windows exactly (a few per template; bucket collisions of rare windows are counted and
    dropped). Same result as one corpus-wide sort, without holding 8 arrays of the corpus length.
    """
    batches = list(_batches(texts, batch_chars))
    if len(batches) == 1:  # small data: one exact count, as fast as it gets
        h, doc, inside, _ = _window_hashes(texts)
        sel = inside & is_counted[doc]
        u, c = np.unique(_unique_pairs(h[sel], doc[sel]), return_counts=True)
        return u[c >= need]
    total = sum(len(t) + 1 for t in texts)
    bits = min(_BUCKET_BITS, max(12, int(total).bit_length() - 2))  # ~4 characters per bucket, at most 4M buckets
    mask = np.uint64((1 << bits) - 1)
    buckets = np.zeros(1 << bits, dtype=np.int64)
    for i0, part in batches:
        h, doc, inside, _ = _window_hashes(part)
        sel = inside & is_counted[i0 + doc]
        buckets += np.bincount((_unique_pairs(h[sel], doc[sel]) & mask).astype(np.int64), minlength=len(buckets))
    hot = buckets >= need
    del buckets
    if not hot.any():
        return np.zeros(0, np.uint64)
    found_h, found_n = [], []
    for i0, part in batches:
        h, doc, inside, _ = _window_hashes(part)
        sel = inside & is_counted[i0 + doc]
        sel &= hot[(h & mask).astype(np.int64)]
        u, c = np.unique(_unique_pairs(h[sel], doc[sel]), return_counts=True)
        found_h.append(u)
        found_n.append(c)
    u, inv = np.unique(np.concatenate(found_h), return_inverse=True)
    df = np.bincount(inv, weights=np.concatenate(found_n), minlength=len(u))
    return u[df >= need]


def shared_blocks(texts: list[str], *, share: float, min_chars: int, active: np.ndarray | None = None,
                  min_records: int = MIN_RECORDS, batch_chars: int = 1 << 20) -> SharedText:
    """Find text blocks of >= `min_chars` characters present in > `share` of the (active) records.

    Texts are hashed in batches of about `batch_chars` characters (whole texts), so memory stays
    bounded by the batch whatever the corpus size; the result does not depend on `batch_chars`.
    """
    texts = [t if isinstance(t, str) else "" for t in texts]
    n = len(texts)
    out = SharedText(list(texts), [None] * n, [0] * n)
    counted = np.arange(n) if active is None else np.asarray(active, dtype=np.int64)
    need = max(min_records, math.ceil(share * len(counted)))
    if share <= 0 or len(counted) < need or n == 0:
        return out
    is_counted = np.zeros(n, dtype=bool)
    is_counted[counted] = True
    frequent = frequent_windows(texts, is_counted, need, batch_chars)
    if len(frequent) == 0:
        return out
    run_doc_l, run_lo_l, run_hi_l = [], [], []
    for i0, part in _batches(texts, batch_chars):
        h, doc, inside, starts = _window_hashes(part)
        total = int(starts[-1] + len(part[-1])) if len(part) else 0
        hit = inside & np.isin(h, frequent)
        if not hit.any():
            continue
        # characters covered by a frequent window: +1 where one starts, -1 where it ends
        cover = np.zeros(total + 1, dtype=np.int64)
        cover[:len(hit)] += hit
        cover[WINDOW:WINDOW + len(hit)] -= hit[:max(0, total + 1 - WINDOW)]
        covered = np.cumsum(cover[:-1]) > 0
        edge = np.diff(np.concatenate([[0], covered.astype(np.int8), [0]]))
        lo, hi = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        long = hi - lo >= min_chars
        lo, hi = lo[long], hi[long]
        d = np.searchsorted(starts, lo, side="right") - 1
        run_doc_l.append(d + i0)
        run_lo_l.append(lo - starts[d])
        run_hi_l.append(hi - starts[d])
    if not run_doc_l or not sum(len(x) for x in run_doc_l):
        return out
    run_doc = np.concatenate(run_doc_l)
    runs = [(int(d), int(lo), int(hi)) for d, lo, hi in zip(run_doc, np.concatenate(run_lo_l), np.concatenate(run_hi_l))]
    # A block is the common core of runs that start (or end) with the same `min_chars` characters,
    # found in `need` counted records: a preamble followed by "Please ..." in some records and
    # "Kindly ..." in others is one block. Near-copies of one text edited at different places do
    # not make one: their runs end at the edits, so the common core is short.
    cores = []
    for side in (0, 1):
        groups: dict[str, list] = {}
        for d, lo, hi in runs:
            if is_counted[d]:
                t = texts[d][lo:hi]
                key = t[:min_chars] if side == 0 else t[-min_chars:]
                groups.setdefault(key, []).append(t if side == 0 else t[::-1])
        for members in groups.values():
            if len(members) >= need:  # runs in one record never overlap, so members are distinct records
                core = os.path.commonprefix(members)
                if len(core) >= min_chars:
                    cores.append((side, core if side == 0 else core[::-1]))
    # cut the smallest cores (a preamble, not also "preamble + Please" found at some run ends), the
    # same text from every record, so what remains is compared like for like
    cores = {c for _, c in cores}
    minimal = sorted((c for c in cores if not any(o != c and o in c for o in cores)), key=len, reverse=True)
    holders: dict[str, int] = {}
    for d in sorted({int(x) for x in run_doc}):
        t = kept = texts[d]
        have = []
        for c in minimal:
            if c in kept:
                kept = "\n".join(p for p in kept.split(c) if p.strip())
                have.append(c)
        if have:
            out.texts[d] = kept
            out.chars[d] = len(t) - len(kept)
            out.block[d] = have[0]
            holders[have[0]] = holders.get(have[0], 0) + 1
    out.blocks = sorted(({"text": c, "chars": len(c), "records": k} for c, k in holders.items()),
                        key=lambda b: (-b["records"], -b["chars"]))
    return out


def describe(blocks: list[dict], limit: int = 3, clip: int = 100) -> str:
    """One line for a check message: 'N records share a 312-char block: "..."'."""
    parts = []
    for b in blocks[:limit]:
        text = " ".join(b["text"].split())
        text = text if len(text) <= clip else text[:clip - 1] + "…"
        parts.append(f"{b['records']} records share a {b['chars']}-char block: \"{text}\"")
    more = f" (and {len(blocks) - limit} more blocks)" if len(blocks) > limit else ""
    return "; ".join(parts) + more
