"""The stage graph: order the stages the rules need by what they read, run each once, hand each its inputs.

    run = run_graph(dataset, ["topics", "semantic"], stage_configs, eval_sets=[...], reference=ref,
                    workers=None, progress=progress)  # None: every core
    run.order        # ["embed", "topics", "semantic"]: the embed stage came in because both read `embedding`
    run.frames       # stage name -> its signal columns (a DataFrame, `id` first)
    run.artifacts    # artifact name -> what readers see (the embedding matrix, as `Embeddings`)

A stage declares the columns or artifacts it `reads` and the ones it writes (`columns`, `artifacts`);
the producer of everything a needed stage reads is needed too. A stage whose config class extends
its producer's (TopicsConfig extends EmbedConfig) takes the producer's values for the inherited
fields: `stages: {embed: {model: X}}` reaches every stage that reads the embedding, and the matrix
it reads is the one that model made. `run_one` runs a single stage given its upstream outputs; the
Ray executor (curate/engine/ray_engine.py) calls it per stage.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import pandas as pd

from curate.progress import NullProgress, Progress, as_progress
from curate.stages import ARTIFACT_VIEWS, Stage, StageRun, load_stages, run_stage


def producers(stages: dict[str, Stage] | None = None) -> dict[str, Stage]:
    """Column or artifact name -> the stage that writes it."""
    out: dict[str, Stage] = {}
    for st in (stages if stages is not None else load_stages()).values():
        for name in st.writes:
            out.setdefault(name, st)
    return out


def dependencies(stage: Stage, stages: dict[str, Stage] | None = None) -> list[str]:
    """Names of the stages that write what `stage` reads, in the order it reads them."""
    made_by = producers(stages)
    out = []
    for r in stage.reads:
        if r not in made_by:
            raise RuntimeError(f"stage '{stage.name}' reads '{r}', which no registered stage writes")
        if made_by[r].name not in out and made_by[r].name != stage.name:
            out.append(made_by[r].name)
    return out


def plan(leaves: list[str], stages: dict[str, Stage] | None = None) -> list[str]:
    """The stages to run for `leaves`, each after the stages it reads from (depth first, leaves in their order)."""
    stages = stages if stages is not None else load_stages()
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise RuntimeError(f"stages read each other in a cycle: {' -> '.join([*visiting, name])}")
        if name not in stages:
            raise RuntimeError(f"unknown stage '{name}' (registered: {', '.join(sorted(stages))})")
        visiting.append(name)
        for dep in dependencies(stages[name], stages):
            visit(dep)
        visiting.pop()
        order.append(name)

    for leaf in leaves:
        visit(leaf)
    return order


def resolve_configs(order: list[str], stage_configs: dict | None, stages: dict[str, Stage] | None = None) -> dict:
    """Stage name -> its config: from the rules file, else the defaults; fields a stage's config inherits
    from a producer's config class are set to the producer's values (one embedding model for all)."""
    stages = stages if stages is not None else load_stages()
    out: dict = {}
    for name in order:
        st = stages[name]
        cfg = (stage_configs or {}).get(name)
        cfg = cfg if cfg is not None else st.config()
        for dep in dependencies(st, stages):
            up = out.get(dep)
            if up is not None and dataclasses.is_dataclass(up) and isinstance(cfg, type(up)) and type(up) is not type(cfg):
                cfg = dataclasses.replace(cfg, **{f.name: getattr(up, f.name) for f in dataclasses.fields(up)})
        out[name] = cfg
    return out


def inherited_fields(stage: Stage, stages: dict[str, Stage] | None = None) -> dict[str, str]:
    """Config field -> the producer stage whose config sets it (the rules loader refuses them on `stage`)."""
    stages = stages if stages is not None else load_stages()
    out: dict[str, str] = {}
    for dep in dependencies(stage, stages):
        up = stages[dep].config
        if dataclasses.is_dataclass(up) and issubclass(stage.config, up) and stage.config is not up:
            out.update({f.name: dep for f in dataclasses.fields(up)})
    return out


@dataclass
class Outputs:
    """What the stages run so far wrote: their columns, artifacts and cache keys."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    artifacts: dict[str, object] = field(default_factory=dict)  # artifact name -> the view readers get
    keys: dict[str, str] = field(default_factory=dict)  # column/artifact name -> the producing stage's cache key


def stage_inputs(stage: Stage, outputs: Outputs, *, eval_sets=(), reference=None) -> tuple[dict, dict]:
    """(inputs, upstream keys) for `stage`: the datasets it takes and the columns/artifacts it reads."""
    inputs: dict = {"eval": list(eval_sets), "reference": reference}
    inputs = {k: v for k, v in inputs.items() if k in stage.inputs}
    upstream = {}
    for r in stage.reads:
        if r in outputs.artifacts:
            inputs[r] = outputs.artifacts[r]
        else:
            frame = next((f for f in outputs.frames.values() if r in f.columns), None)
            if frame is None:
                raise RuntimeError(f"stage '{stage.name}' reads '{r}', which no stage run so far wrote")
            inputs[r] = list(frame[r])
        upstream[r] = outputs.keys.get(r, "")
    return inputs, upstream


def run_one(stage: Stage, dataset, cfg, outputs: Outputs, *, eval_sets=(), reference=None, workers: int = 1,
            use_cache: bool = True, progress: Progress | None = None, engine=None) -> tuple[pd.DataFrame, StageRun]:
    """Run one stage given what its upstream stages wrote, and record its outputs in `outputs`."""
    progress = progress or NullProgress()
    inputs, upstream = stage_inputs(stage, outputs, eval_sets=eval_sets, reference=reference)
    counted = _Counting(progress)
    progress.phase(stage.name, total=len(dataset))
    df, run = run_stage(stage, dataset, cfg, inputs=inputs, num_proc=workers, use_cache=use_cache,
                        upstream=upstream, progress=counted, engine=engine)
    if counted.done < len(dataset):  # a stage that reports no progress of its own is done all at once
        progress.advance(len(dataset) - counted.done)
    progress.end()
    outputs.frames[stage.name] = df
    for name in stage.writes:
        outputs.keys[name] = run.key
    for name, arr in run.artifacts.items():
        view = ARTIFACT_VIEWS.get(name)
        outputs.artifacts[name] = view(arr, cfg, _loader(stage, cfg, name, use_cache, progress)) if view else arr
    return df, run


def _loader(stage: Stage, cfg, artifact: str, use_cache: bool, progress: Progress):
    """The same artifact for another dataset (an eval or reference set): the same stage and config, cached."""

    def load_for(other):
        progress.phase(f"{stage.name} ({other.name})", total=len(other))
        _, run = run_stage(stage, other, cfg, use_cache=use_cache, progress=progress)
        progress.end()
        return run.artifacts[artifact]

    return load_for


class _Counting(Progress):
    """Passes `advance` through and counts it, so the executor can finish a phase a stage did not report."""

    def __init__(self, inner: Progress):
        self.inner, self.done = inner, 0

    def phase(self, name, total=None, unit="records"):
        self.inner.phase(name, total, unit)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.inner.advance(n)

    def end(self) -> None:
        self.inner.end()


@dataclass
class GraphRun:
    order: list[str]
    configs: dict  # stage name -> the config it ran with
    frames: dict[str, pd.DataFrame]  # stage name -> its columns, `id` first
    runs: list[StageRun]
    artifacts: dict  # artifact name -> view

    def signals(self, ids: list) -> pd.DataFrame:
        """The signals table: `id`, then every stage's columns in run order."""
        return pd.concat([pd.DataFrame({"id": ids}), *(self.frames[n].drop(columns=["id"]) for n in self.order)], axis=1)


def default_workers() -> int:
    from curate.engine.parallel import cpu_count

    return cpu_count()


def with_device(configs: dict, device: str | None) -> dict:
    """Every config with a `device` field set to `device` (auto, cpu, cuda); the embedder reads it from
    $CURATE_DEVICE (curate/engine/device.py), which worker processes inherit."""
    if not device:
        return configs
    from curate.engine.device import ENV, requested_device

    os.environ[ENV] = requested_device(device)  # `curate audit --device cuda` checked a GPU is there
    return {n: dataclasses.replace(c, device=device) if dataclasses.is_dataclass(c) and
            "device" in {f.name for f in dataclasses.fields(c)} else c for n, c in configs.items()}


def run_graph(dataset, leaves: list[str], stage_configs: dict | None = None, *, eval_sets=(), reference=None,
              workers: int | None = None, use_cache: bool = True, progress=None, device: str | None = None,
              engine=None) -> GraphRun:
    """Run the stages `leaves` need (and theirs), in dependency order, each exactly once.

    `device` (auto, cpu, cuda), when given, is set on every stage config that has a `device` field.
    `engine`: None runs each stage here; a `curate.engine.ray_engine.RayEngine` computes cache misses on Ray."""
    stages = load_stages()
    progress = as_progress(progress)
    order = plan(list(leaves), stages)
    configs = with_device(resolve_configs(order, stage_configs, stages), device)
    outputs, runs = Outputs(), []
    for name in order:
        _, run = run_one(stages[name], dataset, configs[name], outputs, eval_sets=eval_sets, reference=reference,
                         workers=workers or default_workers(), use_cache=use_cache, progress=progress,
                         engine=engine)
        runs.append(run)
    return GraphRun(order, configs, outputs.frames, runs, outputs.artifacts)


def resolve_reads(stage: Stage, dataset, cfg, inputs: dict, *, use_cache: bool = True) -> tuple[dict, dict]:
    """For a direct `run_stage` call that did not hand over what the stage reads: run its producers first,
    each with the fields `cfg` inherits from its config (the embedding model a TopicsConfig names)."""
    stages = load_stages()
    order = plan([stage.name], stages)[:-1]
    given = {}
    for name in order:
        up = stages[name].config
        if dataclasses.is_dataclass(cfg) and dataclasses.is_dataclass(up) and isinstance(cfg, up):
            given[name] = up(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(up)})
    configs = resolve_configs(order, given, stages)
    outputs = Outputs()
    for name in order:
        run_one(stages[name], dataset, configs[name], outputs, eval_sets=inputs.get("eval") or (),
                reference=inputs.get("reference"), use_cache=use_cache)
    extra, upstream = stage_inputs(stage, outputs, eval_sets=inputs.get("eval") or (), reference=inputs.get("reference"))
    return {**extra, **inputs}, upstream


__all__ = ["GraphRun", "Outputs", "default_workers", "dependencies", "inherited_fields", "plan", "producers",
           "resolve_configs", "resolve_reads", "run_graph", "run_one", "stage_inputs", "with_device"]
