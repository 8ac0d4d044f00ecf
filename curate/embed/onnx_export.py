"""Export a mean-pooling sentence-transformers model to ONNX once, and quantise it to int8.

The export is offline (from the local model directory) and cached under
`$CURATE_CACHE_DIR/models/onnx/<model>-<fingerprint>/`. The int8 model is kept only if a probe set
of sentences keeps mean cosine >= 0.99 to the fp32 torch model (the accuracy bar bench/embed.py
measures on real texts); otherwise the fp32 ONNX model is used and the verdict is remembered.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from curate.atomic import discard, publish, tmp_path
from curate.models import models_dir

MIN_INT8_COSINE = 0.99
PROBE = [
    "How do I reset my password?", "my card was stolen yesterday, what should I do",
    "Why was I charged a fee for an international transfer?", "Can I open a joint account with my partner?",
    "The app crashes every time I open the statements page on Android.",
    "Write a short poem about the sea.", "Translate 'good morning' into French.",
    "What is the capital of Australia and why is it not Sydney?",
    "Summarise the following meeting notes in three bullet points: budget approved, hiring paused, launch in May.",
    "def add(a, b): return a + b  # explain this function", "refund", "I want to close my account because of the fees",
    "Explain the difference between a debit card and a credit card to a teenager, with an example of each.",
    "hola, necesito ayuda con mi cuenta", "Is it safe to share my one-time passcode with a support agent?",
    "List three healthy breakfast ideas that take under five minutes.",
]


def _out_dir(path: Path) -> Path:
    from curate.embed.encode import _model_fingerprint

    return models_dir() / "onnx" / f"{path.name}-{_model_fingerprint(path)}"


def _export_fp32(path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    enc = tok(["a short one", "and a somewhat longer example sentence"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in enc]

    class Hidden(torch.nn.Module):  # positional inputs in a fixed order; output = last hidden state
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args))).last_hidden_state

    tmp = tmp_path(target)  # a name of our own: two first runs may export at once
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            # the TorchScript exporter: dynamic batch and sequence axes without onnxscript
            torch.onnx.export(Hidden(model), tuple(enc[n] for n in names), str(tmp), input_names=names,
                              output_names=["hidden"], opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names},
                                            "hidden": {0: "batch", 1: "seq"}})
        publish(tmp, target)
    finally:
        discard(tmp)


def _quantize(src: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = tmp_path(target)
    # per-channel weights keep MiniLM's embeddings within ~0.007 cosine of fp32 (per-tensor: ~0.05)
    try:
        quantize_dynamic(str(src), str(tmp), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        publish(tmp, target)
    finally:
        discard(tmp)


def export(path: Path, quantized: bool) -> tuple[Path, str]:
    """(onnx file, "int8" | "fp32"): the model file the ONNX backend should load."""
    out = _out_dir(path)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model.onnx"
    if not fp32.exists():
        _export_fp32(path, fp32)
    if not quantized:
        return fp32, "fp32"
    int8, verdict_file = out / "model_int8.onnx", out / "int8_verdict.json"
    if not int8.exists():
        _quantize(fp32, int8)
    if not verdict_file.exists():
        verdict_file.write_text(json.dumps({"mean_cosine": _probe_cosine(path, int8), "min": MIN_INT8_COSINE}))
    verdict = json.loads(verdict_file.read_text())
    return (int8, "int8") if verdict["mean_cosine"] >= MIN_INT8_COSINE else (fp32, "fp32")


def _probe_cosine(path: Path, int8: Path) -> float:
    from curate.embed.encode import OnnxEmbedder, TorchEmbedder

    ref = TorchEmbedder(path, 256, 32).encode(PROBE)
    q = OnnxEmbedder.__new__(OnnxEmbedder)  # the int8 file directly, without re-entering export()
    import onnxruntime as ort
    from transformers import AutoTokenizer

    q.tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    q.session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    q.inputs = {i.name for i in q.session.get_inputs()}
    q.max_seq_length, q.batch_size = 256, 32
    return float(np.mean(np.sum(ref * q.encode(PROBE), axis=1)))
