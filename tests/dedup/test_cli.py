"""`curate dedup` end to end on small files: findings, --explain, --calibrate, --json, bad input."""

import json

import pytest

from curate.cli import main
from tests.dedup.helpers import ANSWER, OTHER


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps({"id": i, "prompt": p, "response": r}) + "\n" for i, p, r in rows))
    return str(path)


@pytest.fixture
def files(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", [
        ("a", "How do I freeze my card?", ANSWER), ("b", "how do i freeze my card", ANSWER),
        ("c", "How do I freeze my card?", ANSWER.replace("choose Freeze", "pick Freeze")),
        ("d", "Where is my transfer?", OTHER), ("e", "Where is my transfer?", "It arrived yesterday."),
        ("f", "Can I change my PIN in the app?", "Yes, under Cards, then Security, then Change PIN.")])
    test = write_jsonl(tmp_path / "test.jsonl", [("t1", "can i change my pin in the app", "Yes.")])
    return train, test


def test_report_lists_every_finding_with_evidence(files, capsys):
    train, test = files
    assert main(["dedup", train, "--eval", test]) == 0
    out = capsys.readouterr().out
    assert "exact duplicate of a" in out and "near-duplicate of a (Jaccard" in out
    assert "answers differently from d" in out
    assert "prompt appears in eval set test as t1" in out


def test_explain_shows_the_cluster_side_by_side(files, capsys):
    assert main(["dedup", files[0], "--explain", "c"]) == 0
    out = capsys.readouterr().out
    assert "cluster 0: 3 records, kept a" in out
    assert "near-duplicate, Jaccard" in out and "differs in response" in out
    assert "choose" in out and "pick" in out  # the changed word on each side


def test_explain_unknown_id_is_bad_input(files, capsys):
    assert main(["dedup", files[0], "--explain", "cc"]) == 2
    assert "record id 'cc' is not in" in capsys.readouterr().err


def test_calibrate_prints_bands_and_removals(files, capsys):
    assert main(["dedup", files[0], "--calibrate"]) == 0
    out = capsys.readouterr().out
    assert "records removed" in out and "Jaccard 0.9-1.0" in out


def test_json_output(files, capsys):
    assert main(["dedup", files[0], "--json", "--shingle", "word", "--ngram", "3", "--threshold", "0.7"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["shingle"] == "word" and data["exact"]["count"] == 1 and data["near"]["count"] == 1
    assert data["exact"]["evidence"] == {"b": "exact duplicate of a (prompt+response identical after normalisation)"}


def test_bad_threshold_is_bad_input(files, capsys):
    assert main(["dedup", files[0], "--threshold", "1.2"]) == 2
    err = capsys.readouterr().err
    assert "threshold 1.2" in err and "fix:" in err


def test_second_run_reads_the_cached_signals_and_says_the_same(files, capsys):
    train, test = files
    assert main(["dedup", train, "--eval", test]) == 0
    first = capsys.readouterr().out
    assert main(["dedup", train, "--eval", test]) == 0  # parquet round trip: None/NaN, lists of dicts
    assert capsys.readouterr().out == first


def test_fields_on_the_command_line_and_a_bad_field_is_bad_input(files, capsys):
    assert main(["dedup", files[0], "--json", "--fields", "prompt"]) == 0
    data = json.loads(capsys.readouterr().out)
    # d and e ask the same question: by prompt alone they are duplicates, not a conflict
    assert data["exact"]["evidence"]["e"] == "exact duplicate of d (prompt identical after normalisation)"
    assert main(["dedup", files[0], "--fields", "promt"]) == 2
    err = capsys.readouterr().err
    assert "unknown field(s) 'promt'" in err and "did you mean 'prompt'" in err and "fix:" in err


def test_fields_as_a_stage_parameter_in_a_rules_file(files, tmp_path, capsys):
    rules = tmp_path / "rules.yaml"
    rules.write_text("# curate audit DATA --rules rules.yaml\nstages: {dedup: {fields: [respnse]}}\n"
                     "rules:\n  - {check: max_near_duplicate_rate, severity: error}\n")
    assert main(["audit", files[0], "--rules", str(rules), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'response'" in err and "this data has: prompt, response" in err
    assert "fix: under stages: dedup: fields:" in err  # nothing in the message is eaten as markup
