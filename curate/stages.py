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
import re
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
              use_cache: bool = True, engine=None) -> tuple[pd.DataFrame, StageRun]:
    """Run one stage over `dataset` (or load its cached signals) and return its columns + timing.

    `engine`: where a cache miss is computed (None: here; a `curate.engine.ray_engine.RayEngine`:
    on Ray). The cache entry is the same whichever engine computed it."""
    cfg = cfg if cfg is not None else stage.config()
    inputs = {k: v for k, v in (inputs or {}).items() if k in stage.inputs}
    path = cache_root() / dataset.fingerprint[:16] / f"{stage.name}-{cache_key(stage, dataset, cfg, inputs)}.parquet"
    t0 = time.perf_counter()
    if use_cache and path.exists():
        import pyarrow.parquet as pq

        # to_pydict keeps nested values as Python lists/dicts, exactly as a fresh run returns them
        stored = pq.read_table(path).to_pydict()
        stored.pop("id", None)  # entries written before ids were left out
        df = pd.DataFrame(decode_names(stored, dataset, inputs))
        df.insert(0, "id", dataset.ids)  # not stored: ids can hold PII, and the fingerprint fixes them
        return df, StageRun(stage.name, time.perf_counter() - t0, True, len(df))
    batch = dataset.batch()
    if engine is not None:
        cols = engine.run(stage, dataset, cfg, inputs)
    elif stage.row_local and num_proc > 1 and len(dataset) >= 1000:
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
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the cache quotes data: owner only
        # a name of our own: two audits of the same file at once write the same entry (curate/atomic.py)
        tmp = tmp_path(path)
        try:
            pd.DataFrame(encode_names(cols, dataset, inputs)).to_parquet(tmp, index=False)
            publish(tmp, path)  # atomic: a killed run never leaves a half-written cache entry
        finally:
            discard(tmp)
    return df, StageRun(stage.name, time.perf_counter() - t0, False, len(df))


# ---- no raw PII in the cache ----------------------------------------------------------------------
# Signal columns quote record ids and labels (`exact_dup_of`, `leaks_into`, `label_suggested`,
# evidence text), and an id or a label can hold PII (`user-jane.doe@example.org`). Every PII value
# found in the datasets' ids and labels is stored as a token (`<curate-name:3>`, an index into that
# list, which only the data itself can rebuild) and turned back on read: a cached run returns exactly
# what a fresh one did, and the cache file alone names nobody. See `curate cache info`.

_TOKEN = re.compile(r"<curate-name:(\d+)>")
_NAME_CODECS: dict[tuple, tuple] = {}


def _name_codec(dataset, inputs: dict):
    """(pattern matching the PII values in these datasets' ids and labels, value -> token, [values])."""
    others = [d for v in (inputs or {}).values() if v for d in (v if isinstance(v, list) else [v])]
    datasets = [dataset, *others]
    key = tuple(d.fingerprint for d in datasets)
    if key not in _NAME_CODECS:
        from curate.report.sanitize import name_values

        values = sorted(name_values([_NamesOnly(d) for d in datasets]), key=lambda v: (-len(v), v))
        pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None
        if len(_NAME_CODECS) >= 4:  # one dataset (alone, and with its eval sets) at a time is the common case
            _NAME_CODECS.clear()
        _NAME_CODECS[key] = (pattern, {v: f"<curate-name:{i}>" for i, v in enumerate(values)}, values)
    return _NAME_CODECS[key]


class _NamesOnly:
    """A dataset's ids and labels without its path: the cache never holds the file name anyway."""

    def __init__(self, d):
        self.path, self.name, self.records = "", "", d.records


def _map_strings(obj, fn):
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_map_strings(v, fn) for v in obj]
    if type(obj).__name__ == "ndarray" and obj.dtype == object:
        return [_map_strings(v, fn) for v in obj.tolist()]
    return obj


def _has_text(values: list) -> bool:
    first = next((v for v in values if v is not None), None)
    return isinstance(first, (str, dict, list, tuple)) and not (
        isinstance(first, (list, tuple)) and len(first) > 0 and isinstance(first[0], (int, float)))


def encode_names(cols: dict[str, list], dataset, inputs: dict) -> dict[str, list]:
    """The columns to store: every PII value from an id or a label replaced by its token."""
    pattern, enc, _ = _name_codec(dataset, inputs)
    if pattern is None:
        return cols

    def one(s: str) -> str:
        return pattern.sub(lambda m: enc[m.group(0)], s)

    return {c: [_map_strings(v, one) for v in vals] if _has_text(vals) else vals for c, vals in cols.items()}


def decode_names(cols: dict[str, list], dataset, inputs: dict) -> dict[str, list]:
    """The stored columns back as the stage returned them (tokens -> the dataset's own values)."""
    text_cols = [c for c, vals in cols.items() if _has_text(vals)]
    if not any("<curate-name:" in repr(cols[c]) for c in text_cols):
        return cols
    _, _, values = _name_codec(dataset, inputs)

    def one(s: str) -> str:
        return _TOKEN.sub(lambda m: values[int(m.group(1))] if int(m.group(1)) < len(values) else m.group(0), s)

    return {c: [_map_strings(v, one) for v in vals] if c in text_cols else vals for c, vals in cols.items()}
