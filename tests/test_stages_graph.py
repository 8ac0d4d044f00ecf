"""The stage graph (curate/engine/graph.py) and cache keys that cannot go stale (curate/stages.py)."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass

import numpy as np
import pytest
import yaml

from curate.errors import ConfigError
from curate.load import load_dataset
from curate.progress import Progress
from curate.stages import STAGES, Stage, code_modules, forget_code_hashes, load_stages, run_stage


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "d.jsonl"
    rows = [{"id": f"r{i}", "prompt": t, "response": "ok."} for i, t in enumerate(
        ["reset my password please", "i forgot my password", "my card was stolen", "block my stolen card",
         "send money abroad", "international transfer fee"])]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def _rules(tmp_path, rules, stages=None):
    rf = tmp_path / "rules.yaml"
    rf.write_text("# curate audit DATA --rules rules.yaml\n" + yaml.safe_dump({"stages": stages or {}, "rules": rules}))
    return str(rf)


# ---- ordering ------------------------------------------------------------------------------------

@pytest.mark.parametrize("leaves,order", [
    (["topics"], ["embed", "topics"]),
    (["semantic", "topics"], ["embed", "semantic", "topics"]),
    (["dedup", "coverage"], ["dedup", "embed", "coverage"]),
    (["embed", "label_issues"], ["embed", "label_issues"]),
], ids=["reader-pulls-in-its-producer", "producer-once-for-two-readers", "independent-stage-keeps-its-place",
        "producer-already-asked-for"])
def test_plan_runs_each_producer_once_before_its_readers(leaves, order):
    from curate.engine.graph import plan

    assert plan(leaves) == order


def test_plan_refuses_a_cycle():
    from curate.engine.graph import plan

    @dataclass
    class C:
        pass

    stages = {"a": Stage("a", lambda b, *, config: {}, C, ("x",), reads=("y",)),
              "b": Stage("b", lambda b, *, config: {}, C, ("y",), reads=("x",))}
    with pytest.raises(RuntimeError, match="cycle: a -> b -> a"):
        plan(["a"], stages)


def test_stages_are_registered_by_their_own_list_not_by_importing_checks():
    import subprocess

    code = ("from curate.stages import STAGES, load_stages; assert not STAGES; load_stages(); "
            "print(sorted(STAGES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert {"embed", "topics", "semantic", "coverage", "label_issues", "pii", "dedup", "hygiene"} <= set(eval(out))


# ---- one embedding, one model --------------------------------------------------------------------

def test_the_embed_model_reaches_every_embedding_consumer_and_each_text_set_is_encoded_once(tmp_path, data, monkeypatch):
    from curate.audit import run_audit
    from curate.embed import encode

    ref = tmp_path / "ref.jsonl"
    ref.write_text("".join(json.dumps({"id": f"q{i}", "prompt": t, "response": "ok."}) + "\n"
                           for i, t in enumerate(["password reset", "stolen card", "buy bitcoin"])))
    ev = tmp_path / "eval.jsonl"
    ev.write_text(json.dumps({"id": "e0", "prompt": "block my stolen card", "response": "ok."}) + "\n")
    calls = []
    real = encode.embed_texts

    def spy(texts, cfg=None, **kw):
        calls.append((cfg.model, len(texts)))
        return real(texts, cfg, **kw)

    monkeypatch.setattr(encode, "embed_texts", spy)
    rules = _rules(tmp_path, [{"check": c, "severity": "info"} for c in (
        "max_long_tail_share", "max_outlier_rate", "max_semantic_duplicate_rate", "max_semantic_leakage",
        "min_reference_coverage")], stages={"embed": {"model": "hashing"}})
    res = run_audit(str(data), eval=[str(ev)], reference=str(ref), rules=rules, use_cache=False)
    assert [r.name for r in res.stage_runs] == ["embed", "topics", "semantic", "coverage"]
    for name in ("topics", "semantic", "coverage"):
        assert res.signals is not None and getattr(_config(res, name), "model") == "hashing", name
    assert {m for m, _ in calls} == {"hashing"}
    # the training set once (embed stage), the eval set once (semantic), the reference once (coverage +
    # both checks): nothing is encoded twice
    assert sorted(n for _, n in calls) == [1, 3, 6], calls
    assert "embedding" not in res.signals.columns  # a matrix held by the executor, not a signals column
    assert res.embeddings.shape == (6, 256) and res.embeddings.dtype == np.float32


def _config(res, name):
    from curate.engine.graph import resolve_configs

    return resolve_configs(res.rules.stages_needed, res.rules.stage_configs)[name]


def test_a_consumer_cannot_set_its_own_embedding_model(tmp_path):
    from curate.rules import load_rules

    with pytest.raises(ConfigError) as e:
        load_rules(_rules(tmp_path, [{"check": "max_outlier_rate", "severity": "info"}],
                          stages={"topics": {"model": "hashing", "distance_threshold": 0.8}}))
    assert "stages.topics.model: set by the 'embed' stage" in str(e.value)
    assert "stages: {embed: {model: 'hashing'}}" in str(e.value)


def test_run_stage_on_a_reader_alone_runs_its_producer_with_the_readers_model(data):
    from curate.embed.topics import TopicsConfig

    ds = load_dataset(data)
    df, run = run_stage(load_stages()["topics"], ds, TopicsConfig(model="hashing", distance_threshold=0.8),
                        use_cache=False)
    assert list(df.columns[:2]) == ["id", "topic_cluster"] and len(df) == 6


# ---- progress ------------------------------------------------------------------------------------

class Recorder(Progress):
    def __init__(self):
        self.events = []

    def phase(self, name, total=None, unit="records"):
        self.events.append(["phase", name, total])

    def advance(self, n=1):
        self.events.append(["advance", n])


def test_each_stage_is_a_phase_with_its_record_total_advanced_to_the_end(tmp_path, data):
    from curate.audit import run_audit

    p = Recorder()
    rules = _rules(tmp_path, [{"check": "max_outlier_rate", "severity": "info"},
                              {"check": "max_control_char_records", "severity": "warn"}],
                   stages={"embed": {"model": "hashing"}})
    run_audit(str(data), rules=rules, progress=p, use_cache=False)
    phases = [e[1] for e in p.events if e[0] == "phase"]
    assert phases[1:] == ["embed", "topics", "hygiene", "checks"] or phases[1:] == ["hygiene", "embed", "topics", "checks"]
    for name in ("embed", "topics", "hygiene"):
        i = next(k for k, e in enumerate(p.events) if e[:2] == ["phase", name])
        assert p.events[i][2] == 6
        done = 0
        for e in p.events[i + 1:]:
            if e[0] == "phase":
                break
            done += e[1]
        assert done == 6, (name, p.events)


def test_a_plain_callable_still_hears_each_phase(tmp_path, data):
    from curate.audit import run_audit

    heard = []
    run_audit(str(data), rules=_rules(tmp_path, [{"check": "max_control_char_records", "severity": "warn"}]),
              progress=heard.append, use_cache=False)
    assert "hygiene" in heard and "checks" in heard


# ---- cache keys ----------------------------------------------------------------------------------

PROBE = '''
from dataclasses import dataclass, field

from curate.content.lengths import truncation  # a curate module: its code is in the key too
from curate.stages import register_stage

FACTOR = {factor}


@dataclass
class ProbeConfig:
    scale: int = 1  # part of the result
    batch_size: int = field(default=64, metadata={{"cache": False}})  # speed only
    show_progress: bool = field(default=True, metadata={{"cache": False}})


@register_stage("_probe", config=ProbeConfig, columns=("probe",))
def probe(batch, *, config):
    return {{"probe": [FACTOR * config.scale * len(p or "") for p in batch["prompt"]]}}
'''


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A stage in a module of its own, whose source the test edits."""
    src = tmp_path / "probe_src"
    src.mkdir()
    monkeypatch.syspath_prepend(str(src))
    path = src / "curate_probe_stage.py"

    def write(factor: int):
        path.write_text(PROBE.format(factor=factor))
        forget_code_hashes()
        importlib.invalidate_caches()
        if "curate_probe_stage" in sys.modules:
            return importlib.reload(sys.modules["curate_probe_stage"])
        return importlib.import_module("curate_probe_stage")

    yield write
    STAGES.pop("_probe", None)
    sys.modules.pop("curate_probe_stage", None)
    forget_code_hashes()


def test_editing_a_stages_code_misses_the_cache(data, probe_module):
    ds = load_dataset(data)
    mod = probe_module(1)
    first, run1 = run_stage(STAGES["_probe"], ds, mod.ProbeConfig())
    again, run2 = run_stage(STAGES["_probe"], ds, mod.ProbeConfig())
    assert (run1.cached, run2.cached) == (False, True)
    mod = probe_module(2)  # the algorithm changed; nobody bumped a version
    edited, run3 = run_stage(STAGES["_probe"], ds, mod.ProbeConfig())
    assert not run3.cached and run3.key != run1.key
    assert list(edited["probe"]) == [2 * v for v in first["probe"]]


@pytest.mark.parametrize("change,cached", [
    ({"batch_size": 8}, True), ({"show_progress": False}, True), ({"scale": 3}, False),
], ids=["batch_size-hits", "show_progress-hits", "a-real-parameter-misses"])
def test_presentation_only_fields_are_not_in_the_key(data, probe_module, change, cached):
    ds = load_dataset(data)
    mod = probe_module(1)
    run_stage(STAGES["_probe"], ds, mod.ProbeConfig())
    _, run = run_stage(STAGES["_probe"], ds, mod.ProbeConfig(**change))
    assert run.cached is cached


def test_the_key_holds_the_curate_modules_a_stage_imports_transitively(probe_module):
    mod = probe_module(1)
    mods = code_modules(mod.probe)
    assert {"curate_probe_stage", "curate.content.lengths"} <= set(mods)
    assert "curate.stages" not in mods  # the engine's plumbing is not part of a stage's result
    topics = code_modules(load_stages()["topics"].fn)
    assert {"curate.embed.topics", "curate.embed.encode", "curate.errors"} <= set(topics)


def test_a_reader_misses_when_its_producer_changes(data):
    from curate.engine.graph import Outputs, run_one
    from curate.embed.encode import EmbedConfig
    from curate.embed.topics import TopicsConfig

    ds = load_dataset(data)
    stages = load_stages()
    keys = []
    for dim_model in ("hashing", "hashing"):
        out = Outputs()
        run_one(stages["embed"], ds, EmbedConfig(model=dim_model), out)
        _, run = run_one(stages["topics"], ds, TopicsConfig(model=dim_model, distance_threshold=0.8), out)
        keys.append((run.key, run.cached))
    assert keys[0][0] == keys[1][0] and keys[1][1]  # same producer: the reader's entry is reused
    out = Outputs()
    run_one(stages["embed"], ds, EmbedConfig(model="hashing", max_seq_length=12), out)
    _, run = run_one(stages["topics"], ds, TopicsConfig(model="hashing", max_seq_length=12, distance_threshold=0.8), out)
    assert run.key != keys[0][0] and not run.cached


def test_the_embedding_matrix_is_cached_as_an_array(data):
    from curate.embed.encode import EmbedConfig

    ds = load_dataset(data)
    embed = load_stages()["embed"]
    _, fresh = run_stage(embed, ds, EmbedConfig(model="hashing"))
    _, cached = run_stage(embed, ds, EmbedConfig(model="hashing", batch_size=7))
    assert cached.cached and cached.artifacts["embedding"].dtype == np.float32
    assert np.array_equal(fresh.artifacts["embedding"], cached.artifacts["embedding"])


def test_stage_source_listing_matches_registry():
    """Every registered stage comes from a module in STAGE_MODULES (none is registered as a side effect)."""
    from curate.stages import STAGE_MODULES

    load_stages()
    assert {STAGES[n].fn.__module__ for n in STAGES if not n.startswith("_")} <= set(STAGE_MODULES)


# ---- clean reads what the audit computed ----------------------------------------------------------

def test_clean_writes_back_hygienes_text_fixes_without_repairing_again(tmp_path, monkeypatch):
    from curate.audit import run_audit
    from curate.clean import clean
    from curate.content import hygiene

    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"id": "m1", "prompt": "Say cafÃ© twice", "response": "cafÃ© cafÃ©"}) + "\n"
                 + json.dumps({"id": "ok", "prompt": "Say hello", "response": "hello"}) + "\n")
    res = run_audit(str(p), rules=_rules(tmp_path, [{"check": "max_mojibake_records", "severity": "error"}]),
                    use_cache=False)
    assert res.signals["text_fixes"][0][0]["changes"]  # hygiene recorded what it would change

    def no_second_repair(text):
        raise AssertionError("clean repaired a text the audit had already repaired")

    monkeypatch.setattr(hygiene, "fix_text", no_second_repair)
    out = clean(res)
    kept = {r["id"]: r for r in out.kept_rows}
    assert kept["m1"]["response"] == "café café" and kept["m1"]["prompt"] == "Say café twice"
    assert {c["field"] for c in out.changes} == {"prompt", "response"}
    assert all("mojibake" in " ".join(c["detail"]) for c in out.changes)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_device_reaches_every_config_that_has_a_device_field(device, monkeypatch):
    from dataclasses import field as dc_field

    monkeypatch.delenv("CURATE_DEVICE", raising=False)  # with_device sets it: later audits in this process would read cuda

    from curate.engine.graph import with_device

    @dataclass
    class WithDevice:
        device: str = dc_field(default="auto")

    @dataclass
    class Without:
        k: int = 1

    got = with_device({"a": WithDevice(), "b": Without()}, device)
    assert got["a"].device == device and got["b"] == Without()


def test_device_cuda_without_a_gpu_is_refused_before_any_work(tmp_path, data, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    from curate.cli import main

    assert main(["audit", str(data), "--device", "cuda", "--out", str(tmp_path / "o")]) == 2
    assert "--device cuda" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_the_embed_stage_advances_per_encoded_batch(monkeypatch):
    from curate.embed import encode

    class TwoAtATime:
        key = "two-at-a-time"

        def encode(self, texts, progress=None):
            for s in range(0, len(texts), 2):
                progress(len(texts[s:s + 2]))
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    monkeypatch.setattr(encode, "get_embedder", lambda cfg: TwoAtATime())
    p = Recorder()
    texts = ["a", "b", "a", "c", "d", "b"]  # 4 distinct texts: duplicates are counted as their text is encoded
    encode.embed_texts(texts, encode.EmbedConfig(), use_cache=False, progress=p)
    assert [e[1] for e in p.events] == [3, 3]
