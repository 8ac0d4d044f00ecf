"""Shared by the PII tests: one real detector per process (spaCy loaded once), sample_data access."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE


def real_detector():
    from curate.pii.detect import PiiConfig, get_detector

    return get_detector(PiiConfig())  # cached per process: every test module gets the same one


def planted_pii():
    """[(record id, field, entity type, value)] from sample_data/answer_key.json, or skip."""
    key_path = SAMPLE / "answer_key.json"
    if not key_path.exists():
        pytest.skip("sample_data/answer_key.json is not generated yet")
    key = json.loads(key_path.read_text()).get("support_sft.jsonl", {}).get("problems", {}).get("pii")
    if not key:
        pytest.skip("answer_key.json has no planted PII entry")
    return [(e["id"], v["field"], v["entity_type"], v["value"]) for e in key["entries"] for v in e["values"]]


def sample_sft():
    from curate.load import load_dataset

    path = SAMPLE / "support_sft.jsonl"
    if not path.exists():
        pytest.skip("sample_data/support_sft.jsonl is not generated yet")
    return load_dataset(path)


class FakeDataset:
    """Just what the checks read: canonical records with their fields."""

    def __init__(self, records):
        self.records = records


def chat_record(rid, *turns):
    fields = [{"name": f"messages.{i}.content", "role": role, "text": text} for i, (role, text) in enumerate(turns)]
    return {"id": rid, "fields": fields}
