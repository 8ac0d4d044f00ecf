"""Shingles and MinHash signatures for a whole batch of documents at once, in numpy.

Straightforward MinHash (datasketch's `update_batch`) hashes every shingle through a Python call
and permutes it per document. Here every step is one numpy operation over the batch:

1. `encode` (normalize.py) gives one codepoint array for all documents;
2. every word (or character) is hashed in place: a polynomial hash of its codepoints from one
   cumulative sum over the batch, finished with the splitmix64 mixer, so a token is hashed
   once whatever the n-gram size;
3. n-gram shingles combine n consecutive token hashes (never across a document boundary);
   a document shorter than n tokens is one shingle, so short records still have a set;
4. shingles are made unique per document with one sort of (document << 40 | hash >> 24), which
   also leaves each document's set sorted: exact Jaccard verification (verify.py) reads it;
5. signatures: the k-th permutation is x -> a_k * x + b_k mod 2^32 (a_k odd: a bijection) on the
   shingle hash; all permutations of a chunk of shingles are one (num_perm x chunk) matrix
   product-and-add, and `np.minimum.reduceat` over document boundaries takes the minima.
   32-bit lanes are used because numpy vectorises uint32 multiply/min (uint64 multiply is scalar).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from curate.dedup.normalize import BOUNDARY, SPACE, Encoded, encode

U64 = np.uint64
_M1, _M2 = U64(0xBF58476D1CE4E5B9), U64(0x94D049BB133111EB)
_GOLD = U64(0x9E3779B97F4A7C15)
_HASH_BITS = 40  # stored shingle hash width; 24 bits left for the document index in the sort key
_MAX_DOCS = 1 << (64 - _HASH_BITS)


def fmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the 64 output bits."""
    x = x ^ (x >> U64(30))
    x = x * _M1
    x = x ^ (x >> U64(27))
    x = x * _M2
    return x ^ (x >> U64(31))




@dataclass
class ShingleSets:
    """Each document's sorted, unique shingle hashes, in CSR layout.

    A shingle is stored as the key (document << 40 | 40-bit hash), so the whole array is sorted
    by document, then hash: exact Jaccard verification (verify.py) probes it directly, and its low
    32 bits are the hash the signatures permute.
    """

    keys: np.ndarray  # uint64 (document << 40 | hash), globally sorted
    offsets: np.ndarray  # int64, len(docs) + 1: document d owns keys[offsets[d]:offsets[d+1]]
    doc_keys: np.ndarray  # uint64 hash of each whole normalised document (exact-duplicate key)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)


_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)


@lru_cache(maxsize=2)
def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**j and BASE**-j modulo 2**64 for j < n (uint64 arithmetic wraps, which is the modulus)."""
    pw = np.full(n, U64(_BASE), dtype=np.uint64)
    pw[0] = 1
    inv = np.full(n, U64(_BASE_INV), dtype=np.uint64)
    inv[0] = 1
    return np.cumprod(pw), np.cumprod(inv)


def _token_hashes(enc: Encoded, shingle: str):
    """Hash every token; returns (token hashes in document order, number of tokens per document).

    A word's hash is the polynomial sum(c_j * BASE**(end-1-j)) mod 2**64 of its codepoints. With
    S = cumsum(c_j * BASE**-j) over the whole batch, a word [s, e) is (S[e-1] - S[s-1]) * BASE**(e-1):
    two passes over the characters, the rest is per word.
    """
    cp = enc.cp
    if shingle == "char":
        tok_mask = cp != BOUNDARY
        hashes = fmix64(cp[tok_mask].astype(np.uint64) + _GOLD)
        counts = (enc.ends - enc.starts).astype(np.int64)
        return hashes, counts
    n = len(cp)
    is_char = cp > SPACE  # after encode(), every separator is SPACE and control characters are gone
    edge = np.empty(n + 1, dtype=bool)
    edge[0], edge[n] = False, False
    np.not_equal(is_char[1:], is_char[:-1], out=edge[1:n])
    edge[0] = n > 0 and is_char[0]
    flips = np.flatnonzero(edge)  # alternating word starts and word ends
    if len(flips) == 0:
        return np.zeros(0, np.uint64), np.zeros(len(enc), np.int64)
    if len(flips) % 2:  # the batch ends inside a word
        flips = np.append(flips, n)
    starts, ends = flips[0::2], flips[1::2]
    pw, inv = _powers(1 << max(20, int(n).bit_length()))
    s = np.multiply(cp, inv[:n], dtype=np.uint64)
    np.cumsum(s, out=s)
    before = np.where(starts > 0, s[np.maximum(starts - 1, 0)], U64(0))
    hashes = fmix64((s[ends - 1] - before) * pw[ends - 1])
    counts = np.diff(np.searchsorted(starts, np.append(enc.starts, n))).astype(np.int64)
    return hashes, counts


def _ngrams(tok: np.ndarray, counts: np.ndarray, n: int):
    """Hashes of all n-grams of consecutive tokens inside each document; returns (hashes, doc index)."""
    ndocs = len(counts)
    tok_doc = np.repeat(np.arange(ndocs), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    parts_h, parts_d = [], []
    h = tok.copy()
    for k in range(1, n + 1):
        if k > 1:
            h = h[:-1] * _GOLD + tok[k - 1:]
        short = np.flatnonzero(counts == k) if k < n else np.zeros(0, np.int64)
        if len(short):  # a document of exactly k < n tokens is one shingle: all of it
            parts_h.append(h[first[short]])
            parts_d.append(short)
    if len(h):
        ok = tok_doc[:len(h)] == tok_doc[n - 1:]  # the n-gram does not cross a document boundary
        parts_h.append(h[ok])
        parts_d.append(tok_doc[:len(h)][ok])
    if not parts_h:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return fmix64(np.concatenate(parts_h)), np.concatenate(parts_d)


def _doc_keys(tok: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A 64-bit key per document from its token sequence (order-sensitive): equal iff equal text."""
    ndocs = len(counts)
    keys = np.full(ndocs, fmix64(np.array([0], np.uint64))[0], dtype=np.uint64)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return keys
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pos = np.arange(len(tok), dtype=np.uint64) - np.repeat(first, counts).astype(np.uint64)
    mixed = fmix64(tok ^ (pos * _GOLD + U64(1)))
    keys[nonempty] = fmix64(np.add.reduceat(mixed, first[nonempty]) + counts[nonempty].astype(np.uint64))
    return keys


def _shingle_batch(enc: Encoded, shingle: str, ngram: int, first_doc: int) -> ShingleSets:
    tok, counts = _token_hashes(enc, shingle)
    keys = _doc_keys(tok, counts)
    h, d = _ngrams(tok, counts, ngram)
    sort_key = np.sort(((d + first_doc).astype(np.uint64) << U64(_HASH_BITS)) | (h >> U64(64 - _HASH_BITS)))
    if len(sort_key):
        sort_key = sort_key[np.concatenate([[True], sort_key[1:] != sort_key[:-1]])]
    docs = (sort_key >> U64(_HASH_BITS)).astype(np.int64)
    offsets = np.searchsorted(docs, np.arange(first_doc, first_doc + len(enc) + 1)).astype(np.int64)
    return ShingleSets(sort_key, offsets, keys)


def shingle_sets(texts: list[str], *, shingle: str = "word", ngram: int = 5,
                 batch_chars: int = 1 << 19) -> ShingleSets:
    """Unique shingle hashes per text (CSR) and each text's exact-duplicate key.

    Texts are processed in batches of about `batch_chars` characters: every intermediate array
    then stays small enough for the allocator to reuse its memory, which on this kind of machine
    is several times faster than faulting in fresh pages for one corpus-sized array (measured:
    arange over 21M elements at once is 10x slower than in 500k pieces), and memory stays linear.
    """
    parts = list(_parts(texts, shingle, ngram, batch_chars))
    if len(parts) == 1:
        return parts[0]
    sizes = np.concatenate([p.sizes for p in parts])
    return ShingleSets(np.concatenate([p.keys for p in parts]),
                       np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
                       np.concatenate([p.doc_keys for p in parts]))


def _parts(texts: list[str], shingle: str, ngram: int, batch_chars: int):
    """ShingleSets of consecutive batches of about `batch_chars` characters (at least one, even for no texts)."""
    if shingle not in ("word", "char"):
        raise ValueError(f"shingle must be 'word' or 'char', not {shingle!r}")
    if ngram < 1:
        raise ValueError(f"ngram must be at least 1, not {ngram}")
    if len(texts) >= _MAX_DOCS:
        raise ValueError(f"at most {_MAX_DOCS - 1:,} texts per call (the document index has 24 bits); "
                         "split the dataset")
    i = 0
    while True:
        j, size = i, 0
        while j < len(texts) and (j == i or size + len(_text(texts[j])) <= batch_chars):
            size += len(_text(texts[j])) + 1
            j += 1
        yield _shingle_batch(encode([_text(t) for t in texts[i:j]]), shingle, ngram, i)
        i = j
        if i >= len(texts):
            return


def _text(t) -> str:
    return t if isinstance(t, str) else ""


@dataclass
class Sketch:
    """What the near-duplicate steps need of a corpus's shingle sets, made in one streaming pass.

    Each document's set size, exact key and (with `num_perm`) MinHash signature; the sets themselves
    are let go batch by batch, and `sets_of` rebuilds them from the texts for just the documents a
    step verifies (those that share an LSH bucket). Character 5-gram sets take ~5.7 KB a record of
    60-word fields, a 128-permutation signature 512 bytes: at a million records that is the
    difference between not fitting in 8 GB and half a GB. Same hashes, so the same Jaccard values.
    """

    texts: list
    shingle: str
    ngram: int
    sizes: np.ndarray
    doc_keys: np.ndarray
    sigs: dict  # num_perm -> (num_perm, documents) uint32 signatures of every non-empty document
    seed: int = 1

    def __len__(self) -> int:
        return len(self.sizes)

    def signatures(self, num_perm: int, seed: int) -> np.ndarray:
        """The signatures, checked to be the ones a step with these settings would compute."""
        if num_perm not in self.sigs or self.seed != seed:
            raise ValueError(f"the sketch holds signatures of {sorted(self.sigs)} permutations (seed {self.seed}); "
                             f"this step needs {num_perm} (seed {seed})")
        return self.sigs[num_perm]

    def sets_of(self, docs: np.ndarray) -> tuple[ShingleSets, np.ndarray]:
        """The shingle sets of `docs`, and each document's index among them (-1: not rebuilt)."""
        docs = np.unique(np.asarray(docs, dtype=np.int64))
        pos = np.full(len(self), -1, dtype=np.int64)
        pos[docs] = np.arange(len(docs))
        return shingle_sets([self.texts[i] for i in docs.tolist()], shingle=self.shingle, ngram=self.ngram), pos


def sketch(texts: list, *, shingle: str = "word", ngram: int = 5, num_perms: tuple = (), seed: int = 1,
           batch_chars: int = 1 << 19) -> Sketch:
    """`Sketch` of `texts`: what `shingle_sets` gives, less the sets, with signatures of each of `num_perms`."""
    sizes, keys = [], []
    sigs: dict[int, list] = {p: [] for p in num_perms}
    for part in _parts(texts, shingle, ngram, batch_chars):
        sizes.append(part.sizes)
        keys.append(part.doc_keys)
        for p, out in sigs.items():
            out.append(signatures(part, p, seed=seed))
    return Sketch(texts, shingle, ngram, np.concatenate(sizes), np.concatenate(keys),
                  {p: np.concatenate(out, axis=1) for p, out in sigs.items()}, seed)


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def signatures(sets: ShingleSets, num_perm: int, *, seed: int = 1, chunk: int = 4096,
               only: np.ndarray | None = None) -> np.ndarray:
    """MinHash signatures, shape (num_perm, documents), uint32.

    An empty document (and, with `only`, every document not listed) keeps all 0xFFFFFFFF.
    `chunk` shingles per matrix op: 4096 x 96 uint32 (1.5 MB) was fastest here (2048: per-call
    overhead dominates, 2.6x slower; 8192-65536: 15-40% slower as the block leaves the cache).
    """
    a, b = permutations(num_perm, seed)
    a, b = a[:, None], b[:, None]
    ndocs = len(sets)
    sig = np.full((num_perm, ndocs), np.iinfo(np.uint32).max, dtype=np.uint32)
    x = sets.keys.astype(np.uint32)  # the low 32 bits of the stored hash
    nonempty = np.flatnonzero(sets.sizes > 0)
    if only is not None:
        nonempty = np.intersect1d(nonempty, np.asarray(only, dtype=np.int64))
    if len(nonempty) == 0:
        return sig
    starts = sets.offsets[nonempty]
    ends = sets.offsets[nonempty + 1]
    buf = np.empty((num_perm, max(chunk, int(sets.sizes.max()))), dtype=np.uint32)
    i = 0
    while i < len(nonempty):
        # whole documents per chunk: document i and every following one that ends within `chunk`
        lo = starts[i]
        j = max(i + 1, int(np.searchsorted(ends, lo + chunk, side="right")))
        hi = ends[j - 1]
        v = buf[:, :hi - lo]
        np.multiply(a, x[None, lo:hi], out=v)
        np.add(v, b, out=v)
        # segments [start, end) of each document: documents left out by `only` may sit in between
        bounds = np.empty(2 * (j - i), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts[i:j] - lo, ends[i:j] - lo
        mins = np.minimum.reduceat(v, bounds[:-1], axis=1)[:, 0::2]
        if nonempty[j - 1] - nonempty[i] == j - 1 - i:  # consecutive documents: a slice, not a scatter
            sig[:, nonempty[i]:nonempty[j - 1] + 1] = mins
        else:
            sig[:, nonempty[i:j]] = mins
        i = j
    return sig
