"""Acceptance on sample_data with the real MiniLM model: uncovered reference topics and the planted long tail."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curate.embed.coverage import CoverageConfig, coverage_report
from curate.embed.encode import dataset_texts, embed_texts
from curate.embed.topics import TopicsConfig, topics_of
from curate.load import load_dataset
from tests.conftest import sample_file


@pytest.fixture(scope="module")
def sample():
    key = json.loads(sample_file("answer_key.json").read_text())
    train = load_dataset(sample_file("support_sft.jsonl"))
    ref = load_dataset(sample_file("production_queries.jsonl"))
    cfg = CoverageConfig(show_progress=False)
    return key, train, ref, embed_texts(dataset_texts(train, "prompt"), cfg), embed_texts(dataset_texts(ref, "prompt"), cfg)


@pytest.mark.slow
def test_uncovered_reference_topics_are_reported_uncovered(sample):
    key, train, ref, tv, rv = sample
    rep = coverage_report(train, tv, ref, rv, CoverageConfig(show_progress=False))
    status = {i: rep["groups_by_index"][g]["status"] for i, g in zip(ref.ids, rep["ref_groups"])}
    topic_of = key["production_queries.jsonl"]["topics"]
    planted = {e["topic"] for e in key["production_queries.jsonl"]["problems"]["uncovered_topics"]["entries"]}
    for topic in planted:  # most of each planted topic's queries land in uncovered/thin groups
        ids = [i for i in ref.ids if topic_of[i] == topic]
        share = np.mean([status[i] != "covered" for i in ids])
        assert share >= 0.6, (topic, share)
    others = [i for i in ref.ids if topic_of[i] not in planted]
    assert np.mean([status[i] != "covered" for i in others]) <= 0.2
    # the headline groups are named by words from the planted topics (crypto, payroll, accessibility)
    words = " ".join(g["reference_group"] for g in rep["groups"] if g["status"] != "covered")
    assert all(w in words for w in ("crypto", "payroll", "business", "braille")), words


@pytest.mark.slow
def test_planted_rare_topics_are_long_tail(sample):
    key, train, _, tv, _ = sample
    cols = topics_of(tv, dataset_texts(train, "prompt"), TopicsConfig(show_progress=False))
    tail = dict(zip(train.ids, cols["is_long_tail"]))
    topic_of = key["support_sft.jsonl"]["topics"]
    found = {t: [tail[i] for i in train.ids if topic_of[i] == t] for t in key["support_sft.jsonl"]["rare_topics"]}
    assert all(found["power_of_attorney"]) and all(found["sanctions_frozen_funds"]), found
    # deceased-account questions read like account-closure ones ("what do I need to do to close the
    # account?"): MiniLM puts most of them in that big topic; at least one stays in the tail
    assert any(found["deceased_account_holder"]), found
    assert np.mean(cols["is_long_tail"]) <= 0.10  # the tail stays a minority of the set
