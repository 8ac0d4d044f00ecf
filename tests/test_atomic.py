"""Concurrent writers of the same cache entry or model folder never trip over each other's temp files."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from curate.atomic import publish
from curate.atomic import tmp_path as tmp_path_fn
from curate.load import load_dataset
from curate.stages import Stage, run_stage


@dataclass
class _Cfg:
    n: int = 1  # unused


def _stage(rows, *, config):
    return {"length": [len(p or "") for p in rows["prompt"]]}


def test_two_audits_writing_the_same_cache_entry_at_once_both_succeed(tmp_path, monkeypatch):
    """Reproduces the race: a second run writes and publishes the same entry while the first is mid-write."""
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "response": "b"}\n{"prompt": "cc", "response": "d"}\n')
    ds = load_dataset(data)
    stage = Stage("race_probe", _stage, _Cfg, ("length",))
    real = pd.DataFrame.to_parquet
    nested = {"done": False}

    def to_parquet_with_a_concurrent_writer(self, path, *a, **k):
        real(self, path, *a, **k)
        if not nested["done"]:  # the other audit runs between our write and our rename
            nested["done"] = True
            run_stage(stage, ds)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet_with_a_concurrent_writer)
    df, _ = run_stage(stage, ds)
    assert list(df["length"]) == [1, 2]
    cached, run = run_stage(stage, ds)
    assert run.cached and list(cached["length"]) == [1, 2]
    assert not list(tmp_path.rglob("*.tmp")), "no temp file is left behind"


def test_temp_names_are_unique_per_call(tmp_path):
    target = tmp_path / "model"
    assert tmp_path_fn(target) != tmp_path_fn(target)
    assert tmp_path_fn(target).parent == tmp_path, "same folder, so the rename is atomic"


def test_a_folder_published_second_keeps_the_first_and_cleans_up(tmp_path):
    target = tmp_path / "gemma"
    first, second = tmp_path_fn(target), tmp_path_fn(target)
    for d, tag in ((first, "a"), (second, "b")):
        d.mkdir()
        (d / "config.json").write_text(tag)
    publish(first, target)
    publish(second, target)
    assert (target / "config.json").read_text() == "a"
    assert not second.exists()
