"""Embedding checks end to end through run_audit, with the hashed bag-of-words embedder (no model)."""

from __future__ import annotations

import pytest

from tests.embed.helpers import FAKE, audit, classification_file, prompts_file, texts

TOPIC_PARAMS = {"distance_threshold": 0.8}  # the model is the embed stage's


def train_file(tmp_path, rare: int = 0):
    items = texts("password", 30) + texts("card", 30) + texts("transfer", 30)
    items += texts("crypto", rare)
    return prompts_file(tmp_path / "train.jsonl", items, prefix="t")


# ---- reference coverage --------------------------------------------------------------------

@pytest.mark.parametrize("ref_topics,passed,uncovered", [
    (["password", "card", "transfer"], True, []),
    (["password", "card", "transfer", "crypto"], False, ["bitcoin"]),
], ids=["all-topics-covered", "crypto-uncovered"])
def test_min_reference_coverage_reports_uncovered_reference_groups(tmp_path, ref_topics, passed, uncovered):
    ref = prompts_file(tmp_path / "ref.jsonl", [t for top in ref_topics for t in texts(top, 8, offset=3)], prefix="q")
    out, _ = audit(tmp_path, train_file(tmp_path), [{"check": "min_reference_coverage", "severity": "error",
                                                    "params": {"min_coverage": 0.9, "similarity": 0.4}}], reference=ref)
    o = out["min_reference_coverage"]
    assert (o.status == "pass") is passed, o.message
    bad = [g for g in o.details["table"] if g["status"] == "uncovered"]
    for word in uncovered:  # the uncovered group is named by its characteristic words, with reference examples
        assert any(word in g["reference_group"] for g in bad), o.details["table"]
        assert any("crypto" in g["examples"] for g in bad)
    if passed:
        assert not bad
    # the report prints each figure's key as its caption: a sentence, never an internal name like "map"
    assert len(o.details["figures"]) == 3 and all(" " in k and k.endswith(".") for k in o.details["figures"])
    near = o.details["nearest_examples"]  # each uncovered reference record next to its nearest training record
    assert all(r["cosine"] < 0.4 for r in near) and (passed or near)
    assert [r["cosine"] for r in near] == sorted(r["cosine"] for r in near)
    assert all(f.startswith("<svg") and "<script" not in f for f in o.details["figures"].values())


def test_min_reference_coverage_is_skipped_without_a_reference(tmp_path):
    out, _ = audit(tmp_path, train_file(tmp_path), [{"check": "min_reference_coverage", "severity": "error"}])
    assert out["min_reference_coverage"].status == "skipped"
    assert "--reference" in out["min_reference_coverage"].message


def test_min_reference_coverage_single_record_sets(tmp_path):
    train = prompts_file(tmp_path / "one.jsonl", ["reset my password please"], prefix="t")
    ref = prompts_file(tmp_path / "ref.jsonl", ["buy bitcoin crypto wallet"], prefix="q")
    out, _ = audit(tmp_path, train, [{"check": "min_reference_coverage", "severity": "error"}], reference=ref)
    o = out["min_reference_coverage"]
    assert o.status == "fail" and o.value == 0.0
    assert o.details["table"][0]["status"] == "uncovered"


def test_per_class_coverage_groups_by_label(tmp_path):
    train = classification_file(tmp_path / "train.csv", [(t, "password") for t in texts("password", 12)]
                                + [(t, "card") for t in texts("card", 12)])
    ref = classification_file(tmp_path / "test.csv", [(t, "password") for t in texts("password", 4, 5)]
                              + [(t, "crypto") for t in texts("crypto", 4)])
    out, _ = audit(tmp_path, train, [{"check": "min_reference_coverage", "severity": "error",
                                      "params": {"similarity": 0.4}}], reference=ref)
    o = out["min_reference_coverage"]
    rows = {r["reference_group"]: r for r in o.details["table"]}
    assert o.details["grouped_by"] == "label"
    assert rows["crypto"]["status"] == "uncovered" and rows["crypto"]["training_records_of_class"] == 0
    assert rows["password"]["status"] == "covered" and rows["password"]["nearest_has_same_label"] == 1.0


def test_per_class_coverage_counts_the_training_records_of_the_class_not_the_neighbours(tmp_path):
    # a class is asked in other words than training uses (like "definition" questions on other subjects):
    # few reference records have a close training neighbour, yet training holds 24 records of the class
    train = classification_file(tmp_path / "train.csv", [(t, "password") for t in texts("password", 24)]
                                + [(t, "money") for t in texts("transfer", 24)] + [(t, "card") for t in texts("card", 2)])
    ref = classification_file(tmp_path / "test.csv", [(t, "money") for t in texts("crypto", 6)]
                              + [(t, "password") for t in texts("password", 6, 5)] + [(t, "card") for t in texts("card", 6, 3)])
    out, _ = audit(tmp_path, train, [{"check": "min_reference_coverage", "severity": "warn",
                                      "params": {"similarity": 0.4}}], reference=ref)
    o = out["min_reference_coverage"]
    rows = {r["reference_group"]: r for r in o.details["table"]}
    money = rows["money"]
    assert money["status"] == "covered" and money["training_records_of_class"] == 24
    assert money["covered_share"] == 0.0 and money["training_neighbours"] == 0  # the neighbour count, named as such
    card = rows["card"]
    assert card["status"] == "thin" and card["training_records_of_class"] == 2
    assert "thin 'card': 6 reference, 2 training records of that class; nearest-neighbour coverage" in o.message
    assert "'money'" not in o.message


# ---- long tail and outliers ----------------------------------------------------------------

@pytest.mark.parametrize("rare,max_share,status", [(0, 0.15, "pass"), (3, 0.01, "fail")],
                         ids=["no-rare-topic", "rare-crypto-topic"])
def test_long_tail_without_reference_describes_small_topics_and_flags_no_record(tmp_path, rare, max_share, status):
    stages = {"embed": {"model": "hashing"}, "topics": TOPIC_PARAMS}
    out, res = audit(tmp_path, train_file(tmp_path, rare=rare), [{"check": "max_long_tail_share", "severity": "warn",
                                                                  "params": {"max_share": max_share}}], stages=stages)
    o = out["max_long_tail_share"]
    assert o.status == status, o.message
    assert o.flagged == [] and o.evidence == {}  # a record in a small topic is not a defect
    assert all(len(f) == 0 for f in res.signals["flagged_by"])
    assert "--reference" in o.message
    if rare:
        assert any("crypto" in r["topic"] or "bitcoin" in r["topic"] for r in o.details["table"]), o.details["table"]


def _ref(tmp_path, counts: dict, offset: int = 3):
    return prompts_file(tmp_path / "ref.jsonl", [t for top, k in counts.items() for t in texts(top, k, offset=offset)],
                        prefix="q")


@pytest.mark.parametrize("train_rare,ref_counts,status,under", [
    (0, {"password": 8, "card": 8, "transfer": 8, "crypto": 8}, "fail", "crypto"),
    (1, {"password": 8, "card": 8, "transfer": 8, "crypto": 8}, "fail", "crypto"),
    (3, {"password": 8, "card": 8, "transfer": 8}, "pass", None),
    (0, {"password": 20, "card": 20, "transfer": 20, "crypto": 2}, "pass", "crypto"),
], ids=["users-ask-crypto-training-has-none", "users-ask-crypto-training-has-one", "training-only-topic-is-no-finding",
        "rare-demand-rare-supply-within-max-share"])
def test_long_tail_with_reference_is_demand_against_supply(tmp_path, train_rare, ref_counts, status, under):
    stages = {"embed": dict(FAKE)}
    out, res = audit(tmp_path, train_file(tmp_path, rare=train_rare),
                     [{"check": "max_long_tail_share", "severity": "info", "params": {"similarity": 0.4}}],
                     stages=stages, reference=_ref(tmp_path, ref_counts))
    o = out["max_long_tail_share"]
    assert o.flagged == [] and o.noted == []
    assert all(len(f) == 0 for f in res.signals["flagged_by"])
    assert o.status == ("info" if status == "fail" else "pass"), o.message
    if under:  # every under-supplied topic is a crypto one (the hashed embedder splits it by phrasing), and all of them are
        rows = o.details["table"]
        assert rows and all("crypto" in r["reference_topic"] for r in rows), o.details["tables"]["all reference topics"]
        assert not any("crypto" in r["reference_topic"] for r in o.details["tables"]["all reference topics"]
                       if r["status"] == "supplied")
        assert all(r["supply_ratio"] < 0.25 for r in rows)
        assert sum(r["training_neighbours"] for r in rows) == train_rare
        assert sum(r["reference_records"] for r in rows) == ref_counts["crypto"]
        assert o.value == pytest.approx(ref_counts["crypto"] / sum(ref_counts.values()), abs=1e-4)
        assert f"{o.value:.1%} of the reference" in o.message
    else:  # training's own crypto topic is supply nobody asked for: not a finding
        assert o.details["table"] == [] and o.value == 0.0
        assert "3% of training is on subjects the reference never asks about (not a finding)" in o.message


def test_long_tail_with_labelled_reference_weighs_class_shares(tmp_path):
    train = classification_file(tmp_path / "train.csv", [(t, "password") for t in texts("password", 40)]
                                + [(t, "card") for t in texts("card", 40)] + [(t, "crypto") for t in texts("crypto", 2)])
    ref = classification_file(tmp_path / "test.csv", [(t, lab) for lab in ("password", "card", "crypto")
                                                      for t in texts(lab, 10, 4)])
    out, _ = audit(tmp_path, train, [{"check": "max_long_tail_share", "severity": "info"}], reference=ref)
    o = out["max_long_tail_share"]
    assert o.details["grouped_by"] == "label" and o.status == "info"
    (row,) = o.details["table"]
    assert row["reference_topic"] == "crypto" and row["training_records_of_class"] == 2
    assert row["reference_share"] == pytest.approx(1 / 3, abs=1e-3) and row["training_share"] == pytest.approx(2 / 82, abs=1e-3)
    assert "'crypto' (reference 33.3%, training 2.4%)" in o.message


def test_long_tail_and_outlier_checks_on_a_single_record(tmp_path):
    train = prompts_file(tmp_path / "one.jsonl", ["reset my password please"], prefix="t")
    out, _ = audit(tmp_path, train, [{"check": "max_long_tail_share", "severity": "warn"},
                                     {"check": "max_outlier_rate", "severity": "warn"}],
                   stages={"embed": {"model": "hashing"}, "topics": TOPIC_PARAMS})
    assert out["max_long_tail_share"].status == "fail"  # one record is its own tiny topic: described, not flagged
    assert out["max_long_tail_share"].flagged == []
    assert out["max_outlier_rate"].status == "pass" and out["max_outlier_rate"].flagged == []


def test_max_outlier_rate_flags_the_off_topic_record(tmp_path):
    items = texts("password", 30) + texts("card", 30) + ["zebra giraffe elephant savanna migration documentary"]
    train = prompts_file(tmp_path / "train.jsonl", items, prefix="t")
    out, _ = audit(tmp_path, train, [{"check": "max_outlier_rate", "severity": "warn", "params": {"max_rate": 0.0}}],
                   stages={"embed": {"model": "hashing"}, "topics": TOPIC_PARAMS})
    o = out["max_outlier_rate"]
    assert o.status == "fail" and "t60" in o.flagged
    assert "distance" in o.evidence["t60"] and "zebra" in o.evidence["t60"]


# ---- semantic duplicates and leakage --------------------------------------------------------

@pytest.mark.parametrize("extra,status", [([], "pass"), (["reset my password please today"], "fail")],
                         ids=["distinct", "repeated-prompt"])
def test_max_semantic_duplicate_rate(tmp_path, extra, status):
    items = ["reset my password please today", "my card was stolen now", "international transfer fee asap"] + extra
    train = prompts_file(tmp_path / "train.jsonl", items, prefix="t")
    out, _ = audit(tmp_path, train, [{"check": "max_semantic_duplicate_rate", "severity": "warn", "params": {"max_rate": 0.0}}])
    o = out["max_semantic_duplicate_rate"]
    assert o.status == status
    if extra:
        assert o.flagged == ["t3"] and "t0" in o.evidence["t3"] and "cosine 1.000" in o.evidence["t3"]


def test_max_semantic_leakage_flags_paraphrased_eval_items_and_skips_without_eval(tmp_path):
    train = prompts_file(tmp_path / "train.jsonl", ["reset my password please today", "my card was stolen now"], prefix="t")
    ev = prompts_file(tmp_path / "eval.jsonl", ["Reset my password, please! Today", "what is the weather"], prefix="e")
    rule = [{"check": "max_semantic_leakage", "severity": "error"}]
    out, _ = audit(tmp_path, train, rule, eval=[ev])
    o = out["max_semantic_leakage"]
    assert o.status == "fail" and o.flagged == ["t0"] and "eval:e0" in o.evidence["t0"]
    out, _ = audit(tmp_path, train, rule)
    assert out["max_semantic_leakage"].status == "skipped"


# ---- label issues -----------------------------------------------------------------------------

def test_max_label_issue_rate_finds_flipped_labels_and_suggests_the_right_one(tmp_path):
    items = [(t, "password") for t in texts("password", 24)] + [(t, "card") for t in texts("card", 24)]
    items += [(t, "transfer") for t in texts("transfer", 24)]
    items[5] = (items[5][0], "card")  # a password question labelled card
    items[30] = (items[30][0], "transfer")  # a card question labelled transfer
    data = classification_file(tmp_path / "train.csv", items)
    out, _ = audit(tmp_path, data, [{"check": "max_label_issue_rate", "severity": "warn", "params": {"max_rate": 0.01}}])
    o = out["max_label_issue_rate"]
    assert o.status == "fail"
    assert {"5", "30"} <= set(o.flagged) and len(o.flagged) <= 4
    assert "labelled 'card'" in o.evidence["5"] and "suggested 'password'" in o.evidence["5"]


def test_max_label_issue_rate_passes_clean_labels_and_skips_non_classification(tmp_path):
    items = [(t, "password") for t in texts("password", 12)] + [(t, "card") for t in texts("card", 12)]
    out, _ = audit(tmp_path, classification_file(tmp_path / "c.csv", items),
                   [{"check": "max_label_issue_rate", "severity": "warn"}])
    assert out["max_label_issue_rate"].status == "pass" and out["max_label_issue_rate"].flagged == []
    out, _ = audit(tmp_path, prompts_file(tmp_path / "p.jsonl", ["a b c"]), [{"check": "max_label_issue_rate", "severity": "warn"}])
    assert out["max_label_issue_rate"].status == "skipped"
