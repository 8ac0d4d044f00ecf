"""Format detection and canonical mapping, one table row per layout users actually have."""

from __future__ import annotations

import json

import pytest

from curate.load import load_dataset


def write(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, (list, dict)) and name.endswith(".jsonl"):
        p.write_text("".join(json.dumps(r) + "\n" for r in content), encoding="utf-8")
    elif isinstance(content, (list, dict)):
        p.write_text(json.dumps(content), encoding="utf-8")
    else:
        p.write_text(content, encoding="utf-8")
    return p


CASES = [
    ("alpaca.json", [{"instruction": "Add 2 and 3.", "input": "", "output": "5"}],
     "alpaca", "Add 2 and 3.", "5", None),
    ("alpaca_input.jsonl", [{"instruction": "Translate.", "input": "bonjour", "output": "hello"}],
     "alpaca", "Translate.\n\nbonjour", "hello", None),
    ("pc.jsonl", [{"prompt": "Hi?", "completion": "Hello."}], "prompt_completion", "Hi?", "Hello.", None),
    ("chat.jsonl", [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q1"},
                                  {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"},
                                  {"role": "assistant", "content": "A2"}]}],
     "chat", "Q1\n\nQ2", "A1\n\nA2", None),
    ("sharegpt.json", [{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}],
     "chat", "Q", "A", None),
    ("cls.csv", "text,category\nlost my card,card_lost\n", "classification", "lost my card", "", "card_lost"),
    ("cls.tsv", "sentence\tlabel\nhello there\t1\n", "classification", "hello there", "", "1"),
    ("text.jsonl", [{"text": "how do I reset my PIN"}], "text", "how do I reset my PIN", "", None),
    ("split.json", {"train": [{"prompt": "a", "completion": "b"}], "test": [{"prompt": "c", "completion": "d"}]},
     "prompt_completion", "a", "b", None),
]


@pytest.mark.parametrize("name,content,fmt,prompt,response,label", CASES, ids=[c[0] for c in CASES])
def test_detects_format_and_maps_to_canonical(tmp_path, name, content, fmt, prompt, response, label):
    ds = load_dataset(write(tmp_path, name, content))
    assert ds.format == fmt
    rec = ds.records[0]
    assert (rec["prompt"], rec["response"], rec["label"]) == (prompt, response, label)
    assert rec["id"] == "0"
    assert len(ds.fingerprint) == 64


@pytest.mark.parametrize("marker", ["<noinput>", "No input", "N/A", "<no input>"])
def test_alpaca_empty_input_markers_are_not_inputs(tmp_path, marker):
    ds = load_dataset(write(tmp_path, "a.json", [{"instruction": "Name a colour.", "input": marker, "output": "Red."}]))
    rec = ds.records[0]
    assert rec["prompt"] == "Name a colour."
    assert rec["empty_input_marker"] == marker


def test_chat_fields_name_the_turn_path_and_role(tmp_path):
    ds = load_dataset(write(tmp_path, "c.jsonl", [{"id": "x1", "messages": [
        {"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}]))
    rec = ds.records[0]
    assert rec["id"] == "x1"
    assert rec["fields"] == [{"name": "messages.0.content", "role": "user", "text": "Q"},
                             {"name": "messages.1.content", "role": "assistant", "text": "A"}]


def test_flags_override_detection(tmp_path):
    p = write(tmp_path, "x.csv", "review,stars,comment\ngreat,5,ok\n")
    ds = load_dataset(p, format="classification", text_field="review", label_field="stars")
    assert ds.records[0]["prompt"] == "great" and ds.records[0]["label"] == "5"
    assert ds.mapping.detected is False


def test_fingerprint_is_stable_across_file_layouts(tmp_path):
    rows = [{"text": "a b", "label": "x"}, {"text": "c d", "label": "y"}]
    a = load_dataset(write(tmp_path, "a.jsonl", rows))
    b = load_dataset(write(tmp_path, "b.csv", "text,label\na b,x\nc d,y\n"))
    c = load_dataset(write(tmp_path, "c.jsonl", rows[::-1]))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_parquet_and_save_to_disk_dir(tmp_path):
    import datasets
    import pandas as pd

    rows = {"instruction": ["i1", "i2"], "input": ["", ""], "output": ["o1", "o2"]}
    pd.DataFrame(rows).to_parquet(tmp_path / "d.parquet")
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "hfdir"))
    pq = load_dataset(tmp_path / "d.parquet")
    hf = load_dataset(tmp_path / "hfdir")
    assert pq.format == hf.format == "alpaca"
    assert [r["response"] for r in hf.records] == ["o1", "o2"]
    assert pq.fingerprint == hf.fingerprint
