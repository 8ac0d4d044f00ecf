"""Stages: how per-record signals are computed, cached and attached to the signals table.

A stage is a plain function over a *batch of columns* (dict of lists, see
`CurateDataset.batch()`) with its configuration passed as a dataclass, no I/O, returning a dict of
new signal columns with one value per input row. A stage declares what it `reads` from other
stages (signal columns, or artifacts such as the `embedding` matrix) and what it writes
(`columns` for the signals table, `artifacts` for arrays the executor holds and hands to the
stages that read them); `curate/engine/graph.py` orders the stages by those declarations and runs
only what the rules need. Row-local stages (each output row depends only on its input row) run
through `curate.engine.parallel.map_row_local` on every core. Dataset-scope stages (MinHash LSH,
clustering) see the whole dataset in one batch and may read other datasets (`eval`, `reference`).

Signals are cached keyed by the dataset fingerprint, the stage's code (its module and every
`curate` module it imports, transitively), its config minus presentation-only fields, the
fingerprints of the other datasets it read and the keys of the stages it read from: changing a
rule threshold never recomputes a MinHash or an embedding, and changing a stage's code never
returns its old signals. See ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import inspect
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from curate.atomic import discard, publish, tmp_path

STAGES: dict[str, "Stage"] = {}

# One line per module that registers stages, imported by the executor (curate/engine/graph.py):
# a stage exists because it is listed here, not because some check module happened to import it.
STAGE_MODULES = [
    "curate.dedup.stage",
    "curate.dedup.leakage",
    "curate.dedup.decontam",
    "curate.pii.detect",
    "curate.content.structure",
    "curate.content.balance",
    "curate.content.prompts",
    "curate.content.answers",
    "curate.content.hygiene",
    "curate.content.verify",
    "curate.content.lengths",
    "curate.embed.encode",
    "curate.embed.topics",
    "curate.embed.semantic",
    "curate.embed.coverage",
    "curate.embed.label_issues",
    "curate.select.score",
    "curate.select.ifd",
]

# Bumped only when the cache entry's format changes (what run_stage writes), never for a stage's
# algorithm: the stage's own code is in its key.
CACHE_FORMAT = "2"


def load_stages() -> dict[str, "Stage"]:
    """Import every module in STAGE_MODULES (registering its stages) and return the registry."""
    import importlib

    for mod in STAGE_MODULES:
        importlib.import_module(mod)
    return STAGES


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[..., dict[str, list]]  # fn(batch, *, config, **inputs, **reads) -> {column or artifact: values}
    config: type  # a dataclass; fields are the stage's parameters, set under `stages:` in a rules file
    columns: tuple[str, ...]  # signal columns it writes into the signals table
    row_local: bool = False  # True: row i of the output depends only on row i of the input
    inputs: tuple[str, ...] = ()  # other datasets it reads: "eval" (list of datasets), "reference"
    version: str = "1"  # ignored: the cache key holds the stage's code (kept so old registrations load)
    reads: tuple[str, ...] = ()  # columns or artifacts other stages write, passed to fn by name
    artifacts: tuple[str, ...] = ()  # arrays it writes that stay out of the signals table (the embedding matrix)
    # setup(config): loads what a row-local stage keeps in a module-level cache (a tokenizer, a PII
    # detector), called once in this process before the rows are split: forked workers inherit it
    # instead of each loading its own (curate/engine/parallel.py)
    setup: Callable | None = None

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""

    @property
    def writes(self) -> tuple[str, ...]:
        return (*self.columns, *self.artifacts)


ARTIFACT_VIEWS: dict[str, Callable] = {}  # artifact name -> view(array, producer config, loader) handed to readers


def register_artifact_view(name: str, view: Callable) -> None:
    """How stages that read artifact `name` see it: `view(array, producer_config, load_for)`, where
    `load_for(dataset)` returns the same artifact computed for another dataset (an eval or reference
    set), once, by the same stage with the same config. Without a view readers get the array."""
    ARTIFACT_VIEWS[name] = view


def register_stage(name: str, *, config: type, columns: tuple[str, ...] = (), row_local: bool = False,
                   inputs: tuple[str, ...] = (), version: str = "1", reads: tuple[str, ...] = (),
                   artifacts: tuple[str, ...] = (), setup: Callable | None = None):
    def wrap(fn):
        STAGES[name] = Stage(name, fn, config, tuple(columns), row_local, tuple(inputs), version, tuple(reads),
                             tuple(artifacts), setup)
        return fn
    return wrap


def cache_root() -> Path:
    return Path(os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate")


def config_dict(cfg) -> dict:
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(cfg or {})


def cache_config(cfg) -> dict:
    """The config as it enters the cache key: fields marked `metadata={"cache": False}` (presentation
    only: `show_progress`, `batch_size`) are left out, so changing them reuses the cached signals."""
    if not dataclasses.is_dataclass(cfg):
        return dict(cfg or {})
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.metadata.get("cache", True)}


# ---- the stage's code, in its key --------------------------------------------------------------
# A hand-bumped `version` string went stale whenever someone forgot to bump it (issue 15). The key
# now holds the source of the module defining the stage function and of every `curate` module it
# imports, transitively: edit any of them and the stage recomputes. The engine's own plumbing
# (this module, curate/engine/) is not part of any stage's result and is left out; CACHE_FORMAT
# covers the entry format.

_PLUMBING = ("curate.stages", "curate.engine", "curate.atomic", "curate.progress")
_CODE_HASH: dict[str, str] = {}


def _module_file(name: str) -> Path | None:
    mod = sys.modules.get(name)
    f = getattr(mod, "__file__", None) if mod is not None else None
    if f is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        f = spec.origin if spec is not None and spec.has_location else None
    return Path(f) if f and str(f).endswith(".py") else None


def _curate_imports(name: str, source: str) -> set[str]:
    """Names of the `curate` modules `source` (module `name`) imports, anywhere in the file."""
    out: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return out
    package = name if _module_file(name) and _module_file(name).name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "curate")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "curate":
                continue
            out.add(base)
            for a in node.names:  # `from curate.embed import topics`: a submodule, not an attribute
                if _module_file(f"{base}.{a.name}") is not None:
                    out.add(f"{base}.{a.name}")
    return out


def _source_hash(name: str) -> tuple[str, set[str]]:
    f = _module_file(name)
    if f is None:
        return "", set()
    text = f.read_text(encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest(), _curate_imports(name, text)


def code_hash(fn: Callable) -> str:
    """sha256 over the source of `fn`'s module and of every `curate` module it imports (transitively)."""
    root = getattr(fn, "__module__", None) or ""
    key = f"{root}:{getattr(fn, '__qualname__', '')}"
    if key not in _CODE_HASH:
        _CODE_HASH[key] = hashlib.sha256(json.dumps(sorted(code_modules(fn).items())).encode()).hexdigest()
    return _CODE_HASH[key]


def code_modules(fn: Callable) -> dict[str, str]:
    """Module name -> sha256 of its source, for `fn`'s module and the `curate` modules it imports, transitively."""
    root = getattr(fn, "__module__", None) or ""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen or (name != root and name.startswith(_PLUMBING)):
            continue
        digest, imports = _source_hash(name)
        if not digest and name == root:  # defined outside any file (a notebook, exec): its own source
            try:
                digest = hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()
            except (OSError, TypeError):
                digest = "unknown"
        seen[name] = digest
        todo.extend(imports - set(seen))
    return seen


def forget_code_hashes() -> None:
    """Drop the per-process memo of code hashes (a test that edits a stage's module calls this)."""
    _CODE_HASH.clear()


def _fingerprints(v) -> list[str]:
    return [d.fingerprint for d in (v if isinstance(v, list) else [v])]


def cache_key(stage: Stage, dataset, cfg, inputs: dict, upstream: dict | None = None) -> str:
    """Dataset fingerprint + stage code + config (minus presentation fields) + other datasets' fingerprints
    + the cache keys of the stages whose columns/artifacts it reads."""
    parts = {"format": CACHE_FORMAT, "stage": stage.name, "code": code_hash(stage.fn), "data": dataset.fingerprint,
             "config": cache_config(cfg),
             "inputs": {k: _fingerprints(v) for k, v in inputs.items() if v and k in stage.inputs},
             "reads": {k: (upstream or {}).get(k) or _value_hash(inputs.get(k)) for k in stage.reads}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _value_hash(v) -> str:
    """A read handed over without its producer's key (a direct call): the key holds its content."""
    if v is None:
        return ""
    arr = getattr(v, "vectors", v)
    if isinstance(arr, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()[:24]
    return hashlib.sha256(json.dumps(v, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class StageRun:
    name: str
    seconds: float
    cached: bool
    rows: int
    key: str = ""  # the cache key: stages that read this one's output fold it into theirs
    artifacts: dict = field(default_factory=dict)  # artifact name -> array (the embedding matrix)


def _call(stage: Stage, batch: dict, cfg, kwargs: dict, *, num_proc: int, progress) -> dict:
    if stage.row_local:  # row i depends on row i only: the columns it reads travel in the batch, row-aligned
        from curate.engine.parallel import map_row_local

        if stage.setup is not None:  # load the model here, once: forked workers inherit it (copy-on-write)
            stage.setup(cfg)
        return map_row_local(stage.fn, {**batch, **kwargs}, config=cfg, workers=num_proc, progress=progress)
    if progress is not None and "progress" in inspect.signature(stage.fn).parameters:
        kwargs = {**kwargs, "progress": progress}
    cols = stage.fn(batch, config=cfg, **kwargs)
    return cols


def run_stage(stage: Stage, dataset, cfg=None, *, inputs: dict | None = None, num_proc: int = 1,
              use_cache: bool = True, upstream: dict | None = None, progress=None,
              engine=None) -> tuple[pd.DataFrame, StageRun]:
    """Run one stage over `dataset` (or load its cached signals) and return its columns + timing.

    `inputs`: the other datasets it reads (`eval`, `reference`) and the columns/artifacts of other
    stages it reads, by name; `upstream`: the cache keys of the stages those reads came from (the
    executor passes them; a direct call without them keys the reads by their content). Artifacts
    come back in `StageRun.artifacts`, columns in the DataFrame (with `id` first). `progress`: a
    `curate.progress.Progress`; the caller opens the phase, this advances it per batch. `engine`:
    where a cache miss is computed (None: here; a `curate.engine.ray_engine.RayEngine`: on Ray);
    the cache entry is the same whichever engine computed it.
    """
    cfg = cfg if cfg is not None else stage.config()
    inputs = {k: v for k, v in (inputs or {}).items() if k in stage.inputs or k in stage.reads}
    if any(r not in inputs for r in stage.reads):  # called on its own: its producers run (or load) first
        from curate.engine.graph import resolve_reads

        inputs, found = resolve_reads(stage, dataset, cfg, inputs, use_cache=use_cache)
        upstream = {**found, **(upstream or {})}
    datasets = {k: v for k, v in inputs.items() if k in stage.inputs}  # whose ids and labels the cache tokenises
    key = cache_key(stage, dataset, cfg, inputs, upstream)
    path = cache_root() / dataset.fingerprint[:16] / f"{stage.name}-{key}.parquet"
    arrays = {a: path.with_name(f"{stage.name}-{key}.{a}.npy") for a in stage.artifacts}
    t0 = time.perf_counter()
    if use_cache and path.exists() and all(p.exists() for p in arrays.values()):
        import pyarrow.parquet as pq

        # to_pydict keeps nested values as Python lists/dicts, exactly as a fresh run returns them
        stored = pq.read_table(path).to_pydict()
        stored.pop("id", None)  # entries written before ids were left out
        df = pd.DataFrame(decode_names(stored, dataset, datasets), index=range(len(dataset)))
        df.insert(0, "id", dataset.ids)  # not stored: ids can hold PII, and the fingerprint fixes them
        arts = {a: _load_array(p) for a, p in arrays.items()}
        if progress is not None:
            progress.advance(len(dataset))
        return df, StageRun(stage.name, time.perf_counter() - t0, True, len(df), key, arts)
    batch = dataset.batch()
    kwargs = {k: v for k, v in inputs.items()}
    if engine is not None:
        out = engine.run(stage, dataset, cfg, kwargs)
    else:
        out = _call(stage, batch, cfg, kwargs, num_proc=num_proc, progress=progress)
    for c, v in out.items():
        if len(v) != len(dataset):
            raise RuntimeError(f"stage '{stage.name}' returned {len(v)} values for column '{c}', expected {len(dataset)}")
    arts = {a: np.asarray(out.pop(a)) for a in stage.artifacts if a in out}
    cols = out
    df = pd.DataFrame(cols, index=range(len(dataset)))
    df.insert(0, "id", dataset.ids)
    if use_cache:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the cache quotes data: owner only
        # names of our own: two audits of the same file at once write the same entry (curate/atomic.py);
        # the artifacts go first, the Parquet file last: its presence says the entry is complete
        for a, p in arrays.items():
            tmp = tmp_path(p)
            try:
                with open(tmp, "wb") as f:
                    np.save(f, arts[a])
                publish(tmp, p)
            finally:
                discard(tmp)
            if arts[a].nbytes > MMAP_BYTES:  # the saved copy, paged in by the OS, instead of a second one in memory
                arts[a] = _load_array(p)
        tmp = tmp_path(path)
        try:
            pd.DataFrame(encode_names(cols, dataset, datasets), index=range(len(dataset))).to_parquet(tmp, index=False)
            publish(tmp, path)  # atomic: a killed run never leaves a half-written cache entry
        finally:
            discard(tmp)
    return df, StageRun(stage.name, time.perf_counter() - t0, False, len(df), key, arts)


MMAP_BYTES = 256 << 20  # a cached artifact larger than this is memory-mapped, read-only (1M x 384 float32 is 1.5 GB)


def _load_array(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r" if path.stat().st_size > MMAP_BYTES else None)


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
