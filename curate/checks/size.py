"""Dataset size: too few records is the first way a fine-tune fails."""

from __future__ import annotations

from curate.checks.registry import CheckResult, register_check


@register_check("min_records")
def min_records(signals, ctx, *, min_count: int = 1) -> CheckResult:
    """The dataset has at least `min_count` records (an empty dataset always fails)."""
    n = len(signals)
    return CheckResult(value=n, passed=n > 0 and n >= min_count, threshold=min_count,
                       message=f"{n} records (minimum {min_count})")
