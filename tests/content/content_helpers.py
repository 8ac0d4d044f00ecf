"""Build tiny datasets in tmp_path and run the content stages on them (no caching, no models)."""

from __future__ import annotations

import json

import pandas as pd

import curate.content.checks  # noqa: F401  (registers the content stages and checks)
from curate.checks import CheckContext
from curate.load import load_dataset
from curate.stages import STAGES, run_stage


def chat(user: str, answer: str, system: str | None = None, rid: str = "r1") -> dict:
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"id": rid, "messages": msgs}


def dataset(tmp_path, rows: list[dict], name: str = "data.jsonl"):
    path = tmp_path / name
    if name.endswith(".csv"):
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return load_dataset(path)


def signals(ds, stages: list[str], configs: dict | None = None) -> pd.DataFrame:
    frames = [pd.DataFrame({"id": ds.ids})]
    for name in stages:
        cfg = (configs or {}).get(name)
        df, _ = run_stage(STAGES[name], ds, cfg, use_cache=False)
        frames.append(df.drop(columns=["id"]))
    return pd.concat(frames, axis=1)


def run_check(name: str, ds, sig, **params):
    from curate.checks import CHECKS
    import curate.content.checks  # noqa: F401

    return CHECKS[name].fn(sig, CheckContext(dataset=ds), **params)
