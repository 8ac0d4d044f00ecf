"""`curate select` and `curate gaps` end to end from the CLI on tiny files (hashed embeddings: no model)."""

from __future__ import annotations

import csv
import json

import pytest

from curate.checks import CheckResult, register_check
from curate.cli import main


@register_check("_test_select_drop_bad", fix="drop")
def _drop_bad(signals, ctx) -> CheckResult:
    """Records whose text contains 'BAD' (test check)."""
    ids = [r["id"] for r in ctx.dataset.records if "BAD" in r["prompt"] + r["response"]]
    return CheckResult(value=len(ids), passed=not ids, flagged=ids, evidence={i: "contains BAD" for i in ids})


PASSWORD = ["reset my password", "i forgot my password", "password reset link expired", "change my password please",
            "password not accepted", "new password needed"]
CARD = ["my card was stolen", "lost my card", "block my stolen card", "card never arrived", "card declined at shop",
        "replace my broken card"]


def write_csv(path, rows, header=("text", "label")):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def intents(tmp_path):
    rows = [(t, "password") for t in PASSWORD] + [(t, "card") for t in CARD] + [("BAD card text", "card")]
    return write_csv(tmp_path / "intents.csv", rows)


def test_select_writes_the_subset_in_the_input_format_and_a_reason_for_every_record(tmp_path, intents):
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: _test_select_drop_bad, severity: error}\n")
    out = tmp_path / "sel"
    assert main(["select", str(intents), "--budget", "4", "--out", str(out), "--rules", str(rules),
                 "--model", "hashing"]) == 0
    kept = list(csv.DictReader((out / "intents.csv").open()))
    assert len(kept) == 4 and list(kept[0]) == ["text", "label"]
    assert sorted(r["label"] for r in kept) == ["card", "card", "password", "password"]
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 13 and sum(r["kept"] for r in manifest) == 4
    bad = next(r for r in manifest if r["id"] == "12")
    assert bad["kept"] is False and "excluded by the gate: _test_select_drop_bad (contains BAD)" == bad["reason"]
    summary = json.loads((out / "select.json").read_text())
    assert summary["excluded_by_gate"] == 1 and summary["grouped_by"] == "label" and summary["score"] == "margin"


def test_select_unlabelled_jsonl_groups_by_topic(tmp_path):
    data = tmp_path / "sft.jsonl"
    data.write_text("".join(json.dumps({"id": f"s{i}", "instruction": t, "output": "ok"}) + "\n"
                            for i, t in enumerate(PASSWORD + CARD)))
    out = tmp_path / "sel"
    assert main(["select", str(data), "--budget", "3", "--out", str(out), "--rules", "none", "--model", "hashing"]) == 0
    kept = [json.loads(x) for x in (out / "sft.jsonl").read_text().splitlines()]
    assert len(kept) == 3 and set(kept[0]) == {"id", "instruction", "output"}
    assert json.loads((out / "select.json").read_text())["grouped_by"] == "topic"


@pytest.mark.parametrize("extra,message", [
    (["--budget", "0"], "the budget is a number of records"),
    (["--budget", "3", "--score", "margin", "--format", "text"], "--score margin needs labelled records"),
], ids=["zero-budget", "margin-without-labels"])
def test_select_bad_usage_exits_2_with_the_fix(tmp_path, intents, capsys, extra, message):
    assert main(["select", str(intents), "--out", str(tmp_path / "o"), "--rules", "none", "--model", "hashing",
                 *extra]) == 2
    assert message in capsys.readouterr().err


def test_gaps_lists_the_reference_label_training_lacks_as_a_labelling_queue(tmp_path, intents):
    ref = write_csv(tmp_path / "ref.csv", [("forgot password again", "password"), ("card stolen yesterday", "card"),
                                           ("buy bitcoin with my balance", "crypto"), ("sell crypto coins", "crypto")])
    out = tmp_path / "gaps"
    assert main(["gaps", str(intents), "--reference", str(ref), "--out", str(out), "--model", "hashing"]) == 0
    queue = [json.loads(x) for x in (out / "gaps.jsonl").read_text().splitlines()]
    crypto = [r for r in queue if r["topic"] == "crypto"]
    assert {r["reference_text"] for r in crypto} == {"buy bitcoin with my balance", "sell crypto coins"}
    assert all(r["status"] == "uncovered" and r["training_supply"] == 0 and r["suggested_label"] == "crypto"
               for r in crypto)
    assert all(r["nearest_training_id"] is not None for r in crypto)
    rows = list(csv.DictReader((out / "gaps.csv").open()))
    assert len(rows) == len(queue) and rows[0]["topic"] == queue[0]["topic"]
    summary = json.loads((out / "gaps.json").read_text())
    assert summary["grouped_by"] == "label" and summary["uncovered"] >= 1


def test_gaps_unlabelled_reference_clusters_and_suggests_no_label_for_a_new_topic(tmp_path):
    train = tmp_path / "t.jsonl"
    train.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(PASSWORD)))
    ref = tmp_path / "r.jsonl"
    ref.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n"
                           for i, t in enumerate(["reset my password", "bitcoin wallet crypto", "crypto bitcoin price"])))
    out = tmp_path / "gaps"
    assert main(["gaps", str(train), "--reference", str(ref), "--out", str(out), "--model", "hashing"]) == 0
    queue = [json.loads(x) for x in (out / "gaps.jsonl").read_text().splitlines()]
    status = {r["reference_id"]: r["status"] for r in queue}
    assert status["r1"] == status["r2"] == "uncovered"
    assert queue[0]["topic"].endswith("bitcoin, crypto, price, wallet")  # uncovered topics first
    assert all(r["suggested_label"] == "" and r["suggested_label_source"].startswith("none: neither side has labels")
               for r in queue)


def test_gaps_empty_reference_exits_2(tmp_path, intents):
    ref = tmp_path / "r.jsonl"
    ref.write_text("")
    assert main(["gaps", str(intents), "--reference", str(ref), "--out", str(tmp_path / "g"), "--model", "hashing"]) == 2


@register_check("_test_select_flag_shop")
def _flag_shop(signals, ctx) -> CheckResult:
    """Records whose text mentions 'shop' (test check, no fix: like conflicting labels)."""
    ids = [r["id"] for r in ctx.dataset.records if "shop" in r["prompt"]]
    return CheckResult(value=len(ids), passed=not ids, flagged=ids, evidence={i: "mentions shop" for i in ids})


@pytest.mark.parametrize("severity,flags,excluded", [
    ("error", [], True),
    ("warn", [], False),
    ("warn", ["--exclude-warned"], True),
], ids=["error-rule-without-fix", "warn-rule", "warn-rule-excluded-on-request"])
def test_select_excludes_what_error_rules_flag_even_without_a_fix(tmp_path, intents, severity, flags, excluded):
    rules = tmp_path / "r.yaml"
    rules.write_text(f"rules:\n  - {{check: _test_select_flag_shop, severity: {severity}}}\n")
    out = tmp_path / "sel"
    assert main(["select", str(intents), "--budget", "12", "--out", str(out), "--rules", str(rules),
                 "--model", "hashing", *flags]) == 0
    shop = next(json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines() if json.loads(x)["id"] == "10")
    assert shop["kept"] is not excluded
    if excluded:
        assert shop["reason"] == "excluded by the gate: _test_select_flag_shop (mentions shop)"
