"""The product's main job on sample_data/, through the real CLI: audit -> clean -> audit again.

The audit must fail the gate for the planted problems, name each one with the answer key's
counts, keep every raw PII value out of its outputs, and after `curate clean` the cleaned data
must pass audit_rules/default.yaml. The report is opened in headless Chromium.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import sample_file
from curate.cli import main

KEY = None


def key() -> dict:
    global KEY
    if KEY is None:
        KEY = json.loads(sample_file("answer_key.json").read_text())
    return KEY


def problem_ids(kind: str) -> set[str]:
    return {e["id"] for e in key()["support_sft.jsonl"]["problems"][kind]["entries"]}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "audit"
    code = main(["audit", str(sample_file("support_sft.jsonl")), "--eval", str(sample_file("support_eval.jsonl")),
                 "--reference", str(sample_file("production_queries.jsonl")), "--out", str(out)])
    doc = json.loads((out / "audit.json").read_text())
    return code, out, doc, {r["rule"]: r for r in doc["rules"]}


# rule -> the answer-key problem kinds whose records it must flag (all of them)
PLANTED = [
    ("require_valid_structure", ["role_order"]),
    ("max_empty_or_placeholder_answers", ["empty_answer", "placeholder_answer"]),
    ("max_template_token_leaks", ["template_tokens"]),
    ("max_merged_instructions", ["merged_instructions"]),
    ("max_unanswerable_prompts", ["unanswerable_prompt"]),
    ("max_refusal_answers", ["refusal_answer"]),
    ("max_truncated_answers", ["truncated_answer"]),
    ("max_control_char_records", ["control_chars"]),
    ("max_mojibake_records", ["mojibake"]),
    ("max_repetition", ["repeated_text"]),
    ("max_arithmetic_errors", ["wrong_arithmetic"]),
    ("max_truncated_at_max_len", ["very_long"]),
]


def test_gate_fails_with_exit_1(audited):
    code, _, doc, _ = audited
    assert code == 1 and doc["gate"]["passed"] is False
    for rule in ("require_valid_structure", "max_exact_duplicate_rate", "max_near_duplicate_rate", "max_eval_leakage",
                 "max_empty_or_placeholder_answers", "max_template_token_leaks"):
        assert rule in doc["gate"]["failed_rules"]


@pytest.mark.parametrize("rule,kinds", PLANTED, ids=[p[0] for p in PLANTED])
def test_each_planted_problem_is_flagged_exactly(audited, rule, kinds):
    *_, rules = audited
    expected = set().union(*(problem_ids(k) for k in kinds))
    flagged = set(rules[rule]["flagged_ids"])
    assert expected <= flagged, f"missed: {sorted(expected - flagged)}"
    assert flagged == expected, f"extra flags: {sorted(flagged - expected)}"
    assert all(ex["evidence"] for ex in rules[rule]["examples"])


@pytest.mark.parametrize("rule,kind", [("max_exact_duplicate_rate", "exact_duplicates"),
                                       ("max_near_duplicate_rate", "near_duplicates")])
def test_duplicates_flag_one_record_of_each_planted_pair(audited, rule, kind):
    # which copy is kept follows the keep policy (the first in file order); the other is flagged
    *_, rules = audited
    entries = key()["support_sft.jsonl"]["problems"][kind]["entries"]
    flagged = set(rules[rule]["flagged_ids"])
    for e in entries:
        assert len({e["id"], e["duplicate_of"]} & flagged) == 1, e
    assert len(flagged) == len(entries)


def test_conflicting_answers_match_the_key(audited):
    *_, rules = audited
    pairs = key()["support_sft.jsonl"]["problems"]["conflicting_answers"]["entries"]
    ids = {e["id"] for e in pairs} | {e["conflicts_with"] for e in pairs}
    assert set(rules["max_conflicting_answers"]["flagged_ids"]) == ids


def test_every_leaked_eval_item_is_reported_and_nothing_else(audited):
    _, out, _, rules = audited
    import pandas as pd

    planted = key()["support_eval.jsonl"]["problems"]["leaked_from_train"]["entries"]
    assert {e["leaked_from"] for e in planted} <= set(rules["max_eval_leakage"]["flagged_ids"])
    # a train record may also match a planted item through a sibling (same question, other greeting)
    sig = pd.read_parquet(out / "signals.parquet")
    reached = {d["id"] for leaks in sig["leaks_into"] for d in leaks}
    assert reached == {e["id"] for e in planted}


def test_every_planted_pii_record_is_flagged_and_no_raw_value_is_written(audited):
    _, out, _, rules = audited
    from curate.pii.context import reserved_value

    planted = key()["support_sft.jsonl"]["problems"]["pii"]["entries"]
    # e-mails on example.* and IPs in documentation ranges are reserved for examples: not personal data
    entries = [{**e, "values": [v for v in e["values"] if not reserved_value(v["value"], v["entity_type"])]}
               for e in planted]
    entries = [e for e in entries if e["values"]]
    # contact details block in answers and warn in prompts; secrets, cards, SSNs and IBANs block
    # anywhere; names are information (noted, never flagged) and must still be detected
    flagged = (set(rules["max_pii_rate"]["flagged_ids"]) | set(rules["secrets_and_financial_ids"]["flagged_ids"])
               | set(rules["require_no_pii_in_answers"]["flagged_ids"]))
    not_names = {e["id"] for e in entries if any(v["entity_type"] != "PERSON" for v in e["values"])}
    assert not_names <= flagged, sorted(not_names - flagged)
    in_answers = {e["id"] for e in entries if any(".content" in v["field"] and _is_assistant(e["id"], v["field"])
                                                  and v["entity_type"] != "PERSON" for v in e["values"])}
    assert in_answers <= (set(rules["require_no_pii_in_answers"]["flagged_ids"])
                          | set(rules["secrets_and_financial_ids"]["flagged_ids"])), "answer PII blocks the gate"
    assert rules["names_in_answers"]["status"] in ("info", "pass") and not rules["names_in_answers"]["flagged_ids"]
    import pandas as pd

    sig = pd.read_parquet(out / "signals.parquet").set_index("id")
    for e in entries:
        for v in e["values"]:
            if v["entity_type"] == "PERSON":  # found: a PERSON span in the field the name was planted in
                spans = list(sig.loc[e["id"], "pii_spans"])
                assert any(sp["entity_type"] == "PERSON" and sp["field"] == v["field"] for sp in spans), (e["id"], v)
    # signals.parquet is read column by column: grepping its compressed bytes sees nothing
    from leak_scan import file_strings

    written = "".join(text for p in out.iterdir() for _, text in file_strings(p))
    for e in entries:  # an example.* e-mail may be shown: it is nobody's
        for v in e["values"]:
            assert v["value"] not in written, f"raw {v['entity_type']} of {e['id']} leaked into the report"


def _is_assistant(rid: str, field: str) -> bool:
    rows = {json.loads(x)["id"]: json.loads(x) for x in sample_file("support_sft.jsonl").read_text().splitlines()}
    return rows[rid]["messages"][int(field.split(".")[1])]["role"] == "assistant"


def test_coverage_names_the_uncovered_reference_topics(audited):
    *_, rules = audited
    msg = rules["min_reference_coverage"]["message"].lower()
    assert "crypto" in msg


def test_outputs_are_complete(audited):
    _, out, doc, _ = audited
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "embeddings.npy", "report.html", "report.md",
                                                     "signals.parquet"]
    assert doc["dataset"]["records"] == 2000 and doc["dataset"]["format"] == "chat"
    assert {s["name"] for s in doc["stages"]} >= {"dedup", "pii", "embed", "structure", "answers"}
    import pandas as pd

    sig = pd.read_parquet(out / "signals.parquet")
    assert len(sig) == 2000 and {"id", "flagged_by", "exact_dup_of", "near_dup_cluster", "pii_spans"} <= set(sig.columns)
    import numpy as np

    # the embedding is one matrix beside the signals, not a column of Python lists in them
    assert "embedding" not in sig.columns and np.load(out / "embeddings.npy").shape == (2000, 384)


def test_report_renders_in_a_real_browser(audited, tmp_path):
    from browser import render

    _, out, doc, _ = audited
    shot = tmp_path / "report.png"
    dom, console = render(out / "report.html", screenshot=shot)
    assert console == [], f"console messages: {console}"
    assert "Gate FAILED" in dom
    for rule in ("max_exact_duplicate_rate", "require_no_pii_in_answers", "min_reference_coverage"):
        assert f"id=\"rule-{rule}\"" in dom
    assert dom.count("<svg") >= 4, "histograms and embedding charts"
    assert 'id="shown">' in dom
    assert shot.exists() and shot.stat().st_size > 20_000


@pytest.fixture(scope="module")
def cleaned(audited, tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "clean"
    code = main(["clean", str(sample_file("support_sft.jsonl")), "--eval", str(sample_file("support_eval.jsonl")),
                 "--out", str(out)])
    assert code == 0
    return out, json.loads((out / "manifest.json").read_text())


def test_clean_loses_nothing(cleaned):
    out, m = cleaned
    kept = (out / "support_sft.jsonl").read_text().splitlines()
    quarantine = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert m["input"] == 2000 == len(kept) + len(quarantine) == m["kept"] + m["quarantined"]
    assert all(q["reasons"] and q["record"] for q in quarantine)
    reasons = Counter(q["reasons"][0]["rule"] for q in quarantine)
    assert reasons["max_exact_duplicate_rate"] + reasons["max_near_duplicate_rate"] >= 60
    changes = [json.loads(x) for x in (out / "changes.jsonl").read_text().splitlines()]
    changed_ids = {c["id"] for c in changes}
    # a broken record is repaired unless it is dropped as a whole: sft-00740 (mojibake) also shares a
    # 13-gram with eval items ("i changed my phone number and cant receive codes on the old one")
    contaminated = {q["id"] for q in quarantine if q["reasons"][0]["rule"] == "max_benchmark_contamination"}
    assert problem_ids("mojibake") <= changed_ids | contaminated
    assert problem_ids("control_chars") <= changed_ids | contaminated


def test_cleaned_data_passes_the_default_gate(cleaned, tmp_path):
    out, _ = cleaned
    code = main(["audit", str(out / "support_sft.jsonl"), "--eval", str(sample_file("support_eval.jsonl")),
                 "--out", str(tmp_path / "re")])
    doc = json.loads((tmp_path / "re" / "audit.json").read_text())
    assert code == 0, f"still failing: {doc['gate']['failed_rules']}"
