"""Registered checks. Importing this package registers every check module listed below."""

from __future__ import annotations

import importlib

from curate.checks.registry import CHECKS, Check, CheckContext, CheckResult, SkipCheck, rate_check, register_check

# One line per module that registers checks (and the stages they need). Explicit, like peft's
# method registry: a check that is not listed here does not exist.
CHECK_MODULES = [
    "curate.checks.size",
    "curate.dedup.checks",
    "curate.dedup.decontam",
    "curate.content.checks",
    "curate.pii.checks",
    "curate.embed.checks",
]


def load_all() -> dict[str, Check]:
    for mod in CHECK_MODULES:
        importlib.import_module(mod)
    return CHECKS


__all__ = ["CHECKS", "SkipCheck", "Check", "CheckContext", "CheckResult", "rate_check", "register_check", "load_all"]
