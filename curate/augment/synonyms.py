"""An offline thesaurus from the embedder's own word space.

EDA (Wei & Zou 2019) takes synonyms from WordNet. No package on PyPI ships WordNet's data inside
its wheel for this environment (nltk and `wn` download it at run time, which curate never does;
wordnet-lookup ships the word list only, synnamon a Berkeley-DB file Python on Linux cannot open),
so the candidates come from the sentence embedder already installed (all-MiniLM-L6-v2):
- the vocabulary is the whole-word entries of the embedder's own tokenizer (WordPiece: ~21k
  English words of 3+ letters, stop words left out), embedded once as single words and cached;
- a word's synonyms are the vocabulary words at cosine >= `min_similarity` to it, less its own
  morphological family (the same Porter stem or first 4 letters: "use" / "using", "cancel" /
  "cancellation")
  and less words of another inflection ("quickly" takes "rapidly", not "fast"; "arrived" takes
  "delivered", not "deliver"), best first, at most `top`.
What this gets wrong, as WordNet-based EDA does too: no word-sense choice, and a neighbour in
embedding space can be a co-hyponym ("visa" / "mastercard") more than a synonym. The gate's label
vote is what catches an edit that moved a record to another label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np



def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def inflection(word: str) -> str:
    """The inflectional ending class of a lower-case word: ing, ed, ly, s, or '' (none)."""
    for end in ("ing", "ed", "ly"):
        if word.endswith(end) and len(word) > len(end) + 1:
            return end
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return "s"
    return ""


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    from nltk.stem.porter import PorterStemmer  # rules only: no data download

    return PorterStemmer().stem(word)


def same_family(a: str, b: str) -> bool:
    """Morphological relatives: the same Porter stem ("use" / "using") or the same first 4 letters."""
    n = min(4, len(a), len(b))
    return a[:n] == b[:n] or stem(a) == stem(b)


@dataclass
class Thesaurus:
    """words -> unit vectors; `synonyms(word)` is what an edit may put in its place."""

    words: list[str]
    vectors: np.ndarray
    min_similarity: float = 0.7
    top: int = 5

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}
        self._cache: dict[str, list[str]] = {}

    def synonyms(self, word: str) -> list[str]:
        w = word.lower()
        if w in self._cache:
            return self._cache[w]
        out: list[str] = []
        i = self.index.get(w)
        if i is not None and len(self.words) > 1:
            sim = self.vectors @ self.vectors[i]
            for j in np.argsort(-sim, kind="stable"):
                if sim[j] < self.min_similarity or len(out) >= self.top:
                    break
                c = self.words[j]
                if j != i and not same_family(w, c) and inflection(c) == inflection(w):
                    out.append(c)
        self._cache[w] = out
        return out


class NoThesaurus:
    """For an embedder without a word vocabulary (the hashing smoke-test model): no synonyms."""

    words: list[str] = []

    def synonyms(self, word: str) -> list[str]:
        return []


class TableThesaurus:
    """A fixed word -> synonyms table (tests, or a user's own list)."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = {k.lower(): list(v) for k, v in table.items()}
        self.words = sorted(self.table)

    def synonyms(self, word: str) -> list[str]:
        return self.table.get(word.lower(), [])


def vocabulary(model_path) -> list[str]:
    """Whole-word entries of the model's tokenizer: 3+ lower-case letters, not stop words."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    stop = stop_words()
    return sorted(w for w in tok.get_vocab() if re.fullmatch(r"[a-z]{3,}", w) and w not in stop)


@lru_cache(maxsize=4)
def _embedder_thesaurus(model: str, min_similarity: float, top: int, use_cache: bool):
    from curate.embed.encode import EmbedConfig, embed_texts, resolve_model

    if model == "hashing":
        return NoThesaurus()
    words = vocabulary(resolve_model(model))
    vecs = embed_texts(words, EmbedConfig(model=model, show_progress=True), use_cache=use_cache)
    return Thesaurus(words, vecs, min_similarity, top)


def embedder_thesaurus(model: str = "", *, min_similarity: float = 0.7, top: int = 5, use_cache: bool = True):
    """The thesaurus of a sentence-transformers model ("" = the bundled all-MiniLM-L6-v2)."""
    return _embedder_thesaurus(model, min_similarity, top, use_cache)
