"""Evaluate rules over the signals table and decide the gate.

The gate passes only when every `error` rule passes. Nothing is vacuously true: an empty dataset
fails, and a check that crashes fails the gate with its traceback in the report (whatever its
severity: a crash is a broken check, not a finding).

Severities: `error` blocks the gate; `warn` reports and flags records; `info` reports a finding
about the data as a whole (topic balance, what the data covers) and never flags a record: the
records an info check points at are kept as `noted`, so they reach no record's `flagged_by`, and
`curate clean` never acts on them. An info rule whose check would fail has status `info`.
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
    status: str  # pass | fail | info (an info rule's finding) | error | skipped
    value: object = None
    threshold: object = None
    flagged: list = field(default_factory=list)  # record ids the rule flags (never for severity info)
    noted: list = field(default_factory=list)  # record ids an info rule points at: examples only, never flags
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
            info = rule.severity == "info"
            status = "pass" if res.passed else "info" if info else "fail"
            outcomes.append(RuleOutcome(**base, status=status, value=res.value, threshold=res.threshold,
                                        flagged=[] if info else list(res.flagged), noted=list(res.flagged) if info else [],
                                        evidence=dict(res.evidence), details=res.details,
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
    info = [o.rule for o in outcomes if o.severity == "info" and o.status == "info"]
    reasons = []
    if n_records == 0:
        reasons.append("the dataset is empty")
    passed = not failed and not crashed and n_records > 0
    return {"passed": passed, "failed_rules": failed + [r for r in crashed if r not in failed],
            "warned_rules": warned, "info_rules": info, "crashed_rules": crashed, "reasons": reasons}
