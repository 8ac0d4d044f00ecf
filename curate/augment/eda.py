"""Rule-based edits (Wei & Zou 2019, "EDA"): synonym replacement, random insertion, random swap, random deletion.

Each candidate gets one operation, changing n = max(1, round(alpha * words)) words (alpha ~0.1 as
the paper recommends for small data). Only editable words move (protect.py): code, numbers,
placeholders, URLs, e-mails and quoted spans stay where they are, as they are. Stop words are never
replaced (as in the paper) and never picked as the word whose synonym is inserted; negations are
never deleted or swapped. A text of fewer than 3 words loses none. Deterministic: the same text,
operation and seed give the same edit.
"""

from __future__ import annotations

import random

from curate.augment.protect import Piece, pieces
from curate.augment.synonyms import stop_words

OPS = ("synonym", "insert", "swap", "delete")
# Negation turns a statement into its opposite ("the top-up did not go through" -> "did go through"
# was an accepted EDA record of a first run on Banking77): a closed class of words, never deleted or
# moved, so an edit cannot invert what the record says.
NEGATIONS = frozenset({"not", "no", "never", "nor", "neither", "none", "nothing", "nobody", "nowhere", "without",
                       "cannot", "can't", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't",
                       "won't", "wouldn't", "shouldn't", "couldn't", "haven't", "hasn't", "hadn't", "mustn't"})


def _movable(ps: list[Piece]) -> list[int]:
    """Words a swap or a deletion may touch: every editable word but negations."""
    return [i for i, p in enumerate(ps) if p.kind == "word" and p.text.lower().replace("’", "'") not in NEGATIONS]


def _match_case(src: str, new: str) -> str:
    if src.isupper() and len(src) > 1:
        return new.upper()
    if src[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def _join(ps: list[Piece]) -> str:
    return "".join(p.text for p in ps)


def _replaceable(ps: list[Piece], thesaurus) -> list[int]:
    stop = stop_words()
    return [i for i, p in enumerate(ps) if p.kind == "word" and p.text.lower() not in stop and thesaurus.synonyms(p.text)]


def synonym_replacement(ps, n, rng, thesaurus):
    idx = _replaceable(ps, thesaurus)
    rng.shuffle(idx)
    edits = []
    for i in idx[:n]:
        new = _match_case(ps[i].text, rng.choice(thesaurus.synonyms(ps[i].text)))
        edits.append(f"replace '{ps[i].text}' with '{new}'")
        ps[i] = Piece(new, "word")
    return edits


def random_insertion(ps, n, rng, thesaurus):
    edits = []
    for _ in range(n):
        idx = _replaceable(ps, thesaurus)
        words = [i for i, p in enumerate(ps) if p.kind == "word"]
        if not idx or not words:
            break
        syn = rng.choice(thesaurus.synonyms(ps[rng.choice(idx)].text)).lower()
        at = rng.choice(words)
        ps[at + 1:at + 1] = [Piece(" ", "other"), Piece(syn, "word")]
        edits.append(f"insert '{syn}' after '{ps[at].text}'")
    return edits


def random_swap(ps, n, rng, thesaurus):
    words = _movable(ps)
    edits = []
    if len(words) < 2:
        return edits
    for _ in range(n):
        i, j = rng.sample(words, 2)
        if ps[i].text.lower() == ps[j].text.lower():
            continue
        edits.append(f"swap '{ps[i].text}' and '{ps[j].text}'")
        ps[i], ps[j] = ps[j], ps[i]
    return edits


def random_deletion(ps, n, rng, thesaurus, p: float = 0.1):
    """Each word goes with probability p (the paper), at most n of them (the same edit size as the
    other operations: on a first Banking77 run, 4 of 11 words went from one short question)."""
    words = _movable(ps)
    if len(words) < 2 or sum(q.kind == "word" for q in ps) < 3:
        return []
    gone = [i for i in words if rng.random() < p] or [rng.choice(words)]
    if len(gone) > n:
        gone = sorted(rng.sample(gone, n))
    edits = [f"delete '{ps[i].text}'" for i in gone]
    for i in sorted(gone, reverse=True):
        # drop the word and the spaces after it (or before it, at the end of a line)
        if i + 1 < len(ps) and ps[i + 1].kind == "other" and ps[i + 1].text.strip() == "" and "\n" not in ps[i + 1].text:
            del ps[i:i + 2]
        elif i > 0 and ps[i - 1].kind == "other" and ps[i - 1].text.strip() == "" and "\n" not in ps[i - 1].text:
            del ps[i - 1:i + 1]
        else:
            del ps[i]
    return edits


APPLY = {"synonym": synonym_replacement, "insert": random_insertion, "swap": random_swap, "delete": random_deletion}


def edit(text: str, op: str, *, seed: int, thesaurus, alpha: float = 0.1) -> tuple[str, list[str]]:
    """(edited text, what was done); ([] when the operation has nothing to work on: no synonyms, one word)."""
    ps = pieces(text)
    n_words = sum(p.kind == "word" for p in ps)
    if not n_words:
        return text, []
    rng = random.Random(seed)
    n = max(1, round(alpha * n_words))
    edits = APPLY[op](ps, n, rng, thesaurus) if op != "delete" else random_deletion(ps, n, rng, thesaurus, alpha)
    return _join(ps), edits


def candidates(text: str, k: int, *, ops=OPS, seed: int, thesaurus, alpha: float = 0.1) -> list[tuple[str, list[str]]]:
    """Up to k different edits of `text`, one operation each, cycling through `ops` from a seeded start."""
    rng = random.Random(seed)
    start = rng.randrange(len(ops))
    out, seen = [], {text}
    for c in range(k * 3):  # an operation may find nothing to do, or repeat an earlier edit
        if len(out) >= k:
            break
        op = ops[(start + c) % len(ops)]
        new, edits = edit(text, op, seed=rng.randrange(2**31), thesaurus=thesaurus, alpha=alpha)
        if edits and new not in seen:
            seen.add(new)
            out.append((new, [f"{op}: {e}" for e in edits]))
    return out
