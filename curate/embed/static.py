"""The static tier: one vector per vocabulary token, distilled from the sentence model; a text is the
mean of its tokens' vectors. For large data it *retrieves* candidates; the fp32 model *decides*.

Distillation is model2vec's method (Tulkens & van Dongen 2024, github.com/MinishLab/model2vec),
written out here because `model2vec[distill]` pins older transformers/tokenizers:
1. every token of the model's tokenizer vocabulary (without `[unused*]` and special tokens) goes
   through the transformer alone, as `[CLS] tok [SEP]`, and its output is mean-pooled over those
   positions (what the sentence model's mean pooling does to a one-token text);
2. PCA of the token vectors to `dims` (256) components (numpy `eigh` of the covariance);
3. SIF weighting by Zipf rank (token id order stands in for frequency, as in model2vec):
   p_r ∝ 1 / (r + 2), w_r = 1e-4 / (1e-4 + p_r), so frequent tokens ("the", "?") weigh little.
The result, an n_vocab x dims float32 matrix (rows by the tokenizer's ids, zero for dropped tokens)
and the tokenizer, is written once per model under `$CURATE_CACHE_DIR/models/static/<model>-<fingerprint>/`
(published whole by a rename, under `curate.models.conversion_lock`): ~30 s for all-MiniLM-L6-v2 on
2 cores, offline, from the local model directory.

Encoding: the tokenizer without special tokens, truncated to what the transformer sees of the text
(max_seq_length - 2 tokens), then a sparse (texts x vocab) count matrix times the token matrix, and
L2 normalisation (the mean and the sum have the same direction). ~27,000 texts/s on 2 cores against
~57 for the fp32 transformer; its cosines are a coarser copy of the fp32 ones (bench/embed_tiers.py),
good for finding candidates, not for deciding (curate/embed/semantic.py, coverage.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from curate.atomic import discard, publish, tmp_path
from curate.models import conversion_lock, models_dir

DIMS = 256  # PCA components kept (model2vec's default)
SIF = 1e-4  # SIF coefficient a in a / (a + p)
UNUSED = re.compile(r"\[unused\d+\]")
FORMAT = 1  # bump when the files written change shape


def static_dir(path: Path) -> Path:
    from curate.embed.encode import _model_fingerprint

    return models_dir() / "static" / f"{path.name}-{_model_fingerprint(path)}-{DIMS}"


def _special_ids(tok) -> set[int]:
    return {i for i, t in tok.get_added_tokens_decoder().items() if t.special}


def _wrap(tok) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a text ([CLS] / [SEP] for BERT)."""
    enc = tok.encode("a", add_special_tokens=True)
    mask = enc.special_tokens_mask
    body = [i for i, m in enumerate(mask) if not m]
    if not body:
        return [t for t, m in zip(enc.ids, mask) if m], []
    return enc.ids[:body[0]], enc.ids[body[-1] + 1:]


def token_rows(tok) -> np.ndarray:
    """Ids of the tokens that get a vector, in id order (their Zipf rank)."""
    special = _special_ids(tok)
    vocab = tok.get_vocab(with_added_tokens=False)
    return np.array(sorted(i for t, i in vocab.items() if i not in special and not UNUSED.fullmatch(t)), dtype=np.int64)


def token_vectors(path: Path, tok, ids: np.ndarray, batch: int = 512) -> np.ndarray:
    """The transformer's mean-pooled output for each token alone, `[CLS] tok [SEP]` (float64)."""
    import torch
    from transformers import AutoModel

    from curate.embed.encode import _threads

    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    torch.set_num_threads(_threads())  # once per model: every core ($CURATE_THREADS in a worker)
    pre, post = _wrap(tok)
    seq = torch.tensor([[*pre, 0, *post]] * min(batch, len(ids)), dtype=torch.long)
    pos = len(pre)
    out = np.zeros((len(ids), model.config.hidden_size), dtype=np.float64)
    with torch.inference_mode():
        for s in range(0, len(ids), batch):
            chunk = torch.from_numpy(ids[s:s + batch])
            x = seq[:len(chunk)].clone()
            x[:, pos] = chunk
            hidden = model(input_ids=x, attention_mask=torch.ones_like(x), token_type_ids=torch.zeros_like(x))[0]
            out[s:s + len(chunk)] = hidden.float().mean(1).numpy()
    return np.nan_to_num(out)


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """x projected on its `dims` principal axes (all axes when it has fewer), signs fixed as model2vec does."""
    dims = min(dims, x.shape[1])
    if dims >= x.shape[0]:
        return x
    xc = x - x.mean(0)
    vals, vecs = np.linalg.eigh(xc.T @ xc / max(len(x) - 1, 1))
    scores = xc @ vecs[:, ::-1][:, :dims]
    sign = np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(dims)])
    return scores * np.where(sign == 0, 1.0, sign)


def sif_weights(n: int, a: float = SIF) -> np.ndarray:
    p = 1.0 / np.arange(2, n + 2)
    return a / (a + p / p.sum())


def distill(path: Path, out: Path, *, dims: int = DIMS) -> None:
    """Write `vectors.npy` (vocab x dims float32), `tokenizer.json` and `meta.json` into `out`."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.no_padding()  # sentence-transformers' tokenizer.json may pad every text to 128
    ids = token_rows(tok)
    if not len(ids):
        from curate.errors import CurateError

        raise CurateError(f"model {path}: its tokenizer has no ordinary tokens to distil",
                          fix="set stages: {embed: {static_above: 0}} to embed with the model itself")
    emb = pca(token_vectors(path, tok, ids), dims) * sif_weights(len(ids))[:, None]
    size = max(tok.get_vocab_size(with_added_tokens=True), int(ids.max()) + 1)
    mat = np.zeros((size, emb.shape[1]), dtype=np.float32)
    mat[ids] = emb
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", mat)
    (out / "tokenizer.json").write_bytes((path / "tokenizer.json").read_bytes())
    (out / "meta.json").write_text(json.dumps({"format": FORMAT, "model": path.name, "dims": int(emb.shape[1]),
                                               "tokens": int(len(ids)), "sif": SIF, "method": "model2vec"}))


def distilled(path: Path) -> Path:
    """The distilled model of `path`, made once (another process's finished copy is reused)."""
    out = static_dir(path)
    if (out / "meta.json").exists():
        return out
    with conversion_lock(f"static-{out.name}"):
        if (out / "meta.json").exists():
            return out
        if not (path / "tokenizer.json").exists():
            from curate.errors import CurateError

            raise CurateError(f"model {path} has no tokenizer.json; the static tier needs a fast tokenizer",
                              fix="set stages: {embed: {backend: onnx}} (or static_above: 0)")
        tmp = tmp_path(out)
        try:
            distill(path, tmp)
            out.parent.mkdir(parents=True, exist_ok=True)
            publish(tmp, out)
        except BaseException:
            discard(tmp)
            raise
    return out


class StaticEmbedder:
    """Texts -> unit vectors by the distilled token matrix (see the module docstring)."""

    def __init__(self, path: Path, max_seq_length: int):
        from tokenizers import Tokenizer

        from curate.embed.encode import _model_fingerprint

        d = distilled(path)
        self.vectors = np.load(d / "vectors.npy")
        self.dim = int(self.vectors.shape[1])
        self.tok = Tokenizer.from_file(str(d / "tokenizer.json"))
        self.tok.no_padding()
        pre, post = _wrap(self.tok)
        self.max_tokens = max(1, max_seq_length - len(pre) - len(post))  # what the transformer sees of the text
        self.tok.enable_truncation(self.max_tokens)
        self.max_chars = self.max_tokens * 32  # cut very long texts before tokenising (a token is far shorter)
        self.source = path.name
        self.key = f"{path.name}-{_model_fingerprint(path)}-static{self.dim}-{max_seq_length}"

    def encode(self, texts: list[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self.tok.encode_batch([t[:self.max_chars] for t in texts], add_special_tokens=False)
        lens = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=n)
        flat = np.fromiter((i for e in enc for i in e.ids), dtype=np.int64, count=int(lens.sum()))
        rows = np.repeat(np.arange(n), lens)
        counts = csr_matrix((np.ones(len(flat), dtype=np.float32), (rows, flat)), shape=(n, len(self.vectors)))
        v = np.asarray(counts @ self.vectors, dtype=np.float32)  # unknown and special ids have zero rows
        return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)
