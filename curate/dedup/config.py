"""Stage configuration for dedup and leakage (set under `stages:` in a rules file)."""

from __future__ import annotations

from dataclasses import dataclass

from curate.dedup.cluster import KEEP_POLICIES
from curate.errors import CurateError

# Defaults for short fine-tuning records, chosen from the edit-rate measurement in
# bench/dedup.py (BENCHMARKS.md, "dedup"): see DEFAULT_* below.
DEFAULT_SHINGLE = "char"
DEFAULT_NGRAM = 5
DEFAULT_THRESHOLD = 0.8


def _validate(cfg, where: str) -> None:
    problems = []
    if not 0.0 < cfg.threshold < 1.0:
        problems.append(f"threshold {cfg.threshold} must be between 0 and 1 (e.g. 0.8)")
    if not 1 <= cfg.num_perm <= 1024:
        problems.append(f"num_perm {cfg.num_perm} must be between 1 and 1024 (e.g. 128)")
    if cfg.shingle not in ("word", "char"):
        problems.append(f"shingle {cfg.shingle!r} must be 'word' or 'char'")
    if not 1 <= cfg.ngram <= 32:
        problems.append(f"ngram {cfg.ngram} must be between 1 and 32 (e.g. 5)")
    if not 0.5 <= cfg.recall < 1.0:
        problems.append(f"recall {cfg.recall} must be in [0.5, 1) (e.g. 0.99)")
    if problems:
        raise CurateError(f"{where}: " + "; ".join(problems), fix="set valid values under `stages:` in the rules file "
                          "or on the command line")


@dataclass
class DedupConfig:
    threshold: float = DEFAULT_THRESHOLD  # exact shingle Jaccard at/above which two records are near-duplicates
    num_perm: int = 128  # MinHash permutations available; LSH uses bands x rows of them
    shingle: str = DEFAULT_SHINGLE  # "word" or "char" n-grams of the normalised text
    ngram: int = DEFAULT_NGRAM  # shingle size, in words or characters
    keep: str = "first"  # which record of a cluster is kept: first | longest (answer/text length)
    fields: list | None = None  # compare only these: prompt, response or source names (instruction); None: all turns
    shared_share: float = 0.1  # a text block in more than this share of records is template, not similarity (0: off)
    shared_min_chars: int = 64  # shortest run of such shared text that is cut out before comparing
    conflict_threshold: float = 1.0  # prompt Jaccard from which prompts are "the same" (1.0: equal once normalised)
    recall: float = 0.99  # LSH probability of catching a pair exactly at the threshold
    seed: int = 1  # MinHash permutation seed

    def __post_init__(self):
        _validate(self, "stage 'dedup'")
        if self.keep not in ("first", "longest"):
            raise CurateError(f"stage 'dedup': keep {self.keep!r} is not a policy (of {KEEP_POLICIES[:2]})",
                              fix="use keep: first or keep: longest")
        if self.fields is not None and (isinstance(self.fields, str) or not self.fields
                                        or not all(isinstance(f, str) and f for f in self.fields)):
            raise CurateError(f"stage 'dedup': fields {self.fields!r} must be a non-empty list of field names",
                              fix="give a list of names, e.g. the single name prompt (the user turns) or "
                                  "instruction (a source field)")
        if self.fields is not None:
            self.fields = list(self.fields)
        if not 0.0 <= self.shared_share < 1.0:
            raise CurateError(f"stage 'dedup': shared_share {self.shared_share} must be in [0, 1) (0 turns it off)",
                              fix="e.g. shared_share: 0.1")
        if self.shared_min_chars < 16:
            raise CurateError(f"stage 'dedup': shared_min_chars {self.shared_min_chars} must be at least 16",
                              fix="e.g. shared_min_chars: 64")
        if not 0.0 < self.conflict_threshold <= 1.0:
            raise CurateError(f"stage 'dedup': conflict_threshold {self.conflict_threshold} must be in (0, 1]",
                              fix="e.g. conflict_threshold: 0.9")


@dataclass
class LeakageConfig:
    threshold: float = DEFAULT_THRESHOLD  # shingle Jaccard at/above which a training text leaks an eval text
    num_perm: int = 128  # MinHash permutations available; LSH uses bands x rows of them
    shingle: str = DEFAULT_SHINGLE  # "word" or "char" n-grams of the normalised text
    ngram: int = DEFAULT_NGRAM  # shingle size, in words or characters
    field: str = "any"  # compared: "prompt" (each user turn), "record" (prompt + answer) or "any" (both)
    recall: float = 0.99  # LSH probability of catching a pair exactly at the threshold
    seed: int = 1  # MinHash permutation seed

    def __post_init__(self):
        _validate(self, "stage 'leakage'")
        if self.field not in ("prompt", "record", "any"):
            raise CurateError(f"stage 'leakage': field {self.field!r} must be 'prompt', 'record' or 'any'",
                              fix="use field: any (default), prompt or record")
