"""The audit, as an outline of named phases: load rules -> load data -> run stages -> check -> gate -> write.

Python API:

    import curate
    result = curate.audit("train.jsonl", eval=["test.jsonl"], rules="default")
    result.passed, result.signals  # gate verdict, pandas DataFrame of per-record signals
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from curate.checks import CheckContext
from curate.rules import RuleOutcome, evaluate_rules, gate_summary, load_rules
from curate.stages import STAGES, StageRun, run_stage
from curate.timing import timed


@dataclass
class AuditResult:
    dataset: object  # CurateDataset
    rules: object  # RuleSet
    signals: pd.DataFrame  # one row per record: id, every signal column, flagged_by
    outcomes: list[RuleOutcome]
    gate: dict
    stage_runs: list[StageRun] = field(default_factory=list)
    eval_sets: list = field(default_factory=list)
    reference: object = None
    seconds: dict = field(default_factory=dict)  # phase -> seconds
    out_dir: Path | None = None

    @property
    def passed(self) -> bool:
        return self.gate["passed"]


def run_audit(data, *, eval=(), reference=None, rules=None, load_kwargs: dict | None = None,
              use_cache: bool = True, num_proc: int = 1, progress=None, engine=None) -> AuditResult:
    """Audit `data` (a path or a loaded CurateDataset). `progress(stage_name)` is told each phase.
    `engine`: where stages run (None: this process; a RayEngine: on Ray, see curate/engine/ray_engine.py)."""
    from curate.load import CurateDataset, load_dataset
    from curate.load.benchmarks import load_eval_sets

    seconds: dict = {}
    say = progress or (lambda msg: None)
    with timed(seconds, "rules"):
        ruleset = load_rules(rules)  # configuration errors come before any work
    with timed(seconds, "load"):
        say("loading data")
        ds = data if isinstance(data, CurateDataset) else load_dataset(data, **(load_kwargs or {}))
        # eval sets: files, folders of benchmarks, hub ids, or datasets already loaded (the CLI loads them once)
        eval_sets = [e for e in eval if isinstance(e, CurateDataset)]
        eval_sets += load_eval_sets([e for e in eval if not isinstance(e, CurateDataset)])
        ref = load_dataset(reference) if reference else None
    inputs = {"eval": eval_sets, "reference": ref}
    frames, runs = [], []
    for name in ruleset.stages_needed:
        stage = STAGES[name]
        say(f"stage {name}")
        df, run = run_stage(stage, ds, ruleset.stage_configs.get(name), inputs=inputs, num_proc=num_proc,
                            use_cache=use_cache, engine=engine)
        frames.append(df.drop(columns=["id"]))
        runs.append(run)
        seconds[f"stage:{name}"] = round(run.seconds, 3)
    signals = pd.concat([pd.DataFrame({"id": ds.ids}), *frames], axis=1)
    ctx = CheckContext(dataset=ds, eval_sets=eval_sets, reference=ref, stage_configs=ruleset.stage_configs)
    with timed(seconds, "checks"):
        say("checks")
        outcomes = evaluate_rules(ruleset, signals, ctx)
    flags: dict[str, list[str]] = {i: [] for i in ds.ids}
    for o in outcomes:
        if o.status == "fail":
            for rid in o.flagged:
                flags.setdefault(rid, []).append(o.rule)
    signals["flagged_by"] = [flags.get(i, []) for i in ds.ids]
    gate = gate_summary(outcomes, len(ds))
    return AuditResult(ds, ruleset, signals, outcomes, gate, runs, eval_sets, ref, seconds)


def default_out_dir(ds) -> Path:
    from curate.report.sanitize import safe_name

    return Path("curate-out") / safe_name(ds.name)  # a file name can hold PII (export_jane@example.org.jsonl)
