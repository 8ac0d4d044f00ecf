"""The quality gate: each rejection reason with its evidence, on hashed embeddings (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from curate.augment.gate import GateConfig, agrees, run_gate
from curate.embed.encode import EmbedConfig, embed_texts


def _ds(tmp_path, rows, name="d.csv"):
    import csv

    from curate.load import load_dataset

    p = tmp_path / name
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return load_dataset(p)


ROWS = [("reset my password please", "password"), ("i forgot my password", "password"),
        ("password link expired", "password"), ("my card was stolen yesterday", "card"),
        ("lost my card on the bus", "card"), ("block my stolen card", "card"), ("card never arrived at home", "card")]


def _cand(ds, src, text, label=None, **extra):
    rec = dict(ds.records[src])
    old = rec["prompt"]
    rec = {**rec, "id": f"g{src}", "prompt": text, "label": label or rec["label"],
           "messages": [], "fields": [{"name": "text", "role": "user", "text": text}]}
    return {"record": rec, "source": src, "edited": {"text": (old, text)}, **extra}


@pytest.mark.parametrize("text,label,extra,reason,evidence", [
    ("   ", None, {}, "truncated", "empty"),
    ("reset my password please", None, {"unfinished": 40}, "truncated", "limit of 40 new tokens"),
    ("reset my password 42 please", None, {}, "protected_changed", "added ['42']"),
    ("i forgot my password", None, {}, "exact_duplicate", "same text as training record 1"),
    ("i forgot my passwordd", None, {}, "near_duplicate", "shingle Jaccard"),
    ("what is the capital of france", None, {}, "eval_leak", "same text as eval record"),
    ("email me at jane.roe@example.org about password", None, {}, "protected_changed", "jane.roe@example.org"),
    ("my card was stolen on the bus today", "password", {}, "label_inconsistent", "nearest original records"),
    ("please help me change my password now", None, {}, None, "generated from 0"),
], ids=["empty", "unfinished", "number-added", "exact", "near", "eval-leak", "email-added-is-protected",
        "label-moved", "accepted"])
def test_gate_reason_and_evidence(tmp_path, text, label, extra, reason, evidence):
    ds = _ds(tmp_path, ROWS)
    ev = _ds(tmp_path, [("what is the capital of france", "geo")], "ev.csv")
    ev.name = "ev"
    cfg = EmbedConfig(model="hashing")
    vecs = embed_texts([r["prompt"] for r in ds.records], cfg)
    c = _cand(ds, 0, text, label, **extra)
    cv = embed_texts([text], cfg)
    ev_v = embed_texts(["what is the capital of france"], cfg)
    v = run_gate([c], ds, vecs, cv, eval_sets=[ev], eval_vecs=[ev_v], cfg=GateConfig(k=3, check_pii=False))[0]
    assert v["reason"] == reason and evidence in v["evidence"], v
    assert v["accepted"] is (reason is None)


def test_a_second_candidate_duplicating_an_accepted_one_is_rejected_naming_it(tmp_path):
    ds = _ds(tmp_path, ROWS)
    cfg = EmbedConfig(model="hashing")
    vecs = embed_texts([r["prompt"] for r in ds.records], cfg)
    a, b = _cand(ds, 0, "please change my password now"), _cand(ds, 1, "please change my password now")
    b["record"]["id"] = "g1"
    v = run_gate([a, b], ds, vecs, embed_texts([a["record"]["prompt"]] * 2, cfg), cfg=GateConfig(k=3, check_pii=False))
    assert v[0]["accepted"] and v[1]["reason"] == "exact_duplicate" and "generated record g0" in v[1]["evidence"]


def test_pii_added_is_rejected(tmp_path):
    ds = _ds(tmp_path, ROWS)
    cfg = EmbedConfig(model="hashing")
    vecs = embed_texts([r["prompt"] for r in ds.records], cfg)
    text = "my password was reset by Barack Obama in Chicago"
    v = run_gate([_cand(ds, 0, text)], ds, vecs, embed_texts([text], cfg), cfg=GateConfig(k=3))[0]
    assert v["reason"] == "pii_added" and "a new LOCATION span" in v["evidence"], v
    assert "Chicago" not in v["evidence"] and "Obama" not in v["evidence"]  # the manifest holds no PII value


@pytest.mark.parametrize("vote,label,ok", [
    ({"thin": 3, "big": 7}, "thin", True),  # 3/5 > 7/50: outvoted in raw counts, wins once sizes count
    ({"thin": 0, "big": 10}, "thin", False),
    ({"thin": 1, "big": 9}, "big", False),  # 9/50 < 1/5
], ids=["thin-label-outvoted-in-raw-counts", "no-neighbour-of-the-label", "big-label-outweighed"])
def test_label_vote_is_weighted_by_label_size(vote, label, ok):
    from collections import Counter

    got, evidence = agrees(Counter(vote), label, Counter({"thin": 5, "big": 50}))
    assert got is ok and f"{vote[label]} of 10 nearest original records are '{label}'" in evidence


def test_empty_candidate_list(tmp_path):
    ds = _ds(tmp_path, ROWS)
    vecs = embed_texts([r["prompt"] for r in ds.records], EmbedConfig(model="hashing"))
    assert run_gate([], ds, vecs, np.zeros((0, vecs.shape[1]), dtype=np.float32)) == []
