"""Evaluate rules over the signals table and decide the gate.

The gate passes only when every `error` rule passes. Nothing is vacuously true: an empty dataset
fails, and a check that crashes fails the gate with its traceback in the report.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from curate.checks import CHECKS, CheckResult
from curate.checks.registry import SkipCheck


@dataclass
class RuleOutcome:
    rule: str
    check: str
    severity: str
    status: str  # pass | fail | error | skipped
    value: object = None
    threshold: object = None
    flagged: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    message: str = ""
    error: str | None = None  # traceback when the check crashed
    seconds: float = 0.0


def evaluate_rules(ruleset, signals, ctx) -> list[RuleOutcome]:
    import time

    outcomes = []
    for rule in ruleset.rules:
        check = CHECKS[rule.check]
        t0 = time.perf_counter()
        base = dict(rule=rule.name, check=rule.check, severity=rule.severity)
        if check.formats and ctx.dataset.format not in check.formats:
            outcomes.append(RuleOutcome(**base, status="skipped",
                                        message=f"applies to {', '.join(check.formats)} data, not {ctx.dataset.format}"))
            continue
        try:
            res: CheckResult = check.fn(signals, ctx, **rule.params)
            status = "pass" if res.passed else "fail"
            outcomes.append(RuleOutcome(**base, status=status, value=res.value, threshold=res.threshold,
                                        flagged=list(res.flagged), evidence=dict(res.evidence), details=res.details,
                                        message=res.message, seconds=time.perf_counter() - t0))
        except SkipCheck as e:
            outcomes.append(RuleOutcome(**base, status="skipped", message=str(e)))
        except Exception as e:  # noqa: BLE001 - a crashing check must fail the gate, visibly
            outcomes.append(RuleOutcome(**base, status="error", message=f"check crashed: {type(e).__name__}: {e}",
                                        error=traceback.format_exc(), seconds=time.perf_counter() - t0))
    return outcomes


def gate_summary(outcomes: list[RuleOutcome], n_records: int) -> dict:
    failed = [o.rule for o in outcomes if o.severity == "error" and o.status == "fail"]
    crashed = [o.rule for o in outcomes if o.status == "error"]
    warned = [o.rule for o in outcomes if o.severity == "warn" and o.status == "fail"]
    reasons = []
    if n_records == 0:
        reasons.append("the dataset is empty")
    passed = not failed and not crashed and n_records > 0
    return {"passed": passed, "failed_rules": failed + [r for r in crashed if r not in failed],
            "warned_rules": warned, "crashed_rules": crashed, "reasons": reasons}
