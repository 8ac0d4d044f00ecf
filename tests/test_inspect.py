"""`curate inspect` on every sample file and on the shared real datasets: format, mapping, counts."""

from __future__ import annotations

import json

import pytest

from conftest import sample_file, shared_file
from curate.cli import main

SAMPLES = [
    ("support_sft.jsonl", "chat", 2000, {"messages_field": "messages", "id_field": "id"}),
    ("support_eval.jsonl", "chat", 200, {"messages_field": "messages"}),
    ("production_queries.jsonl", "text", 400, {"text_field": "text"}),
    ("intents_train.csv", "classification", 1118, {"text_field": "text", "label_field": "label"}),
    ("intents_test.csv", "classification", 300, {"text_field": "text", "label_field": "label"}),
]
SHARED = [
    ("banking77/train.csv", "classification", 10003, {"text_field": "text", "label_field": "category"}),
    ("gsm8k_alpaca/gsm_8k_train.json", "alpaca", 7473, {"prompt_field": "instruction", "response_field": "output"}),
    ("dialogsum/dialogsum.dev.jsonl", "prompt_completion", 500,
     {"prompt_field": "dialogue", "response_field": "summary", "id_field": "fname", "layout": "dialogue_summary"}),
    ("presidio_pii/synth_dataset_v2.json", "text", 1500, {"text_field": "full_text"}),
]


def inspect_json(path, capsys) -> dict:
    assert main(["inspect", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name,fmt,n,mapping", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_files(name, fmt, n, mapping, capsys):
    d = inspect_json(sample_file(name), capsys)
    assert (d["format"], d["records"], d["invalid"]) == (fmt, n, 0)
    assert mapping.items() <= d["mapping"].items()


def test_sample_intents_labels_are_imbalanced(capsys):
    d = inspect_json(sample_file("intents_train.csv"), capsys)
    assert d["label_count"] == 12 and d["imbalance_ratio"] > 10


@pytest.mark.parametrize("rel,fmt,n,mapping", SHARED, ids=[s[0].split("/")[0] for s in SHARED])
def test_shared_real_datasets(rel, fmt, n, mapping, capsys):
    d = inspect_json(shared_file(rel), capsys)
    assert (d["format"], d["records"], d["invalid"]) == (fmt, n, 0)
    assert mapping.items() <= d["mapping"].items()
    if fmt == "classification":
        assert d["label_count"] == 77


def test_table_output_names_format_and_fields(capsys):
    assert main(["inspect", str(sample_file("support_sft.jsonl"))]) == 0
    out = capsys.readouterr().out
    assert "chat" in out and "messages.*.content [assistant]" in out
