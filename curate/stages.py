"""Stages: how per-record signals are computed, cached and attached to the signals table.

A stage is a plain function over a *batch of columns* (dict of lists, see
`CurateDataset.batch()`) with its configuration passed as a dataclass, no I/O, returning a dict of
new signal columns with one value per input row. Row-local stages (each output row depends only on
its input row) run unchanged under `datasets.Dataset.map(batched=True, num_proc=N)` here and under
`ray.data.Dataset.map_batches` on a cluster. Dataset-scope stages (MinHash LSH, clustering) see the
whole dataset in one batch and may read other datasets (`eval`, `reference`).

Signals are cached as Parquet keyed by the dataset fingerprint, the stage name/version, its config
and the fingerprints of the other datasets it read: changing a rule threshold never recomputes a
MinHash or an embedding. See ARCHITECTURE.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from curate.atomic import discard, publish, tmp_path

STAGES: dict[str, "Stage"] = {}


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[..., dict[str, list]]  # fn(batch, *, config, **inputs) -> {column: values}
    config: type  # a dataclass; fields are the stage's parameters, set under `stages:` in a rules file
    columns: tuple[str, ...]  # signal columns it writes
    row_local: bool = False  # True: safe to split into batches and run in parallel
    inputs: tuple[str, ...] = ()  # other datasets it reads: "eval" (list of datasets), "reference"
    version: str = "1"  # bump when the algorithm changes, so stale caches are not reused

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""


def register_stage(name: str, *, config: type, columns: tuple[str, ...], row_local: bool = False,
                   inputs: tuple[str, ...] = (), version: str = "1"):
    def wrap(fn):
        STAGES[name] = Stage(name, fn, config, tuple(columns), row_local, tuple(inputs), version)
        return fn
    return wrap


def cache_root() -> Path:
    return Path(os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate")


def config_dict(cfg) -> dict:
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(cfg or {})


def cache_key(stage: Stage, dataset, cfg, inputs: dict) -> str:
    parts = {"stage": stage.name, "version": stage.version, "data": dataset.fingerprint, "config": config_dict(cfg),
             "inputs": {k: [d.fingerprint for d in (v if isinstance(v, list) else [v])] for k, v in inputs.items() if v}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class StageRun:
    name: str
    seconds: float
    cached: bool
    rows: int


def run_stage(stage: Stage, dataset, cfg=None, *, inputs: dict | None = None, num_proc: int = 1,
              use_cache: bool = True) -> tuple[pd.DataFrame, StageRun]:
    """Run one stage over `dataset` (or load its cached signals) and return its columns + timing."""
    cfg = cfg if cfg is not None else stage.config()
    inputs = {k: v for k, v in (inputs or {}).items() if k in stage.inputs}
    path = cache_root() / dataset.fingerprint[:16] / f"{stage.name}-{cache_key(stage, dataset, cfg, inputs)}.parquet"
    t0 = time.perf_counter()
    if use_cache and path.exists():
        import pyarrow.parquet as pq

        # to_pydict keeps nested values as Python lists/dicts, exactly as a fresh run returns them
        df = pd.DataFrame(pq.read_table(path).to_pydict())
        return df, StageRun(stage.name, time.perf_counter() - t0, True, len(df))
    batch = dataset.batch()
    if stage.row_local and num_proc > 1 and len(dataset) >= 1000:
        import datasets

        hf = datasets.Dataset.from_dict(batch)
        out = hf.map(lambda b: stage.fn(b, config=cfg), batched=True, num_proc=num_proc,
                     remove_columns=hf.column_names, desc=stage.name)
        cols = out.to_dict()
    else:
        cols = stage.fn(batch, config=cfg, **inputs)
    for c, v in cols.items():
        if len(v) != len(dataset):
            raise RuntimeError(f"stage '{stage.name}' returned {len(v)} values for column '{c}', expected {len(dataset)}")
    df = pd.DataFrame(cols)
    df.insert(0, "id", dataset.ids)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of our own: two audits of the same file at once write the same entry (curate/atomic.py)
        tmp = tmp_path(path)
        try:
            df.to_parquet(tmp, index=False)
            publish(tmp, path)  # atomic: a killed run never leaves a half-written cache entry
        finally:
            discard(tmp)
    return df, StageRun(stage.name, time.perf_counter() - t0, False, len(df))
