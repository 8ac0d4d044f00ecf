"""Shared by the PII tests: one real detector per process (spaCy loaded once), sample_data access."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE


def real_detector():
    from curate.pii.detect import PiiConfig, get_detector

    return get_detector(PiiConfig())  # cached per process: every test module gets the same one


def planted_pii(*, reserved: bool = False):
    """[(record id, field, entity type, value)] from sample_data/answer_key.json, or skip.

    The generator plants e-mails on example.com/.net/.org and IPs in the documentation ranges
    (RFC 2606, RFC 5737): values reserved for examples, which the detector rightly does not call
    personal data. They are left out unless `reserved` (then only they are returned)."""
    from curate.pii.context import reserved_value

    key_path = SAMPLE / "answer_key.json"
    if not key_path.exists():
        pytest.skip("sample_data/answer_key.json is not generated yet")
    key = json.loads(key_path.read_text()).get("support_sft.jsonl", {}).get("problems", {}).get("pii")
    if not key:
        pytest.skip("answer_key.json has no planted PII entry")
    return [(e["id"], v["field"], v["entity_type"], v["value"]) for e in key["entries"] for v in e["values"]
            if reserved_value(v["value"], v["entity_type"]) == reserved]


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
