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
from curate.progress import as_progress
from curate.rules import RuleOutcome, evaluate_rules, gate_summary, load_rules
from curate.stages import StageRun
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
    artifacts: dict = field(default_factory=dict)  # artifact name -> what the stages wrote (`embedding`: Embeddings)

    @property
    def embeddings(self):
        """The n x dim float32 embedding matrix (dataset order), or None when no rule needed it."""
        emb = self.artifacts.get("embedding")
        return None if emb is None else emb.vectors

    @property
    def passed(self) -> bool:
        return self.gate["passed"]


def run_audit(data, *, eval=(), reference=None, rules=None, load_kwargs: dict | None = None,
              use_cache: bool = True, num_proc: int | None = None, progress=None,
              device: str | None = None, engine=None) -> AuditResult:
    """Audit `data` (a path or a loaded CurateDataset).

    `progress`: a `curate.progress.Progress` (each stage is a phase with its record total, advanced
    per batch) or a callable told each phase's name. `num_proc`: processes for row-local stages
    (default: every core). `device`: auto, cpu or cuda for every stage that runs a model on one.
    `engine`: where stages run (None: this process; a RayEngine: on Ray, see curate/engine/ray_engine.py)."""
    from curate.engine.graph import run_graph
    from curate.load import CurateDataset, load_dataset
    from curate.load.benchmarks import load_eval_sets

    seconds: dict = {}
    progress = as_progress(progress)
    with timed(seconds, "rules"):
        ruleset = load_rules(rules)  # configuration errors come before any work
    with timed(seconds, "load"):
        progress.phase("loading data", total=None)
        ds = data if isinstance(data, CurateDataset) else load_dataset(data, **(load_kwargs or {}))
        # eval sets: files, folders of benchmarks, hub ids, or datasets already loaded (the CLI loads them once)
        eval_sets = [e for e in eval if isinstance(e, CurateDataset)]
        eval_sets += load_eval_sets([e for e in eval if not isinstance(e, CurateDataset)])
        ref = load_dataset(reference) if reference else None
        progress.end()
    graph = run_graph(ds, ruleset.stages_needed, ruleset.stage_configs, eval_sets=eval_sets, reference=ref,
                      workers=num_proc, use_cache=use_cache, progress=progress, device=device,
                      engine=engine)
    for run in graph.runs:
        seconds[f"stage:{run.name}"] = round(run.seconds, 3)
    signals = graph.signals(ds.ids)
    ctx = CheckContext(dataset=ds, eval_sets=eval_sets, reference=ref, stage_configs=graph.configs,
                       artifacts=graph.artifacts)
    with timed(seconds, "checks"):
        progress.phase("checks", total=len(ruleset.rules), unit="rules")
        outcomes = evaluate_rules(ruleset, signals, ctx)
        progress.advance(len(ruleset.rules))
        progress.end()
    flags: dict[str, list[str]] = {i: [] for i in ds.ids}
    for o in outcomes:
        if o.status == "fail":
            for rid in o.flagged:
                flags.setdefault(rid, []).append(o.rule)
    signals["flagged_by"] = [flags.get(i, []) for i in ds.ids]
    gate = gate_summary(outcomes, len(ds))
    return AuditResult(ds, ruleset, signals, outcomes, gate, graph.runs, eval_sets, ref, seconds,
                       artifacts=graph.artifacts)


def default_out_dir(ds) -> Path:
    from curate.cliutil import default_out_dir

    return default_out_dir(ds)  # curate-out/<safe stem>-<8 hex of the fingerprint>: one place decides it
