"""The check registry: every rule in a rules file names one of these.

A check reads the signals table (never recomputes a signal) and returns one uniform CheckResult:
a dataset-level value, whether it passes its threshold, the flagged record ids and short
evidence for each. Its first docstring line is what `curate checks` shows. Names read as
constraints: `max_near_duplicate_rate`, `min_reference_coverage`, `require_no_pii`.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd


@dataclass
class CheckResult:
    value: Any  # the dataset-level figure compared with the threshold (a rate, a count, an AUC...)
    passed: bool
    threshold: Any = None
    flagged: list[str] = field(default_factory=list)  # record ids
    evidence: dict[str, str] = field(default_factory=dict)  # record id -> short, readable evidence
    details: dict = field(default_factory=dict)  # tables/figures for the report: {"table": [...], "figures": {name: svg}}
    message: str = ""  # one line for the terminal and report.md


class SkipCheck(Exception):
    """Raised by a check that cannot apply here (no --eval given, no labels); the rule is skipped, not passed."""


@dataclass
class CheckContext:
    """What a check may read besides the signals table."""

    dataset: Any  # CurateDataset
    eval_sets: list = field(default_factory=list)
    reference: Any = None
    stage_configs: dict = field(default_factory=dict)  # stage name -> the config it ran with
    artifacts: dict = field(default_factory=dict)  # artifact name -> what the stages wrote (`embedding`: Embeddings)

    @property
    def embedding(self):
        """The embed stage's `Embeddings` (this dataset's matrix; `.of(ctx.reference)` for the reference set)."""
        if "embedding" not in self.artifacts:
            raise RuntimeError("no embedding artifact: the check must list 'embed' in its `needs`")
        return self.artifacts["embedding"]


@dataclass(frozen=True)
class Check:
    name: str
    fn: Callable[..., CheckResult]  # fn(signals, ctx, **params) -> CheckResult
    needs: tuple[str, ...]  # stage names whose columns it reads
    params: dict[str, tuple[type, Any]]  # name -> (type, default), from fn's keyword-only signature
    formats: tuple[str, ...] | None = None  # record formats it applies to; None: all
    fix: str | None = None  # what `curate clean` does to flagged records: "drop", "scrub_pii", "fix_text"
    choices: dict = field(default_factory=dict)  # param -> the values it may take (or a function returning them)

    def allowed(self, param: str) -> tuple | None:
        """The values `param` (or each item of it, for a list) may take; None: not an enumerated parameter."""
        c = self.choices.get(param)
        if c is None:
            return None
        return tuple(c() if callable(c) else c)

    @property
    def description(self) -> str:
        doc = (self.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


CHECKS: dict[str, Check] = {}


FIXES = ("drop", "scrub_pii", "fix_text")


def register_check(name: str, *, needs: tuple[str, ...] = (), formats: tuple[str, ...] | None = None,
                   fix: str | None = None, choices: dict | None = None):
    """Register `fn(signals, ctx, *, param=default, ...)`; its keyword-only params are the rule's params.

    `choices`: {param: allowed values, or a function returning them} for enumerated parameters
    (entity types, roles): a misspelt value would match nothing and pass, so the rules loader refuses it.
    """

    def wrap(fn):
        params = {}
        for p in inspect.signature(fn).parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                default = None if p.default is inspect.Parameter.empty else p.default
                ann = p.annotation if not isinstance(p.annotation, str) else eval(p.annotation, fn.__globals__)  # noqa: S307
                params[p.name] = (ann, default)
        if fix not in (None, *FIXES):
            raise ValueError(f"check '{name}': fix must be one of {FIXES}")
        if name in CHECKS:
            raise ValueError(f"check '{name}' registered twice")
        unknown = set(choices or {}) - set(params)
        if unknown:
            raise ValueError(f"check '{name}': choices for parameters it does not take: {sorted(unknown)}")
        CHECKS[name] = Check(name, fn, tuple(needs), params, formats, fix, dict(choices or {}))
        return fn

    return wrap


def rate_check(signals: pd.DataFrame, mask, evidence, *, max_rate: float, message: str) -> CheckResult:
    """A common shape: the share of flagged records must not exceed `max_rate`."""
    mask = list(mask)
    ids = [i for i, m in zip(signals["id"], mask) if m]
    n = len(signals)
    rate = len(ids) / n if n else 1.0
    ev = {i: e for i, e, m in zip(signals["id"], evidence, mask) if m}
    return CheckResult(value=round(rate, 6), passed=n > 0 and rate <= max_rate, threshold=max_rate, flagged=ids,
                       evidence=ev, message=f"{len(ids)} of {n} records {message} ({rate:.1%}; max {max_rate:.1%})")
