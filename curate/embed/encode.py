"""The embedding stage: texts -> unit-length float32 vectors, one n x dim matrix per dataset and model.

The `embed` stage writes the artifact `embedding` (an n x dim float32 matrix, not a signals
column); the stages that read it (topics, semantic, coverage, label_issues) and the embedding
checks get it from the executor as `Embeddings`: the matrix, the config that made it, the same
matrix for an eval or reference set (`of(dataset)`, computed once by the same stage) and
`encode(texts)` for other texts (semantic's texts with shared blocks cut out). In the audit this
module holds the only call to the encoder. Vectors are also kept per text in a SQLite file under
`$CURATE_CACHE_DIR/embeddings/`, keyed by sha256(text) and a key naming the model, the backend and
the truncation length: `curate select`, `gaps` and `drift` reuse what an audit encoded, and the
texts semantic re-encodes after cutting shared blocks are mostly already there.

Backends for a sentence-transformers model (mean pooling + normalisation, as all-MiniLM-L6-v2):
- "onnx-int8": the model exported once to ONNX (cached next to the vectors) and its Linear weights
  quantised to int8 per channel by onnxruntime; used only when a probe set of sentences keeps mean
  cosine >= 0.99 to the fp32 model, else "onnx" is used. The fast CPU path (bench/embed.py).
- "onnx": the same export in fp32.
- "torch": plain `SentenceTransformer.encode`, the reference.
- "static": the static tier (curate/embed/static.py): token vectors distilled once from the model,
  ~100x the fp32 texts/s; its cosines only retrieve candidates, the fp32 model decides. Opt-in: with
  backend auto it is used from `static_above` records on (default 0 = never): the embed stage's
  matrix is static, `Embeddings.exact(texts)` gives the fp32 vectors decisions are made on, and
  semantic, coverage and topics encode only their candidates (or their sample) with fp32. It saves
  fp32 time only where near-duplicates are sparse (candidates at static cosine 0.80 for fp32's 0.95:
  gsm8k 0.4% of records, code_alpaca 32%, dialogsum 60%, Banking77 95%, bench/audit_scale.py's corpus
  99%: then every record is encoded by fp32 as well), it moves coverage decisions (code_alpaca vs
  gpteacher_codegen: 106 of 4,535 reference records, always towards uncovered) and label issues
  read its vectors (Banking77: Jaccard 0.35 to fp32's): so it is not the default.
"auto" picks fp32 "onnx" when onnxruntime is installed and the model has a plain mean-pooling layout,
else torch. int8 is opt-in (`stages: {embed: {backend: onnx-int8}}`): faster on CPU, but its small
vector changes move decisions near a threshold, by an amount that depends on the CPU's int8 kernels
(bench/embed_tiers.py on Banking77, 2 cores: int8 1.4x fp32's texts/s; semantic duplicates at 0.95:
1,567 fp32 vs 1,248 int8 records, Jaccard 0.75; an int8 threshold calibrated to flag as many as fp32
on half the data (0.942) still leaves Jaccard 0.81 on the other half; coverage at 0.6: 1 of 3,080
reference records flips; topics ARI 0.90, long-tail records Jaccard 0.54). A gate must give the same
verdict on every machine, so the default stays fp32.

Device: `get_embedder(cfg, device)` with device auto | cpu | cuda[:N] (None: $CURATE_DEVICE, which
`curate audit --device` sets; else auto). auto runs on a GPU when the backend can use one
(onnxruntime-gpu's CUDAExecutionProvider and an NVIDIA driver; torch with CUDA; with backend auto and
a GPU only torch can use, torch), else the CPU; cuda without one is a CurateError naming what is
missing (curate/engine/device.py). GPU vectors are cached under their own key.

`model: hashing` is a model-free hashed bag-of-words embedder: deterministic, instant,
for tests and smoke runs where semantic quality is not the point.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from curate.errors import CurateError
from curate.stages import cache_root, register_artifact_view, register_stage

SIDES = ("prompt", "response", "both")
BACKENDS = ("auto", "onnx-int8", "onnx", "torch", "static")
STATIC, MODEL = "static", "model"  # the embedding tiers: distilled token vectors, or the sentence model itself


@dataclass
class EmbedConfig:
    model: str = ""  # sentence-transformers model dir or name; "" = bundled all-MiniLM-L6-v2; "hashing" = no model
    side: str = "prompt"  # which text to embed: prompt (what users send), response, or both joined
    backend: str = "auto"  # auto | onnx-int8 | onnx | torch | static (see curate/embed/encode.py)
    # with backend auto, from this many records on the static tier retrieves candidates and the fp32 model
    # decides (curate/embed/static.py); below it, or 0 (the default: opt-in), everything is the fp32 model
    static_above: int = 0
    # texts per forward pass (batches are sorted by token length); not in the cache key: it changes speed only
    batch_size: int = field(default=64, metadata={"cache": False})
    max_seq_length: int = 256  # tokens kept per text; all-MiniLM-L6-v2 was trained on 128, handles 256
    show_progress: bool = field(default=True, metadata={"cache": False})  # progress bar on a terminal


def record_texts(batch: dict[str, list], side: str) -> list[str]:
    """The text of each record that gets embedded."""
    if side not in SIDES:
        raise CurateError(f"embed side '{side}' is not one of {', '.join(SIDES)}",
                          fix="set stages: {embed: {side: prompt}} (or response, both) in the rules file")
    if side == "both":
        return [f"{p}\n{r}".strip() for p, r in zip(batch["prompt"], batch["response"])]
    return [t or "" for t in batch[side]]


def dataset_texts(ds, side: str) -> list[str]:
    return record_texts(ds.batch(("prompt", "response")), side)


# ---- the on-disk cache ----------------------------------------------------------------------

def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    """sha256(text) -> vector, one SQLite table per model key; safe with concurrent readers/writers."""

    def __init__(self, model_key: str, root: Path | None = None):
        root = Path(root or cache_root()) / "embeddings"
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / (re.sub(r"[^A-Za-z0-9_.-]", "_", model_key)[:120] + ".sqlite")
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS vec (k TEXT PRIMARY KEY, v BLOB)")

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for i in range(0, len(keys), 900):  # SQLite's bound-parameter limit
            chunk = keys[i:i + 900]
            q = f"SELECT k, v FROM vec WHERE k IN ({','.join('?' * len(chunk))})"
            for k, v in self.db.execute(q, chunk):
                out[k] = np.frombuffer(v, dtype=np.float32)
        return out

    def put(self, keys: list[str], vecs: np.ndarray) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vecs)])


# ---- embedders ------------------------------------------------------------------------------

class HashingEmbedder:
    """Hashed bag of words (+ bigrams), signed, L2-normalised: texts sharing words are close."""

    dim = 256

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.key = f"hashing-{dim}"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            words = re.findall(r"\w+", t.lower())
            for tok in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return _normalize(out)


def _normalize(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


def resolve_model(model: str) -> Path | str:
    if not model:
        from curate.models import minilm_path

        return minilm_path()
    p = Path(model).expanduser()
    if p.exists():
        return p
    raise CurateError(f"embedding model '{model}' is not a local directory",
                      fix="pass a sentence-transformers model directory (curate never downloads models), "
                          "or leave `model` empty for the bundled all-MiniLM-L6-v2")


def _model_fingerprint(path: Path) -> str:
    h = hashlib.sha256(str(path.resolve()).encode())
    for f in sorted(path.glob("*.json")) + sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:12]


def _mean_pooling_layout(path: Path) -> bool:
    """True when the model is Transformer -> mean Pooling [-> Normalize], what the ONNX path computes."""
    try:
        mods = json.loads((path / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in mods]
        pool = next(m for m in mods if m["type"].endswith("Pooling"))
        cfg = json.loads((path / pool["path"] / "config.json").read_text())
    except (OSError, StopIteration, KeyError, ValueError):
        return False
    return types[:2] == ["Transformer", "Pooling"] and set(types[2:]) <= {"Normalize"} and \
        bool(cfg.get("pooling_mode_mean_tokens")) and not any(cfg.get(k) for k in (
            "pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_lasttoken"))


def _threads() -> int:
    """Threads for one model: $CURATE_THREADS (a worker's share, set by curate.engine.parallel), else every core."""
    from curate.engine.parallel import cpu_count

    try:
        return max(1, int(os.environ.get("CURATE_THREADS", "")))
    except ValueError:
        return cpu_count()


def _device_suffix(device: str) -> str:
    # GPU kernels round differently from CPU ones (~1e-6): their vectors are cached apart, and the
    # CPU key is the one every earlier cache holds
    return "" if device == "cpu" else f"-{device.replace(':', '')}"


class TorchEmbedder:
    """Plain sentence-transformers (the fp32 reference)."""

    def __init__(self, path: Path, max_seq_length: int, batch_size: int, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.device = device
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.model.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.key = f"{path.name}-{_model_fingerprint(path)}-torch-{max_seq_length}{_device_suffix(device)}"

    def encode(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            v = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False)
        return _normalize(np.asarray(v, dtype=np.float32))


class OnnxEmbedder:
    """ONNX Runtime over the exported transformer, mean pooling and normalisation in numpy."""

    def __init__(self, path: Path, max_seq_length: int, batch_size: int, quantized: bool, device: str = "cpu"):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        # ORT_DISABLE_TELEMETRY (set in curate/__init__.py) stops the process-level event; this
        # stops session events too, for an onnxruntime that some other import loaded first
        if hasattr(ort, "disable_telemetry_events"):
            ort.disable_telemetry_events()

        from curate.embed.onnx_export import export

        onnx_file, self.precision = export(path, quantized)
        self.tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = _threads()
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda"):
            gpu = int(device.split(":")[1]) if ":" in device else 0
            providers = [("CUDAExecutionProvider", {"device_id": gpu}), "CPUExecutionProvider"]
        self.session = ort.InferenceSession(str(onnx_file), so, providers=providers)
        if device.startswith("cuda") and self.session.get_providers()[0] != "CUDAExecutionProvider":
            raise CurateError(f"--device {device}: onnxruntime could not start its CUDA provider "
                              f"(it runs on {self.session.get_providers()}); check the CUDA and cuDNN libraries "
                              f"onnxruntime-gpu needs", fix="run with --device cpu, or fix the CUDA install")
        self.device = device
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.max_seq_length, self.batch_size = max_seq_length, batch_size
        self.key = f"{path.name}-{_model_fingerprint(path)}-onnx-{self.precision}-{max_seq_length}{_device_suffix(device)}"

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        enc = self.tok(texts, truncation=True, max_length=self.max_seq_length, add_special_tokens=True)
        ids = enc["input_ids"]
        order = np.argsort([len(x) for x in ids], kind="stable")  # similar lengths share a batch: little padding
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            width = max(len(ids[i]) for i in idx)
            input_ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for r, i in enumerate(idx):
                input_ids[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
            if progress:
                progress(len(idx))
        return _normalize(out)


_EMBEDDERS: dict[tuple, object] = {}  # one loaded model per process and setting


def embedder_key(cfg: EmbedConfig, device: str | None = None) -> tuple:
    """Where `get_embedder` keeps the loaded embedder for `cfg` on `device` (None: the requested one)."""
    from curate.engine.device import requested_device

    return (cfg.model, cfg.backend, cfg.max_seq_length, cfg.batch_size, requested_device(device))


def get_embedder(cfg: EmbedConfig, device: str | None = None):
    """The loaded embedder for `cfg` on `device` (auto | cpu | cuda[:N]; None = $CURATE_DEVICE, else auto).

    auto uses a GPU when the backend can (torch with CUDA; onnxruntime-gpu and an NVIDIA driver),
    else the CPU; cuda without one is a CurateError naming what is missing.
    """
    from curate.engine.device import requested_device, resolve_device

    if cfg.backend not in BACKENDS:
        raise CurateError(f"embed backend '{cfg.backend}' is not one of {', '.join(BACKENDS)}",
                          fix="set stages: {embed: {backend: auto}} in the rules file")
    requested = requested_device(device)
    if cfg.model == "hashing":
        return HashingEmbedder()
    key = embedder_key(cfg, requested)
    if key not in _EMBEDDERS and cfg.backend == STATIC:
        from curate.embed.static import StaticEmbedder

        _EMBEDDERS[key] = StaticEmbedder(Path(resolve_model(cfg.model)), cfg.max_seq_length)
    if key not in _EMBEDDERS:
        path = Path(resolve_model(cfg.model))
        backend = cfg.backend
        if backend == "auto":
            try:
                import onnx  # noqa: F401  (the one-time export)
                import onnxruntime  # noqa: F401
                backend = "onnx" if _mean_pooling_layout(path) else "torch"
            except ImportError:
                backend = "torch"
            if backend == "onnx" and requested != "cpu" and resolve_device("auto", "onnx") == "cpu" \
                    and resolve_device("auto", "torch") != "cpu":
                backend = "torch"  # a GPU that only torch can use beats the CPU: same fp32 model
        if backend.startswith("onnx"):
            if not _mean_pooling_layout(path):
                raise CurateError(f"model {path} is not a mean-pooling sentence-transformers model; "
                                  f"the ONNX backend cannot reproduce it", fix="set backend: torch")
            device = resolve_device(requested, "onnx")
            try:
                emb = OnnxEmbedder(path, cfg.max_seq_length, cfg.batch_size, backend == "onnx-int8", device=device)
            except CurateError:
                if requested != "auto" or device == "cpu":
                    raise
                emb = OnnxEmbedder(path, cfg.max_seq_length, cfg.batch_size, backend == "onnx-int8", device="cpu")
            _EMBEDDERS[key] = emb
        else:
            _EMBEDDERS[key] = TorchEmbedder(path, cfg.max_seq_length, cfg.batch_size,
                                            device=resolve_device(requested, "torch"))
    return _EMBEDDERS[key]


def _advance(progress, n: int) -> None:
    if progress is None or n <= 0:
        return
    (progress.advance if hasattr(progress, "advance") else progress)(n)


def embed_texts(texts: list[str], cfg: EmbedConfig | None = None, *, use_cache: bool = True,
                progress=None) -> np.ndarray:
    """Unit-length vectors for `texts` (n x dim, float32): cached ones are read, the rest encoded once.

    `progress`: a `curate.progress.Progress` (or a callable taking a count) advanced as texts are
    done, so it reaches len(texts); without one, a tqdm bar on a terminal when `show_progress`."""
    cfg = cfg or EmbedConfig()
    emb = get_embedder(cfg)
    keys = [text_key(t) for t in texts]
    cache = VectorCache(emb.key) if use_cache else None
    have = cache.get(list(set(keys))) if cache else {}
    todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in have))  # unique, first-seen order
    share = len(texts) / max(len(todo), 1)  # records per encoded text: duplicates ride along
    count = {"encoded": 0, "done": 0}
    _advance(progress, len(texts) - round(share * len(todo)))  # what the cache already holds

    def tick(n: int) -> None:  # per encoded batch (the ONNX encoder reports each forward pass)
        count["encoded"] += n
        step = round(share * count["encoded"]) - count["done"]
        _advance(progress, step)
        count["done"] += step

    per_batch = progress is not None and "progress" in inspect.signature(emb.encode).parameters
    if todo:
        bar = None
        if progress is None and cfg.show_progress and sys.stderr.isatty() and len(todo) > 200:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="embed", unit="text")
        for s in range(0, len(todo), 4096):  # write to the cache as we go: an interrupted run keeps its work
            chunk = todo[s:s + 4096]
            vecs = emb.encode(chunk, progress=tick) if per_batch else emb.encode(chunk)
            ck = [text_key(t) for t in chunk]
            if cache:
                cache.put(ck, vecs)
            have.update(zip(ck, vecs))
            if bar:
                bar.update(len(chunk))
            if not per_batch:
                tick(len(chunk))
        if bar:
            bar.close()
    if not texts:
        return np.zeros((0, getattr(emb, "dim", 384)), dtype=np.float32)
    return np.stack([have[k] for k in keys]).astype(np.float32)


def embed_tier(cfg: EmbedConfig, n: int) -> str:
    """STATIC when `n` records are embedded by the static tier (backend static, or auto at `static_above`
    records or more), else MODEL. The hashing embedder has no tiers."""
    if cfg.model == "hashing":
        return MODEL
    big = cfg.backend == "auto" and cfg.static_above > 0 and n >= cfg.static_above
    return STATIC if cfg.backend == STATIC or big else MODEL


def tier_config(cfg: EmbedConfig, tier: str) -> EmbedConfig:
    """The config that embeds with `tier` whatever the size: backend static, or the model that decides."""
    return dataclasses.replace(cfg, backend=STATIC) if tier == STATIC else decision_config(cfg)


def decision_config(cfg: EmbedConfig) -> EmbedConfig:
    """The sentence model decisions are made with: the configured backend, fp32 for auto and static."""
    return dataclasses.replace(cfg, backend="auto" if cfg.backend in ("auto", STATIC) else cfg.backend, static_above=0)


@dataclass
class Embeddings:
    """What a stage or check that reads `embedding` gets: this dataset's matrix, and the means to embed
    anything else with the same model, so every consumer sees one model and nothing is encoded twice.

    With the static tier (`tier == "static"`), `vectors`, `of` and `encode` are static vectors, good for
    finding candidates; `exact(texts)` gives the vectors decisions are made on (the fp32 model). With
    the model tier `exact` is `encode`: consumers can call it either way."""

    vectors: np.ndarray  # n x dim float32, unit rows, in dataset order
    config: EmbedConfig  # the embed stage's config (model, side, backend, truncation)
    load_for: object = None  # dataset -> its matrix, by the embed stage (the executor caches it); None: encode here
    _others: dict = field(default_factory=dict, repr=False)
    tier: str = MODEL  # STATIC or MODEL (embed_tier of the config and this dataset's size)

    @property
    def static(self) -> bool:
        return self.tier == STATIC

    def of(self, dataset) -> np.ndarray:
        """The matrix of another dataset (an eval or reference set) in the same tier, computed once."""
        if dataset is None:
            return np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), dtype=np.float32)
        fp = dataset.fingerprint
        if fp not in self._others:
            if self.load_for is not None and embed_tier(self.config, len(dataset)) == self.tier:
                self._others[fp] = self.load_for(dataset)  # the embed stage on that dataset, cached
            else:  # its own size would pick the other tier: vectors must share one space
                batch = dataset.batch(("prompt", "response"))
                self._others[fp] = embed(batch, config=tier_config(self.config, self.tier))["embedding"]
        return self._others[fp]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Other texts in the same tier (cached per text)."""
        return embed_texts(texts, tier_config(self.config, self.tier))

    def exact(self, texts: list[str]) -> np.ndarray:
        """Texts by the model decisions are made with (fp32 unless the backend says otherwise), cached per text."""
        return embed_texts(texts, decision_config(self.config))

    def describe(self) -> dict:
        """Which tier embedded the data, for audit.json and the report."""
        model = self.config.model or "all-MiniLM-L6-v2"
        name = Path(model).name if model != "hashing" else model
        decide = decision_config(self.config).backend
        decide = "fp32" if decide in ("auto", "onnx", "torch") else decide
        text = (f"embedded with the static tier (distilled from {name}), decisions verified with the {decide} model"
                if self.static else f"embedded with {name} ({decide})")
        why = ("backend: static" if self.config.backend == STATIC else
               f"{len(self.vectors):,} records, static_above {self.config.static_above:,}")
        return {"tier": self.tier, "model": name, "backend": self.config.backend, "decisions": decide,
                "static_above": self.config.static_above, "records": int(len(self.vectors)), "text": text,
                "why": why}

    @classmethod
    def view(cls, vectors, config, load_for=None) -> "Embeddings":
        vectors = np.asarray(vectors, dtype=np.float32)
        return cls(vectors, config, load_for, tier=embed_tier(config, len(vectors)))


@register_stage("embed", config=EmbedConfig, artifacts=("embedding",))
def embed(batch: dict[str, list], *, config: EmbedConfig, progress=None) -> dict[str, np.ndarray]:
    """Sentence embedding of each record's prompt (or response), unit length, float32: one n x dim matrix."""
    texts = record_texts(batch, config.side)
    return {"embedding": embed_texts(texts, tier_config(config, embed_tier(config, len(texts))), progress=progress)}


register_artifact_view("embedding", Embeddings.view)
