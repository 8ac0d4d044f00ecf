"""Which device a model runs on: `--device auto|cpu|cuda` (or `cuda:N`).

`resolve_device(requested, backend)` turns the request into "cpu" or "cuda[:N]" for one backend:
- "cpu": always the CPU.
- "cuda": the GPU, or a `CurateError` saying what is missing (no GPU, or an onnxruntime without the
  CUDA provider, which comes with the `onnxruntime-gpu` package).
- "auto": "cuda" when that would work, else "cpu"; never an error.
The request comes from the argument, else `$CURATE_DEVICE` (what `curate audit --device` sets), else
"auto". Nothing here imports torch unless the torch backend asks, or an onnxruntime with the CUDA
provider needs to know whether a GPU is really there.
"""

from __future__ import annotations

import os

from curate.errors import CurateError

DEVICES = ("auto", "cpu", "cuda")
ENV = "CURATE_DEVICE"


def requested_device(requested: str | None = None) -> str:
    dev = (requested or os.environ.get(ENV) or "auto").strip().lower()
    if dev.split(":", 1)[0] not in DEVICES or (":" in dev and not (dev.startswith("cuda:") and dev[5:].isdigit())):
        raise CurateError(f"device '{dev}' is not one of auto, cpu, cuda (or cuda:N)",
                          fix="pass --device auto (GPU when there is one), --device cpu or --device cuda")
    return dev


def _torch_cuda() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "torch is not installed"
    if not torch.cuda.is_available():
        return False, "torch sees no CUDA GPU" + ("" if torch.version.cuda else " (this torch is a CPU-only build)")
    return True, ""


def _onnx_cuda() -> tuple[bool, str]:
    try:
        import onnxruntime as ort
    except ImportError:
        return False, "onnxruntime is not installed"
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False, "this onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu in place of onnxruntime)"
    # the provider is compiled in whether or not a GPU is there: ask the driver
    if os.path.exists("/dev/nvidiactl") or os.path.exists("/proc/driver/nvidia/version"):
        return True, ""
    ok, why = _torch_cuda()
    return ok, why or "no NVIDIA driver found"


def resolve_device(requested: str | None, backend: str) -> str:
    """"cpu" or "cuda[:N]" for `backend` ("torch" or "onnx"/"onnx-int8"); see the module doc."""
    dev = requested_device(requested)
    if dev == "cpu":
        return "cpu"
    ok, why = _torch_cuda() if backend == "torch" else _onnx_cuda()
    if ok:
        return "cuda" if dev == "auto" else dev
    if dev == "auto":
        return "cpu"
    raise CurateError(f"--device {dev}: no CUDA device for the {backend} embedding backend: {why}",
                      fix="run with --device cpu (or --device auto, which uses a GPU only when there is one)")


def check_device(requested: str | None) -> str:
    """Fail now, not after a long audit, when `cuda` is asked for and no model backend can use one."""
    dev = requested_device(requested)
    if dev == "auto" or dev == "cpu":
        return dev
    ok_onnx, why_onnx = _onnx_cuda()
    if ok_onnx:
        return dev
    ok_torch, why_torch = _torch_cuda()
    if ok_torch:
        return dev
    raise CurateError(f"--device {dev}: no CUDA device: {why_torch}; {why_onnx}",
                      fix="run with --device cpu (or --device auto, which uses a GPU only when there is one)")
