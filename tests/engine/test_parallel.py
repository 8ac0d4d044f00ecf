"""map_row_local: the same output for any number of workers, errors named, one model load per worker."""

from __future__ import annotations

import os
import time

import pytest

from conftest import sample_file
from curate.engine import parallel
from curate.engine.parallel import StageFailed, _cgroup_cpu_quota, map_row_local
from curate.errors import CurateError, DataError


class Counter:
    def __init__(self):
        self.rows, self.calls = 0, 0

    def advance(self, n=1):
        self.rows += n
        self.calls += 1


def _sample_batch():
    from curate.load import load_dataset

    batch = load_dataset(sample_file("support_sft.jsonl")).batch()
    return {k: v[:300] for k, v in batch.items()}


@pytest.mark.parametrize("stage_name", ["hygiene", "structure"])
def test_same_output_for_one_and_two_workers(stage_name):
    import curate.content.hygiene  # noqa: F401  (registers the stages)
    import curate.content.structure  # noqa: F401
    from curate.stages import STAGES

    stage = STAGES[stage_name]
    batch = _sample_batch()
    n = len(batch["id"])
    cfg = stage.config()
    assert n >= 100, "sample data too small to split"
    one = map_row_local(stage.fn, batch, config=cfg, workers=1, progress=Counter(), chunk_rows=n // 4)
    two_progress = Counter()
    two = map_row_local(stage.fn, batch, config=cfg, workers=2, progress=two_progress, chunk_rows=n // 4)
    whole = stage.fn(batch, config=cfg)
    assert one == whole
    assert two == whole
    assert two_progress.rows == n and two_progress.calls >= 4


def _tag_rows(batch, *, config):
    return {"x2": [v * 2 for v in batch["v"]], "pid": [os.getpid()] * len(batch["v"])}


def test_order_kept_and_work_shared():
    batch = {"v": list(range(1000))}
    out = map_row_local(_tag_rows, batch, config=None, workers=2, chunk_rows=50)
    assert out["x2"] == [2 * v for v in range(1000)]
    assert os.getpid() not in out["pid"]  # ran in workers


def test_small_input_and_one_worker_stay_in_process():
    for batch, workers, chunk in [({"v": list(range(10))}, 4, 100), ({"v": list(range(500))}, 1, 50)]:
        out = map_row_local(_tag_rows, batch, config=None, workers=workers, chunk_rows=chunk)
        assert set(out["pid"]) == {os.getpid()}


def test_empty_input_keeps_columns():
    assert map_row_local(_tag_rows, {"v": []}, config=None, workers=2) == {"x2": [], "pid": []}


_LOADS = {"n": 0, "model": None}


def _uses_model(batch, *, config):
    if _LOADS["model"] is None:  # as curate's module-level model caches do
        _LOADS["n"] += 1
        _LOADS["model"] = object()
    return {"loads": [_LOADS["n"]] * len(batch["v"]), "pid": [os.getpid()] * len(batch["v"])}


def test_one_model_load_per_worker_not_per_chunk():
    out = map_row_local(_uses_model, {"v": list(range(400))}, config=None, workers=2, chunk_rows=20)  # 20 chunks
    assert set(out["loads"]) == {1}  # every chunk saw the model its process loaded once
    assert len(set(out["pid"])) <= 2


def _fails_on_13(batch, *, config):
    if 13 in batch["v"]:
        raise ValueError("boom at 13")
    return {"v": batch["v"]}


def _bad_record(batch, *, config):
    if 13 in batch["v"]:
        raise DataError("data.jsonl", "line 14", "no prompt", fix="add a prompt")
    return {"v": batch["v"]}


def _wrong_length(batch, *, config):
    return {"v": batch["v"][:-1]}


@pytest.mark.parametrize("fn,exc,words", [
    (_fails_on_13, StageFailed, ["stage '_fails_on_13'", "rows 10-19", "ValueError: boom at 13"]),
    (_bad_record, CurateError, ["data.jsonl, line 14: no prompt", "fix: add a prompt"]),
    (_wrong_length, StageFailed, ["returned 9 values for column 'v'"]),
], ids=["worker-exception-named", "bad-input-stays-curate-error", "wrong-row-count"])
def test_worker_error_surfaces_in_parent(fn, exc, words):
    with pytest.raises(exc) as info:
        map_row_local(fn, {"v": list(range(100))}, config=None, workers=2, chunk_rows=10, name=None)
    for w in words:
        assert w in str(info.value)


def _one_chunk_fails_the_other_never_returns(batch, *, config):
    if 0 in batch["v"]:
        time.sleep(0.5)  # the other worker is stuck by then
        raise ValueError("boom")
    time.sleep(3600)


def test_an_error_kills_a_worker_that_never_returns_instead_of_waiting_for_it():
    started = time.monotonic()
    with pytest.raises(StageFailed, match="boom"):
        map_row_local(_one_chunk_fails_the_other_never_returns, {"v": list(range(20))}, config=None, workers=2,
                      chunk_rows=10)
    assert time.monotonic() - started < 60  # not the hour the stuck chunk would take


@pytest.mark.parametrize("files,expected", [
    ({"cpu.max": "200000 100000\n"}, 2.0),
    ({"cpu.max": "150000 100000\n"}, 1.5),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3.0),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
], ids=["v2-two-cpus", "v2-fraction", "v2-unlimited", "v1-three-cpus", "v1-unlimited", "no-cgroup"])
def test_a_cgroup_cpu_quota_is_read(tmp_path, files, expected):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert _cgroup_cpu_quota(str(tmp_path)) == expected


def test_cores_are_capped_by_the_quota_not_the_hosts_count(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    monkeypatch.setattr(parallel, "_cgroup_cpu_quota", lambda: 1.5)
    assert parallel.cpu_count() == 2
    monkeypatch.setattr(parallel, "_cgroup_cpu_quota", lambda: None)
    assert parallel.cpu_count() == 64


def test_every_core_when_workers_is_zero():
    out = map_row_local(_tag_rows, {"v": list(range(100))}, config=None, workers=0, chunk_rows=10)
    assert out["x2"] == [2 * v for v in range(100)]


_AFTER_A_MODEL = """
import sys
from curate.embed.encode import EmbedConfig, get_embedder
from curate.engine.parallel import map_row_local

for backend in ("onnx", "torch"):
    get_embedder(EmbedConfig(backend=backend, show_progress=False)).encode(["the parent has a loaded, used embedder"])

def double(batch, *, config):
    return {"x2": [v * 2 for v in batch["v"]]}

out = map_row_local(double, {"v": list(range(400))}, config=None, workers=2, chunk_rows=50)
sys.exit(0 if out["x2"] == [2 * v for v in range(400)] else 3)
"""


@pytest.mark.slow
def test_workers_forked_from_a_process_with_a_loaded_embedder_finish():
    """A forked worker used to drop its copy of the parent's embedder, and the copy's destructor waited
    forever for threads that exist only in the parent: the whole audit hung."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    try:
        done = subprocess.run([sys.executable, "-c", _AFTER_A_MODEL], env=env, timeout=180, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        pytest.fail("map_row_local hung in workers forked after the parent loaded an embedder")
    assert done.returncode == 0, done.stderr[-2000:]


# ---- a stage's setup: the model loaded once, in the parent, inherited by the forked workers --------

_PARENT_MODEL: dict = {}


def _load_model(config) -> None:
    if "model" not in _PARENT_MODEL:
        _PARENT_MODEL["model"] = {"loaded_in": os.getpid(), "config": config}


def _reads_model(batch, *, config):
    _load_model(config)  # what the stage does when no setup ran: load on first use, in this process
    n = len(batch["id"])
    return {"loaded_in": [_PARENT_MODEL["model"]["loaded_in"]] * n, "ran_in": [os.getpid()] * n}


@pytest.mark.parametrize("with_setup,loaded_in_parent", [(True, True), (False, False)],
                         ids=["setup-loads-once-in-parent", "without-setup-each-worker-loads"])
def test_stage_setup_runs_in_the_parent_before_the_fork(tmp_path, with_setup, loaded_in_parent):
    import json
    from dataclasses import dataclass

    from curate.load import load_dataset
    from curate.stages import Stage, run_stage

    @dataclass
    class Cfg:
        size: int = 3

    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps({"id": f"r{i}", "prompt": f"question {i}", "response": "ok."}) + "\n"
                         for i in range(2500)))  # three chunks of 1024 rows: a pool of two workers runs
    stage = Stage("model_user", _reads_model, Cfg, ("loaded_in", "ran_in"), row_local=True,
                  setup=_load_model if with_setup else None)
    _PARENT_MODEL.clear()
    try:
        df, _ = run_stage(stage, load_dataset(p), num_proc=2, use_cache=False)
    finally:
        _PARENT_MODEL.clear()
    assert os.getpid() not in set(df["ran_in"])  # the rows ran in workers
    assert (set(df["loaded_in"]) == {os.getpid()}) == loaded_in_parent
