"""The run registry: where it lives, what it records, and when scoring a test set again warns."""

from __future__ import annotations


import pytest

from train import registry
from train.run import RunManifest


def _run(tmp_path, name: str, weights: bytes = b"w1", config: dict | None = None):
    d = tmp_path / name
    (d / "adapter").mkdir(parents=True)
    (d / "adapter" / "adapter_model.safetensors").write_bytes(weights)
    m = RunManifest(task="classification", base_model="tiny", config=config or {"lr": 1e-4})
    m.save(d)
    return d, m




class _DS:
    def __init__(self, fp="f" * 64, name="test"):
        self.fingerprint, self.path, self.name = fp, f"/data/{name}.csv", name

    def __len__(self):
        return 3


def test_location_follows_curate_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_HOME", str(tmp_path / "h"))
    assert registry.registry_path() == tmp_path / "h" / "registry.sqlite"
    monkeypatch.delenv("CURATE_HOME")
    assert registry.registry_path().parts[-2:] == (".curate", "registry.sqlite")


@pytest.mark.parametrize("second,expected", [
    pytest.param("other-run", "already scored for 1 other run(s) (a)", id="new-run-is-selection"),
    pytest.param("retrained", "this run directory with different weights", id="same-dir-new-weights"),
    pytest.param("same", "already scored 1 time(s) for these same weights", id="same-weights-rescore"),
])
def test_second_scoring_warns(tmp_path, second, expected):
    db = tmp_path / "r.sqlite"
    a, ma = _run(tmp_path, "a")
    assert registry.record_eval(a, ma, _DS(), {"accuracy": 0.9}, path=db) == []  # first use: silent
    if second == "other-run":
        b, mb = _run(tmp_path, "b", b"w2", {"lr": 3e-4})
    elif second == "retrained":
        (a / "adapter" / "adapter_model.safetensors").write_bytes(b"w-new")
        b, mb = a, ma
    else:
        b, mb = a, ma
    warnings = registry.record_eval(b, mb, _DS(), {"accuracy": 0.92}, path=db)
    assert len(warnings) == 1 and expected in warnings[0]
    if second != "same":
        assert "validation set" in warnings[0]
    evals = registry.list_evals(db)
    assert [e["metrics"]["accuracy"] for e in evals] == [0.9, 0.92]
    assert all(e["times_scored"] == 2 and e["test_name"] == "test" for e in evals)


def test_different_test_sets_do_not_warn(tmp_path):
    db = tmp_path / "r.sqlite"
    a, ma = _run(tmp_path, "a")
    b, mb = _run(tmp_path, "b", b"w2")
    assert registry.record_eval(a, ma, _DS("1" * 64, "t1"), {}, path=db) == []
    assert registry.record_eval(b, mb, _DS("2" * 64, "t2"), {}, path=db) == []
    assert {e["times_scored"] for e in registry.list_evals(db)} == {1}
    assert len(registry.list_runs(db)) == 2


def test_empty_registry_lists_nothing(tmp_path):
    assert registry.list_evals(tmp_path / "new.sqlite") == []


def test_runs_command_on_empty_registry(tmp_path, monkeypatch, capsys):
    from curate.cli import main

    monkeypatch.setenv("CURATE_HOME", str(tmp_path))
    assert main(["runs"]) == 0
    assert "no evaluations recorded" in capsys.readouterr().out
