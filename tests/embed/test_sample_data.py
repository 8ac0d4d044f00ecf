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
    assert all(found["power_of_attorney"]), found
    # deceased-account questions read like account-closure ones ("what do I need to do to close the
    # account?") and sanctions ones like frozen-card ones: MiniLM (fp32) puts some of each in those
    # big topics; at least one of each stays in the tail (fp32 here: 1 of 4 and 2 of 6)
    assert any(found["deceased_account_holder"]) and any(found["sanctions_frozen_funds"]), found
    planted = [x for v in found.values() for x in v]
    # planted rare topics are several times likelier to be in the tail than the set as a whole
    # (fp32 here: 8 of 15 = 53% against a tail of at most 10%)
    assert np.mean(planted) >= 0.5 and np.mean(cols["is_long_tail"]) <= 0.10, (found, np.mean(cols["is_long_tail"]))


@pytest.mark.slow
def test_long_tail_with_reference_finds_the_topics_users_ask_that_training_lacks(tmp_path):
    # production_queries plants three topics training never has (crypto, payroll, accessibility) and
    # three it has far less of than users ask (power of attorney, deceased holders, frozen funds)
    import yaml

    from curate.audit import run_audit
    from curate.embed.coverage import reference_groups

    key = json.loads(sample_file("answer_key.json").read_text())["production_queries.jsonl"]
    planted = {e["topic"] for e in key["problems"]["uncovered_topics"]["entries"]} | set(key["rare_in_train_topic_counts"])
    rules = tmp_path / "r.yaml"
    rules.write_text(yaml.safe_dump({"stages": {"embed": {"show_progress": False}},
                                     "rules": [{"check": "max_long_tail_share", "severity": "info"}]}))
    res = run_audit(str(sample_file("support_sft.jsonl")), reference=str(sample_file("production_queries.jsonl")),
                    rules=str(rules))
    (o,) = res.outcomes
    assert o.status == "info" and o.flagged == [] and o.noted == []
    cfg = CoverageConfig(show_progress=False)
    groups, names, _ = reference_groups(res.reference, embed_texts(dataset_texts(res.reference, "prompt"), cfg), False, cfg)
    under = {r["reference_topic"] for r in o.details["table"]}
    found = np.array([names[g] in under for g in groups])
    is_planted = np.array([key["topics"][i] in planted for i in res.reference.ids])
    precision, recall = (found & is_planted).sum() / found.sum(), (found & is_planted).sum() / is_planted.sum()
    assert precision >= 0.65 and recall >= 0.55, (precision, recall)  # measured 0.74 and 0.67 (int8); fp32 is the default
    # the planted payroll topic is labelled by its commonest words ("business, llc, account")
    assert "crypto" in o.message and "attorney" in o.message and ("payroll" in o.message or "business" in o.message), o.message
