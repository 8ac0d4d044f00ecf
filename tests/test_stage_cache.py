"""The stage cache holds no raw PII from ids and labels, yet a cached run gives exactly what a fresh one did;
`curate cache info` / `clear` show and remove it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from curate.cli import main
from curate.load import load_dataset
from curate.stages import Stage, run_stage
from leak_scan import scan_tree

EMAIL = "jane.doe@doeshop.org"
LABEL = "owner: dave.lee@leeworks.com"


@dataclass
class NoConfig:
    pass


def _quote_names(batch, *, config):
    """A stage that quotes ids and labels the way dedup, leakage and label_issues do."""
    ids = batch["id"]
    return {"dup_of": [ids[0] if i else None for i in range(len(ids))],
            "neighbours": [[{"id": i, "label": lab}] for i, lab in zip(ids, batch["label"])],
            "evidence": [f"same as {ids[0]} (label {lab})" for lab in batch["label"]],
            "label_suggested": list(batch["label"]),
            "score": [0.5] * len(ids)}


STAGE = Stage("_quote_names", _quote_names, NoConfig, ("dup_of", "neighbours", "evidence", "label_suggested", "score"),
              version="test")


@pytest.fixture
def labelled(tmp_path) -> Path:
    p = tmp_path / "d.jsonl"
    rows = [{"id": f"user-{EMAIL}", "text": "my bill is wrong", "label": LABEL},
            {"id": "r2", "text": "router keeps dropping", "label": "tech"},
            {"id": "r3", "text": "cancel my plan", "label": LABEL}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_cached_run_equals_fresh_run_and_stores_no_raw_names(labelled):
    ds = load_dataset(labelled)
    fresh, run1 = run_stage(STAGE, ds)
    cached, run2 = run_stage(STAGE, ds)
    assert (run1.cached, run2.cached) == (False, True)
    assert cached.to_dict("list") == fresh.to_dict("list")
    assert fresh["dup_of"][1] == f"user-{EMAIL}" and fresh["label_suggested"][0] == LABEL  # checks see real names
    root = Path(os.environ["CURATE_CACHE_DIR"])
    assert scan_tree(root, [EMAIL, "dave.lee@leeworks.com"]) == []
    entry = next(root.glob(f"{ds.fingerprint[:16]}/_quote_names-*.parquet"))
    import pyarrow.parquet as pq

    assert "id" not in pq.read_table(entry).column_names  # the dataset gives the ids back
    assert oct(entry.parent.stat().st_mode & 0o777) == oct(0o700)


def test_old_cache_entries_with_an_id_column_still_load(labelled):
    ds = load_dataset(labelled)
    fresh, _ = run_stage(STAGE, ds)
    entry = next(Path(os.environ["CURATE_CACHE_DIR"]).glob(f"{ds.fingerprint[:16]}/_quote_names-*.parquet"))
    fresh.to_parquet(entry, index=False)  # as written before ids were left out
    cached, run = run_stage(STAGE, ds)
    assert run.cached and cached.to_dict("list") == fresh.to_dict("list")


def test_cache_info_and_clear(labelled, capsys):
    ds = load_dataset(labelled)
    run_stage(STAGE, ds)
    root = Path(os.environ["CURATE_CACHE_DIR"])
    models = root / "models"
    models.mkdir(exist_ok=True)
    (models / "keep.txt").write_text("model")
    assert main(["cache", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert ds.fingerprint[:16] in [d["fingerprint"] for d in info["datasets"]]
    assert main(["cache", "clear", "--dataset", "ffffffff"]) == 2  # unknown fingerprint: said, nothing removed
    assert (root / ds.fingerprint[:16]).exists()
    assert main(["cache", "clear", "--dataset", ds.fingerprint[:8]]) == 0
    assert not (root / ds.fingerprint[:16]).exists()
    run_stage(STAGE, ds)
    assert main(["cache", "clear"]) == 0
    assert not (root / ds.fingerprint[:16]).exists() and not (root / "embeddings").exists()
    assert (models / "keep.txt").exists()  # models hold no data: kept unless --all


def test_cache_clear_all_unlinks_a_shared_models_folder_without_emptying_it(tmp_path, monkeypatch):
    shared = tmp_path / "shared-models"
    shared.mkdir()
    (shared / "m.bin").write_text("x")
    root = tmp_path / "cache"
    root.mkdir()
    (root / "models").symlink_to(shared)
    monkeypatch.setenv("CURATE_CACHE_DIR", str(root))
    assert main(["cache", "clear", "--all"]) == 0
    assert not (root / "models").exists() and (shared / "m.bin").exists()


def _matrix(batch, *, config):
    n = len(batch["id"])
    return {"vectors": np.arange(n * 8, dtype=np.float32).reshape(n, 8), "norm": [1.0] * n}


MATRIX = Stage("_matrix", _matrix, NoConfig, ("norm",), version="test", artifacts=("vectors",))


@pytest.mark.parametrize("limit, mapped", [(1 << 40, False), (16, True)], ids=["small-in-memory", "large-memory-mapped"])
def test_a_large_cached_artifact_is_memory_mapped(labelled, tmp_path, monkeypatch, limit, mapped):
    import curate.stages as stages

    monkeypatch.setattr(stages, "MMAP_BYTES", limit)
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "own-cache"))
    ds = load_dataset(labelled)
    _, cold = run_stage(MATRIX, ds)
    _, warm = run_stage(MATRIX, ds)
    assert warm.cached and not cold.cached
    for run in (cold, warm):
        v = run.artifacts["vectors"]
        assert isinstance(v, np.memmap) == mapped
        np.testing.assert_array_equal(v, np.arange(24, dtype=np.float32).reshape(3, 8))
