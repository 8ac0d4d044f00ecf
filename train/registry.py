"""The local run registry: runs, datasets by fingerprint, and every time a test set was scored.

SQLite at $CURATE_HOME/registry.sqlite (default ~/.curate/registry.sqlite). Its job is to keep
the test set honest: a test set scored once estimates how a model does on new data; a test set
scored again to choose between runs or hyperparameters has become a validation set, and the
chosen score is optimistic (the "garden of forking paths" of model selection). `record_eval`
returns the warnings that say so; validation sets are for choosing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_path TEXT PRIMARY KEY,      -- resolved run directory
    task TEXT, base_model TEXT, method TEXT,
    data_fingerprint TEXT, val_fingerprint TEXT,
    config_hash TEXT,               -- sha256 of the training config: what a new hyperparameter choice changes
    config_json TEXT,
    registered_at REAL
);
CREATE TABLE IF NOT EXISTS datasets (
    fingerprint TEXT PRIMARY KEY,   -- curate.load fingerprint of the canonical records
    path TEXT, name TEXT, n_records INTEGER, first_seen REAL
);
CREATE TABLE IF NOT EXISTS evals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_path TEXT, test_fingerprint TEXT, test_path TEXT,
    adapter_hash TEXT,              -- which weights were scored (a retrained run in the same directory differs)
    scored_at REAL,
    metrics_json TEXT
);
"""


def registry_path() -> Path:
    home = os.environ.get("CURATE_HOME") or Path.home() / ".curate"
    return Path(home) / "registry.sqlite"


def connect(path: Path | None = None) -> sqlite3.Connection:
    path = Path(path or registry_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.row_factory = sqlite3.Row
    con.executescript(SCHEMA)
    return con


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def adapter_hash(run_dir) -> str:
    """sha256 over the files in RUN/adapter: identifies the scored weights, not just the directory name."""
    h = hashlib.sha256()
    adapter = Path(run_dir) / "adapter"
    for f in sorted(adapter.rglob("*")) if adapter.exists() else []:
        if f.is_file():
            h.update(f.relative_to(adapter).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def register_run(con, run_dir, manifest) -> str:
    run_path = str(Path(run_dir).resolve())
    con.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?)",
                (run_path, manifest.task, manifest.base_model, manifest.method, manifest.data_fingerprint,
                 manifest.val_fingerprint, config_hash(manifest.config), json.dumps(manifest.config, default=str),
                 time.time()))
    return run_path


def register_dataset(con, ds) -> None:
    con.execute("INSERT OR IGNORE INTO datasets VALUES (?,?,?,?,?)",
                (ds.fingerprint, str(Path(ds.path).resolve()) if Path(ds.path).exists() else ds.path, ds.name,
                 len(ds), time.time()))


def previous_scorings(con, test_fingerprint: str) -> list[dict]:
    rows = con.execute(
        "SELECT e.run_path, e.adapter_hash, e.scored_at, r.config_hash FROM evals e "
        "LEFT JOIN runs r ON r.run_path = e.run_path WHERE e.test_fingerprint = ? ORDER BY e.scored_at",
        (test_fingerprint,)).fetchall()
    return [dict(r) for r in rows]


def selection_warnings(previous: list[dict], run_path: str, weights: str, cfg_hash: str, test_name: str) -> list[str]:
    """Warnings for scoring `test_name` again; empty the first time it is scored."""
    if not previous:
        return []
    others = sorted({p["run_path"] for p in previous if p["run_path"] != run_path})
    changed = [p for p in previous if p["run_path"] == run_path and p["adapter_hash"] != weights]
    same = [p for p in previous if p["run_path"] == run_path and p["adapter_hash"] == weights]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(previous[-1]["scored_at"]))
    warnings = []
    if others or changed:
        configs = {p["config_hash"] for p in previous} | {cfg_hash}
        what = f"{len(others)} other run(s) ({', '.join(Path(o).name for o in others[:3])})" if others else \
            "this run directory with different weights"
        warnings.append(
            f"test set '{test_name}' was already scored for {what}, last at {when}; "
            f"{len(configs)} training configuration(s) have now been scored on it. Choosing between runs or "
            "hyperparameters by their test score turns the test set into a validation set and makes the chosen "
            "score optimistic: choose on the validation set, then score the test set once.")
    elif same:
        warnings.append(f"test set '{test_name}' was already scored {len(same)} time(s) for these same weights "
                        f"(last at {when}); repeating the evaluation reproduces it, but do not use it to tune the run.")
    return warnings


def record_eval(run_dir, manifest, test_ds, metrics: dict, *, path: Path | None = None) -> list[str]:
    """Register the run and test set, store this scoring, and return the test-reuse warnings."""
    con = connect(path)
    try:
        with con:
            run_path = register_run(con, run_dir, manifest)
            register_dataset(con, test_ds)
            weights = adapter_hash(run_dir)
            warnings = selection_warnings(previous_scorings(con, test_ds.fingerprint), run_path, weights,
                                          config_hash(manifest.config), test_ds.name)
            con.execute("INSERT INTO evals (run_path, test_fingerprint, test_path, adapter_hash, scored_at, metrics_json)"
                        " VALUES (?,?,?,?,?,?)", (run_path, test_ds.fingerprint, test_ds.path, weights, time.time(),
                                                  json.dumps(metrics, default=str)))
    finally:
        con.close()
    return warnings


def list_evals(path: Path | None = None) -> list[dict]:
    """Every scoring, oldest first, with its run and test set: what `curate runs` prints."""
    con = connect(path)
    try:
        rows = con.execute(
            "SELECT e.id, e.run_path, r.task, r.base_model, r.config_hash, e.test_fingerprint, e.test_path, "
            "d.name AS test_name, d.n_records, e.scored_at, e.metrics_json, e.adapter_hash FROM evals e "
            "LEFT JOIN runs r ON r.run_path = e.run_path LEFT JOIN datasets d ON d.fingerprint = e.test_fingerprint "
            "ORDER BY e.scored_at, e.id").fetchall()
    finally:
        con.close()
    out = []
    for r in rows:
        d = dict(r)
        d["metrics"] = json.loads(d.pop("metrics_json") or "{}")
        d["times_scored"] = sum(1 for x in rows if x["test_fingerprint"] == r["test_fingerprint"])
        out.append(d)
    return out


def list_runs(path: Path | None = None) -> list[dict]:
    con = connect(path)
    try:
        return [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY registered_at").fetchall()]
    finally:
        con.close()
