"""The Ray engine: `curate audit DATA --engine ray [--ray-address ADDR] [--ray-workers N]`.

The same stages, the same cache, the same columns as the local engine; only where the work runs
changes. The driver loads the data with `curate.load` (so the canonical records and the fingerprint
are the ones the local engine sees), and `run_stage` asks `RayEngine.run` for a stage's columns on
a cache miss:

- row-local stages: `map_batches` over the canonical records, `--ray-workers` tasks at a time;
  stages that hold a model (pii: spaCy + presidio, language: py3langid, lengths: a tokenizer) run
  in a callable class on a fixed actor pool, so each actor loads its model once and keeps it for
  every batch; `num_gpus=1` per actor when the stage's config asks for a GPU (`device: cuda`, or
  `auto` on a cluster that has one).
- dedup: the driver shingles (the sets are needed there for exact Jaccard verification anyway);
  MinHash signatures and LSH band keys are computed with `map_batches`; buckets are a `groupby` on
  (band, band key); the keep/verify decision (`dedup/keep.py`: removed only when >= threshold to a
  KEPT record, best first) runs on the driver over those buckets, so the columns equal the local
  engine's.
- embedding stages (embed, topics, semantic, coverage, label_issues, probe_margin): the encoder
  runs as an actor pool (`map_batches`, one model load per actor) for every text not already in the
  vector cache; the dataset-scope work after it runs on the driver with the collected matrix
  (semantic/coverage/label_issues kNN). topics fits its clusters on a sample on the driver and
  assigns every record to its nearest centre with `map_batches`.
- every other dataset-scope stage (leakage, decontam, answer_ifd, and anything without a Ray
  runner) runs on the driver unchanged.

Nested record values (`fields`, `messages`) cross Arrow as JSON strings; a stage's output rows come
back pickled, so the driver gets exactly the Python objects the stage returned (Arrow's struct
inference would fill missing dict keys with nulls). Rows carry their position and are put back in
dataset order on the driver.

Nothing here opens a connection beyond the Ray processes: a local Ray binds to 127.0.0.1, with no
dashboard and no usage statistics.
"""

from __future__ import annotations

import json
import math
import os
import pickle
from contextlib import contextmanager

import numpy as np

from curate.engine.parallel import cpu_count
from curate.errors import CurateError

MODEL_STAGES = frozenset({"pii", "language", "lengths"})  # hold a model: actor pool, one load per actor
MAX_BLOCK_ROWS = 2048


def _import_ray():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # before ray is imported: never report usage
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise CurateError(f"--engine ray needs Ray Data, which is not installed ({e})",
                          fix="pip install 'curate[ray]' (or run without --engine ray)") from None
    return ray


class RayEngine:
    """Runs stages on a Ray cluster (or a local one). `workers`: tasks / actors per stage."""

    def __init__(self, workers: int, started: bool):
        self.workers = max(1, int(workers))
        self.started = started  # we started a local Ray: shut it down at the end

    @classmethod
    def connect(cls, address: str | None = None, workers: int | None = None) -> "RayEngine":
        """Join the cluster at `address` ("auto", "ray://host:10001", "host:6379"), or start a local
        Ray with `workers` CPUs (default: every core)."""
        ray = _import_ray()
        started = False
        if not ray.is_initialized():
            kw = dict(include_dashboard=False, log_to_driver=False, configure_logging=True, logging_level="WARNING")
            try:
                if address:
                    ray.init(address=address, **kw)
                else:
                    ray.init(num_cpus=workers or cpu_count(), _node_ip_address="127.0.0.1",
                             object_store_memory=_object_store_bytes(), **kw)
                    started = True
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise CurateError(f"--engine ray: could not {'connect to ' + address if address else 'start a local Ray'}"
                                  f": {e}", fix="start the cluster with `ray start --head` and pass its address, "
                                                "or leave out --ray-address for a local Ray") from None
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.execution_options.verbose_progress = False
        import logging

        logging.getLogger("ray.data").setLevel(logging.ERROR)  # execution plans and notices, every stage
        if workers is None:
            workers = int(ray.cluster_resources().get("CPU", 1))
        return cls(workers, started)

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
            self.started = False

    # ---- the hook run_stage calls ----------------------------------------------------------

    def run(self, stage, dataset, cfg, inputs: dict) -> dict[str, list]:
        """The columns `stage.fn(dataset.batch(), config=cfg, **inputs)` returns, computed on Ray."""
        batch = dataset.batch()
        n = len(dataset)
        if n == 0:
            return stage.fn(batch, config=cfg, **inputs)
        runner = _RUNNERS.get(stage.name)
        if runner is not None:
            return runner(self, stage, batch, cfg, inputs)
        if stage.row_local:  # columns it reads from other stages travel in the batch, row-aligned
            return self.map_rows(stage, {**batch, **{r: inputs[r] for r in stage.reads if r in inputs}}, cfg)
        with self.encoder(cfg):  # a stage that embeds: its uncached texts are encoded on Ray
            return stage.fn(batch, config=cfg, **inputs)

    # ---- row-local stages ------------------------------------------------------------------

    def map_rows(self, stage, batch: dict[str, list], cfg) -> dict[str, list]:
        import ray

        n = len(batch["id"])
        ds, json_cols = self._records(batch)
        common = dict(batch_format="pyarrow", batch_size=None, zero_copy_batch=True)
        if stage.name in MODEL_STAGES:
            out = ds.map_batches(_ModelStage, fn_constructor_kwargs={"fn": stage.fn, "config": cfg,
                                                                     "json_cols": json_cols},
                                 compute=ray.data.ActorPoolStrategy(size=self.workers),
                                 num_gpus=self._gpus(cfg), **common)
        else:
            out = ds.map_batches(_apply_stage, fn_kwargs={"fn": stage.fn, "config": cfg, "json_cols": json_cols},
                                 compute=ray.data.TaskPoolStrategy(size=self.workers), **common)
        return _collect_rows(out, n)

    def _blocks(self, n: int) -> int:
        """Rows per block: a few blocks per worker, so a slow block does not hold the others up."""
        return max(1, min(MAX_BLOCK_ROWS, math.ceil(n / (self.workers * 4))))

    def _records(self, batch: dict[str, list]):
        """The batch as a Ray Dataset, one block per `_blocks` rows, with a `_row` position column."""
        import pyarrow as pa
        import ray

        n = len(batch["id"])
        cols, json_cols = {"_row": list(range(n))}, []
        for c, vals in batch.items():
            if all(v is None or isinstance(v, str) for v in vals):
                cols[c] = vals
            else:  # nested (fields, messages), bool or mixed: JSON strings survive Arrow as they are
                cols[c] = [json.dumps(v, ensure_ascii=False) for v in vals]
                json_cols.append(c)
        table = pa.table(cols)
        step = self._blocks(n)
        return ray.data.from_arrow([table.slice(s, step) for s in range(0, n, step)]), json_cols

    def _gpus(self, cfg) -> float | None:
        """1 GPU per actor when the stage runs its model on CUDA."""
        device = str(getattr(cfg, "device", "cpu") or "cpu")
        if device.startswith("cuda"):
            return 1
        if device == "auto":
            import ray

            return 1 if ray.cluster_resources().get("GPU", 0) >= 1 else None
        return None

    # ---- embeddings ------------------------------------------------------------------------

    @contextmanager
    def encoder(self, cfg):
        """While inside, `embed_texts(texts, cfg)` (any stage) encodes its uncached texts on a Ray
        actor pool: the per-process embedder for `cfg` is replaced by one that ships texts out."""
        from curate.embed import encode

        if not isinstance(cfg, encode.EmbedConfig) or cfg.model == "hashing":
            yield  # not an embedding stage, or the model-free hashing embedder: on the driver
            return
        key = encode.embedder_key(cfg)  # the slot get_embedder reads: its texts go to the actor pool
        before = encode._EMBEDDERS.get(key)
        encode._EMBEDDERS[key] = RayEmbedder(self, cfg)
        try:
            yield
        finally:
            if before is None:
                encode._EMBEDDERS.pop(key, None)
            else:
                encode._EMBEDDERS[key] = before

    def encode(self, texts: list[str], cfg) -> np.ndarray:
        import pyarrow as pa
        import ray

        n = len(texts)
        step = self._blocks(n)
        table = pa.table({"_row": list(range(n)), "text": texts})
        ds = ray.data.from_arrow([table.slice(s, step) for s in range(0, n, step)])
        out = ds.map_batches(_Encoder, fn_constructor_kwargs={"config": cfg},
                             compute=ray.data.ActorPoolStrategy(size=self.workers), num_gpus=self._gpus(cfg),
                             batch_format="pyarrow", batch_size=None)
        rows, vecs = _collect(out, "vec")
        mat = np.stack([np.frombuffer(v, dtype=np.float32) for v in vecs]) if n else np.zeros((0, 0), np.float32)
        res = np.empty_like(mat)
        res[rows] = mat
        return res

    def nearest_centre(self, vecs: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """argmax of cosine to `centres` per row of `vecs`, with map_batches (topics' assignment)."""
        import pyarrow as pa
        import ray

        n = len(vecs)
        step = self._blocks(n)
        v32 = np.ascontiguousarray(vecs, dtype=np.float32)
        table = pa.table({"_row": np.arange(n), "vec": [r.tobytes() for r in v32]})
        ds = ray.data.from_arrow([table.slice(s, step) for s in range(0, n, step)])
        out = ds.map_batches(_assign, fn_kwargs={"centres": centres}, batch_format="pyarrow", batch_size=None,
                             compute=ray.data.TaskPoolStrategy(size=self.workers))
        rows, labels = _collect(out, "label")
        res = np.empty(n, dtype=np.int64)
        res[rows] = np.asarray(labels, dtype=np.int64)
        return res

    # ---- MinHash LSH -----------------------------------------------------------------------

    def band_buckets(self, sets, order: np.ndarray, bands: int, rows: int, seed: int):
        """`dedup.keep.band_buckets` on Ray: signatures and band keys with map_batches, buckets by
        a groupby on (band, key). Returns (bucket id, shared) of shape (bands, len(order))."""
        import pyarrow as pa
        import ray

        m = len(order)
        starts, ends = sets.offsets[order], sets.offsets[order + 1]
        sizes = ends - starts
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(sizes.sum())
        hashes = sets.keys[idx].astype(np.uint32)  # the low 32 bits: what signatures() permutes
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        sh = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), pa.array(hashes, pa.uint32()))
        table = pa.table({"pos": np.arange(m, dtype=np.int64), "shingles": sh})
        step = self._blocks(m)
        ds = ray.data.from_arrow([table.slice(s, step) for s in range(0, m, step)])
        keyed = ds.map_batches(_band_keys, fn_kwargs={"bands": bands, "rows": rows, "seed": seed},
                               batch_format="pyarrow", batch_size=None,
                               compute=ray.data.TaskPoolStrategy(size=self.workers))
        groups = keyed.groupby(["band", "key"], num_partitions=self.workers).map_groups(
            _shared_bucket, batch_format="pyarrow")
        band_parts, key_parts, pos_parts = [], [], []
        for t in groups.iter_batches(batch_format="pyarrow", batch_size=None):
            band_parts.append(t["band"].to_numpy())
            key_parts.append(t["key"].to_numpy())
            pos_parts.append(t["pos"].to_numpy())
        bucket = np.full((bands, m), -1, dtype=np.int64)
        shared = np.zeros((bands, m), dtype=bool)
        if band_parts:
            band = np.concatenate(band_parts).astype(np.int64)
            key = np.concatenate(key_parts).astype(np.uint64)
            pos = np.concatenate(pos_parts).astype(np.int64)
            # one id per (band, key): lexsort, then a new id where either changes
            o = np.lexsort((key, band))
            new = np.ones(len(o), dtype=bool)
            new[1:] = (band[o][1:] != band[o][:-1]) | (key[o][1:] != key[o][:-1])
            gid = np.empty(len(o), dtype=np.int64)
            gid[o] = np.cumsum(new) - 1
            bucket[band, pos] = gid
            shared[band, pos] = True
        return bucket, shared


def _object_store_bytes() -> int:
    """A local object store of a quarter of the memory, at most 4 GiB: the records and signatures of
    a million-record file fit, and Ray does not claim a third of a shared machine's memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    return int(max(256 << 20, min(4 << 30, total // 4)))


# ---- what runs on the workers ------------------------------------------------------------------

def _decode_batch(table, json_cols: list[str]) -> tuple[list[int], dict[str, list]]:
    cols = table.to_pydict()
    rows = cols.pop("_row")
    for c in json_cols:
        cols[c] = [json.loads(v) for v in cols[c]]
    return rows, cols


def _encode_rows(rows: list[int], out: dict[str, list]):
    import pyarrow as pa

    names = list(out)
    n = len(rows)
    for c, v in out.items():
        if len(v) != n:
            raise RuntimeError(f"stage returned {len(v)} values for column '{c}', expected {n}")
    packed = [pickle.dumps({c: out[c][i] for c in names}, protocol=pickle.HIGHEST_PROTOCOL) for i in range(n)]
    return pa.table({"_row": pa.array(rows, pa.int64()), "_out": pa.array(packed, pa.binary())})


def _apply_stage(table, *, fn, config, json_cols):
    rows, batch = _decode_batch(table, json_cols)
    return _encode_rows(rows, fn(batch, config=config))


class _ModelStage:
    """A model-holding stage on an actor: the stage's own per-process cache (get_detector,
    identifier, the tokenizer) keeps one loaded model for every batch this actor sees."""

    def __init__(self, fn, config, json_cols):
        self.fn, self.config, self.json_cols = fn, config, json_cols

    def __call__(self, table):
        rows, batch = _decode_batch(table, self.json_cols)
        return _encode_rows(rows, self.fn(batch, config=self.config))


class _Encoder:
    """The sentence encoder on an actor, loaded once (curate.embed.encode.get_embedder)."""

    def __init__(self, config):
        from curate.embed.encode import get_embedder

        self.emb = get_embedder(config)

    def __call__(self, table):
        import pyarrow as pa

        vecs = np.asarray(self.emb.encode(table["text"].to_pylist()), dtype=np.float32)
        return pa.table({"_row": table["_row"], "vec": pa.array([v.tobytes() for v in vecs], pa.binary())})


def _embedder_info(config) -> tuple[str, int]:
    from curate.embed.encode import get_embedder

    emb = get_embedder(config)
    return emb.key, int(getattr(emb, "dim", 0) or 0)


class RayEmbedder:
    """Stands in for a local embedder on the driver: same cache key, encode() runs on Ray."""

    def __init__(self, engine: RayEngine, cfg):
        self.engine, self.cfg = engine, cfg
        self._info = None

    def _describe(self) -> tuple[str, int]:
        """(cache key, dim) from a worker that loads the model: asked only when a stage embeds."""
        if self._info is None:
            import ray

            info = ray.remote(_embedder_info).options(num_gpus=self.engine._gpus(self.cfg) or 0)
            self._info = ray.get(info.remote(self.cfg))
        return self._info

    @property
    def key(self) -> str:  # the vector cache is shared with the local engine: same key, same vectors
        return self._describe()[0]

    @property
    def dim(self) -> int:
        return self._describe()[1]

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.engine.encode(texts, self.cfg)


def _assign(table, *, centres):
    import pyarrow as pa

    from curate.embed.topics import nearest_centre

    vecs = np.stack([np.frombuffer(v, dtype=np.float32) for v in table["vec"].to_pylist()])
    return pa.table({"_row": table["_row"], "label": nearest_centre(vecs, centres)})


def _band_keys(table, *, bands, rows, seed):
    import pyarrow as pa

    from curate.dedup.lsh import band_keys
    from curate.dedup.minhash import ShingleSets, signatures

    sh = table["shingles"].combine_chunks()
    offsets = sh.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    values = sh.values.to_numpy().astype(np.uint64)[: offsets[-1]]
    sets = ShingleSets(values, offsets, np.zeros(len(offsets) - 1, np.uint64))
    keys = band_keys(signatures(sets, bands * rows, seed=seed), bands, rows)  # (bands, docs)
    pos = table["pos"].to_numpy()
    return pa.table({"band": np.repeat(np.arange(bands, dtype=np.int64), len(pos)),
                     "key": keys.ravel(), "pos": np.tile(pos, bands)})


def _shared_bucket(group):
    """One (band, key) group: its members when the bucket holds more than one document."""
    return group if group.num_rows > 1 else group.slice(0, 0)


def _collect(ds, column: str) -> tuple[np.ndarray, list]:
    """(`_row` positions, `column` values) of every output block, in whatever order they came."""
    rows, vals = [np.zeros(0, np.int64)], []
    for t in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        rows.append(t["_row"].to_numpy())
        vals.extend(t[column].to_pylist())
    return np.concatenate(rows).astype(np.int64), vals


def _collect_rows(ds, n: int) -> dict[str, list]:
    rows, packed = _collect(ds, "_out")
    if len(rows) != n or len(set(rows.tolist())) != n:
        raise RuntimeError(f"Ray returned {len(rows)} rows for {n} records")
    at = np.empty(n, dtype=np.int64)
    at[rows] = np.arange(n)
    first = pickle.loads(packed[at[0]])
    out: dict[str, list] = {c: [None] * n for c in first}
    for i in range(n):
        rec = pickle.loads(packed[at[i]])
        for c in out:
            out[c][i] = rec[c]
    return out


# ---- stages with their own Ray runner -----------------------------------------------------------

def _dedup(engine: RayEngine, stage, batch, cfg, inputs):
    from curate.dedup.stage import find_duplicates

    return find_duplicates(batch, cfg, buckets=engine.band_buckets)[0]


def _topics(engine: RayEngine, stage, batch, cfg, inputs):
    from curate.embed.encode import record_texts
    from curate.embed.topics import topics_of

    # the embed stage made the matrix (on Ray's encoder pool); the sample's clustering runs here
    emb, texts = inputs["embedding"], record_texts(batch, cfg.side)
    exact = (lambda rows: emb.exact([texts[i] for i in rows])) if getattr(emb, "static", False) else None
    return topics_of(emb.vectors, texts, cfg, assign=engine.nearest_centre, exact=exact)


_RUNNERS = {"dedup": _dedup, "topics": _topics}
