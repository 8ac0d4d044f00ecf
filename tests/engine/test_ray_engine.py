"""`--engine ray` computes what the local engine computes: the same signal columns, value for value,
and the same gate (flagged ids per rule) on sample_data, on one local Ray (`ray.init(num_cpus=2)`)
shared by the whole module. Skipped when Ray is not installed (`pip install 'curate[ray]'`)."""

from __future__ import annotations

import ipaddress
import json
import socket
import sys

import numpy as np
import pytest
import yaml

from conftest import sample_file
from curate.audit import run_audit
from curate.cli import main
from curate.load import load_dataset

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """conftest's guard, with the one exception Ray needs: connections to its own local processes."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to open a network connection to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="module")
def engine():
    """One local Ray for the module, started while every non-loopback connection is recorded and refused."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'curate[ray]'")
    from curate.engine.ray_engine import RayEngine

    attempts: list = []
    real_connect = socket.socket.connect

    def recorded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            raise OSError(f"network is blocked in this test ({address})")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", recorded)
        eng = RayEngine.connect(None, 2)
    eng.attempts = attempts
    yield eng
    eng.close()


def _rules(tmp_path, rules: list[dict], stages: dict | None = None):
    path = tmp_path / "rules.yaml"
    path.write_text("# curate audit DATA --rules rules.yaml\n" + yaml.safe_dump({"stages": stages or {}, "rules": rules}))
    return str(path)


def _head(tmp_path, name: str, n: int):
    """The first n records of a sample file, as a file of the same kind."""
    src = sample_file(name)
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    dst = tmp_path / name
    dst.write_text("".join(lines[:n + (1 if name.endswith(".csv") else 0)]), encoding="utf-8")
    return dst


def _same_audit(ds, rules, engine, monkeypatch, tmp_path):
    """Local then Ray, each with a cold signal and vector cache of its own; returns the Ray result."""
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache-local"))
    local = run_audit(ds, rules=rules, use_cache=False)
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache-ray"))
    ray = run_audit(ds, rules=rules, use_cache=False, engine=engine)
    assert list(ray.signals.columns) == list(local.signals.columns)
    for col in local.signals.columns:  # value for value, nested values and floats included
        a, b = local.signals[col].tolist(), ray.signals[col].tolist()
        diff = [i for i in range(len(a)) if repr(a[i]) != repr(b[i])]
        assert not diff, f"{col}: {len(diff)} rows differ, first {ds.ids[diff[0]]}: {a[diff[0]]!r} vs {b[diff[0]]!r}"
    assert {o.rule: (o.status, sorted(o.flagged)) for o in ray.outcomes} == \
        {o.rule: (o.status, sorted(o.flagged)) for o in local.outcomes}
    assert ray.gate == local.gate
    return local, ray


# row-local stages (plain tasks and language's model on the actor pool), dedup's LSH on Ray, topics
# assigned with map_batches (max_points below the record count forces the sample fit + assignment)
FAST_RULES = [
    {"check": "require_valid_structure", "severity": "error"},
    {"check": "max_exact_duplicate_rate", "severity": "error", "params": {"max_rate": 0.0}},
    {"check": "max_near_duplicate_rate", "severity": "error", "params": {"max_rate": 0.01}},
    {"check": "max_conflicting_answers", "severity": "warn"},
    {"check": "max_empty_or_placeholder_answers", "severity": "error"},
    {"check": "max_unanswerable_prompts", "severity": "error", "params": {"max_rate": 0.01}},
    {"check": "max_control_char_records", "severity": "warn"},
    {"check": "max_arithmetic_errors", "severity": "warn"},
    {"check": "max_off_language_records", "severity": "warn"},
    {"check": "max_long_tail_share", "severity": "info"},
]
FAST_STAGES = {"embed": {"model": "hashing", "show_progress": False}, "topics": {"max_points": 300}}


def test_no_connection_beyond_the_local_ray_processes(engine):
    assert engine.attempts == []


def test_row_local_dedup_and_topics_give_the_local_columns_and_gate(engine, tmp_path, monkeypatch):
    ds = load_dataset(_head(tmp_path, "support_sft.jsonl", 600))  # 4 exact and 3 near copies among them
    local, ray = _same_audit(ds, _rules(tmp_path, FAST_RULES, FAST_STAGES), engine, monkeypatch, tmp_path)
    # not vacuous: sample_data's planted duplicates and rare topics are found, by both engines
    assert ray.signals["exact_dup_of"].notna().sum() > 0 and ray.signals["near_dup_of"].notna().sum() > 0
    assert ray.signals["topic_cluster"].nunique() > 1
    assert {r.name for r in ray.stage_runs} >= {"dedup", "language", "topics", "hygiene"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["support_sft.jsonl", "intents_train.csv"], ids=["sft", "classification"])
def test_default_rules_same_signals_and_gate(engine, tmp_path, monkeypatch, name):
    """Every stage of the default rules (pii and lengths on actor pools, MiniLM encoded on Ray) on
    the first 300 records of a sample file: a whole file takes minutes per engine here."""
    ds = load_dataset(_head(tmp_path, name, 300))
    local, ray = _same_audit(ds, "default", engine, monkeypatch, tmp_path)
    assert {"pii", "lengths", "dedup"} <= {r.name for r in ray.stage_runs}


def test_model_stage_loads_its_model_once_per_actor(engine, monkeypatch):
    """pii through the actor pool: the spans equal the local stage's, and each actor built one detector."""
    from curate.pii.detect import PiiConfig
    from curate.stages import STAGES

    ds = load_dataset(sample_file("support_sft.jsonl"))
    rows = [r for r in ds.records if "@" in r["response"]][:20] + ds.records[:40]
    ds.records = rows
    stage, cfg = STAGES["pii"], PiiConfig()
    local = stage.fn(ds.batch(), config=cfg)
    got = engine.run(stage, ds, cfg, {})
    assert got == local
    assert any(got["pii_spans"]), "the sample holds e-mail addresses in answers"

    import ray

    from curate.engine import ray_engine

    # the same callable class the engine runs, asked how many detectors its process built
    class Count(ray_engine._ModelStage):
        def __call__(self, table):
            out = super().__call__(table)
            from curate.pii.detect import _DETECTORS

            import pyarrow as pa
            return out.append_column("detectors", pa.array([len(_DETECTORS)] * out.num_rows))

    rds, json_cols = engine._records(ds.batch())
    counts = rds.map_batches(Count, fn_constructor_kwargs={"fn": stage.fn, "config": cfg, "json_cols": json_cols},
                             compute=ray.data.ActorPoolStrategy(size=2), batch_format="pyarrow",
                             batch_size=None).take_all()
    assert {r["detectors"] for r in counts} == {1}  # several batches per actor, one model load each


def test_encoder_actor_pool_and_topic_assignment_equal_local(engine):
    from curate.embed.encode import EmbedConfig, HashingEmbedder
    from curate.embed.topics import nearest_centre

    texts = [f"how do I reset my password number {i}" if i % 2 else f"card {i} was stolen" for i in range(200)]
    vecs = engine.encode(texts, EmbedConfig(model="hashing", show_progress=False))
    assert np.array_equal(vecs, HashingEmbedder().encode(texts))  # in dataset order
    centres = vecs[[0, 1, 7]]
    assert np.array_equal(engine.nearest_centre(vecs, centres), nearest_centre(vecs, centres))


def test_cli_engine_ray_gives_the_local_verdict(engine, tmp_path):
    data = _head(tmp_path, "support_sft.jsonl", 200)
    rules = _rules(tmp_path, FAST_RULES[:4])
    code_local = main(["audit", str(data), "--rules", rules, "--out", str(tmp_path / "local"), "--no-cache"])
    code_ray = main(["audit", str(data), "--rules", rules, "--out", str(tmp_path / "ray"), "--no-cache",
                     "--engine", "ray", "--ray-workers", "2"])
    assert code_ray == code_local
    flagged = [{r["rule"]: r["flagged_ids"] for r in json.loads((tmp_path / d / "audit.json").read_text())["rules"]}
               for d in ("local", "ray")]
    assert flagged[0] == flagged[1]


@pytest.mark.parametrize("argv, message", [
    (["--ray-workers", "2"], "need --engine ray"),
    (["--ray-address", "auto"], "need --engine ray"),
    (["--engine", "ray", "--ray-workers", "0"], "must be at least 1"),
], ids=["workers-without-engine", "address-without-engine", "zero-workers"])
def test_bad_ray_options_exit_2(tmp_path, capfd, argv, message):
    data = _head(tmp_path, "support_sft.jsonl", 60)
    assert main(["audit", str(data), "--out", str(tmp_path / "out"), *argv]) == 2
    assert message in capfd.readouterr().err


def test_missing_ray_is_a_clear_error(monkeypatch):
    from curate.engine.ray_engine import RayEngine
    from curate.errors import CurateError

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(CurateError, match=r"curate\[ray\]"):
        RayEngine.connect()
