"""--device auto|cpu|cuda: cpu and auto work without a GPU, cuda without one is a clear error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, sample_file
from curate.embed import encode
from curate.embed.encode import EmbedConfig
from curate.engine import device as dev
from curate.errors import CurateError


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(dev, "_onnx_cuda", lambda: (False, "this onnxruntime has no CUDAExecutionProvider"))
    monkeypatch.setattr(dev, "_torch_cuda", lambda: (False, "torch sees no CUDA GPU"))
    monkeypatch.delenv(dev.ENV, raising=False)


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setattr(dev, "_onnx_cuda", lambda: (True, ""))
    monkeypatch.setattr(dev, "_torch_cuda", lambda: (True, ""))
    monkeypatch.delenv(dev.ENV, raising=False)


@pytest.mark.parametrize("requested,backend,expected", [
    ("cpu", "onnx", "cpu"), ("auto", "onnx", "cpu"), (None, "torch", "cpu"), ("AUTO", "torch", "cpu"),
], ids=["cpu", "auto-onnx", "default-torch", "case"])
def test_without_gpu_cpu_and_auto_give_cpu(no_gpu, requested, backend, expected):
    assert dev.resolve_device(requested, backend) == expected


@pytest.mark.parametrize("requested,backend,expected", [
    ("auto", "onnx", "cuda"), ("cuda", "torch", "cuda"), ("cuda:1", "onnx", "cuda:1"), ("cpu", "torch", "cpu"),
], ids=["auto-onnx", "cuda-torch", "cuda-index", "cpu-stays-cpu"])
def test_with_gpu_auto_takes_it(gpu, requested, backend, expected):
    assert dev.resolve_device(requested, backend) == expected


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_cuda_without_gpu_is_an_error_naming_what_is_missing(no_gpu, backend):
    with pytest.raises(CurateError, match="no CUDA device") as e:
        dev.resolve_device("cuda", backend)
    assert "--device cpu" in e.value.fix


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_is_an_error(bad):
    with pytest.raises(CurateError, match="not one of auto, cpu, cuda"):
        dev.requested_device(bad)


def test_env_carries_the_cli_choice(no_gpu, monkeypatch):
    monkeypatch.setenv(dev.ENV, "cuda")
    with pytest.raises(CurateError):
        dev.resolve_device(None, "onnx")
    monkeypatch.setenv(dev.ENV, "cpu")
    assert dev.resolve_device(None, "onnx") == "cpu"


class FakeEmbedder:
    def __init__(self, path, max_seq_length, batch_size, *args, device="cpu"):
        self.device = device


@pytest.mark.parametrize("requested,gpu_here,backend,expected", [
    ("auto", False, "onnx", ("OnnxEmbedder", "cpu")),
    ("cpu", True, "onnx", ("OnnxEmbedder", "cpu")),
    ("auto", True, "onnx", ("OnnxEmbedder", "cuda")),
    ("cuda", True, "torch", ("TorchEmbedder", "cuda")),
], ids=["auto-no-gpu", "cpu-with-gpu", "auto-gpu", "cuda-torch"])
def test_get_embedder_loads_the_model_on_the_resolved_device(monkeypatch, requested, gpu_here, backend, expected):
    monkeypatch.setattr(dev, "_onnx_cuda", lambda: (gpu_here, "" if gpu_here else "none"))
    monkeypatch.setattr(dev, "_torch_cuda", lambda: (gpu_here, "" if gpu_here else "none"))
    monkeypatch.setattr(encode, "_EMBEDDERS", {})
    made = []
    for cls in ("OnnxEmbedder", "TorchEmbedder"):
        monkeypatch.setattr(encode, cls, type(cls, (FakeEmbedder,), {"__init__": (
            lambda self, *a, _c=cls, **k: (made.append(_c), FakeEmbedder.__init__(self, *a, **k))[-1])}))
    emb = encode.get_embedder(EmbedConfig(backend=backend), device=requested)
    assert (made[-1], emb.device) == expected


def test_get_embedder_cuda_without_gpu_fails_before_loading_a_model(no_gpu, monkeypatch):
    monkeypatch.setattr(encode, "_EMBEDDERS", {})
    monkeypatch.setattr(encode, "OnnxEmbedder", lambda *a, **k: pytest.fail("model loaded"))
    with pytest.raises(CurateError, match="--device cuda"):
        encode.get_embedder(EmbedConfig(backend="onnx"), device="cuda")


def test_cli_device_cuda_without_gpu_exits_2_before_reading_data(tmp_path):
    import curate.engine.device as d

    if d._onnx_cuda()[0] or d._torch_cuda()[0]:
        pytest.skip("this machine has a CUDA GPU")
    r = subprocess.run([sys.executable, "-m", "curate", "audit", str(sample_file("support_sft.jsonl")),
                        "--device", "cuda", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 2, r.stderr
    assert "no CUDA device" in r.stderr + r.stdout and "Traceback" not in r.stderr


def test_the_ray_encoder_takes_the_slot_get_embedder_reads(monkeypatch):
    # RayEngine.encoder used a 4-field key while get_embedder looks up 5 (with the device): the
    # driver loaded its own model and encoded everything locally, never on the actor pool
    from curate.engine.ray_engine import RayEmbedder, RayEngine

    monkeypatch.setattr(encode, "_EMBEDDERS", {})
    monkeypatch.delenv("CURATE_DEVICE", raising=False)
    engine = RayEngine.__new__(RayEngine)
    cfg = encode.EmbedConfig(model="/nonexistent/model")  # loading it locally would fail
    with engine.encoder(cfg):
        assert isinstance(encode.get_embedder(cfg), RayEmbedder)
    assert not encode._EMBEDDERS
