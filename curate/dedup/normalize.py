"""The normalisation every duplicate comparison uses, vectorised over a batch of texts.

Two texts are *exact* duplicates when their normalised forms are equal, and near-duplicate
similarity is measured on shingles of the normalised form. The normalisation, in order:

1. Unicode NFC after case folding (`str.casefold`: "Straße" -> "strasse", "É" -> "é");
2. punctuation (Unicode categories P*), whitespace and control/format characters (Z*, Cc, Cf)
   become word separators; symbols (S*: "$", "+", emoji) are kept because they carry meaning;
3. runs of separators collapse to one space, leading/trailing ones are dropped.

So "Hello,  World!" and "hello world" are the same text; "$100" and "100" are not.

`encode(texts)` does this for a whole batch at once: the texts are joined, case-folded and
NFC-normalised by CPython in one call each, then turned into one uint32 codepoint array where
numpy does steps 2-3. `normalize(text)` is the same function on one text, so the
vectorised and the scalar paths cannot disagree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SPACE = 32
BOUNDARY = 0  # between documents in an encoded batch


@lru_cache(maxsize=1)
def _separator_table() -> np.ndarray:
    """Boolean table over the Basic Multilingual Plane: True where a codepoint separates words."""
    table = np.zeros(0x10000, dtype=bool)
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        if cat[0] in "PZ" or cat in ("Cc", "Cf"):
            table[cp] = True
    table[BOUNDARY] = False  # handled as a document boundary, not a separator
    return table


@lru_cache(maxsize=1)
def _ascii_translation() -> bytes:
    """bytes.translate table: ASCII separators -> SPACE, everything else (and BOUNDARY) unchanged."""
    table = bytearray(range(256))
    for c in np.flatnonzero(_separator_table()[:128]):
        table[c] = SPACE
    return bytes(table)


@dataclass
class Encoded:
    """A batch of normalised texts as one codepoint stream (documents separated by BOUNDARY)."""

    cp: np.ndarray  # codepoints (uint8 when the batch is ASCII, else uint32): docs joined by BOUNDARY
    starts: np.ndarray  # int64 start offset of each document in `cp`
    ends: np.ndarray  # int64 end offset (exclusive) of each document

    def __len__(self) -> int:
        return len(self.starts)

    def text(self, i: int) -> str:
        chunk = self.cp[self.starts[i]:self.ends[i]]
        return chunk.tobytes().decode("latin-1" if chunk.dtype == np.uint8 else "utf-32-le")


def encode(texts: list[str]) -> Encoded:
    """Normalise a batch of texts (see module docstring) into one codepoint array."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    big = "\x00".join(texts)
    if big.count("\x00") != max(len(texts) - 1, 0):  # a text holds NUL itself: a separator there
        big = "\x00".join(t.replace("\x00", " ") for t in texts)
    big = unicodedata.normalize("NFC", big.casefold())
    if big.isascii():  # the common case: one byte per character, and bytes.translate maps separators
        cp = np.frombuffer(big.encode("ascii").translate(_ascii_translation()), dtype=np.uint8)
    else:
        cp = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32).copy()
        cp[_separator_table()[np.minimum(cp, 0xFFFF)]] = SPACE  # astral planes (emoji...) are word characters
    # every separator is SPACE now; keep word characters, boundaries, and the last space of a run
    # when a word follows it. A kept space right after a boundary (a leading space) goes below.
    sep = cp == SPACE
    keep = ~sep
    keep[:-1] |= sep[:-1] & (cp[1:] > SPACE)
    out = cp[keep]
    lead = out == SPACE
    lead[1:] &= out[:-1] == BOUNDARY
    if lead.any():
        out = out[~lead]
    bounds = np.flatnonzero(out == BOUNDARY)
    starts = np.concatenate([[0], bounds + 1]).astype(np.int64)
    ends = np.concatenate([bounds, [len(out)]]).astype(np.int64)
    return Encoded(out, starts, ends)


def normalize(text: str) -> str:
    """The normalised form of one text: what exact-duplicate comparison sees."""
    return encode([text]).text(0)


def normalize_many(texts: list[str]) -> list[str]:
    enc = encode(texts)
    return [enc.text(i) for i in range(len(enc))]
