"""The train gate trusts only an audit made with the same rules; flags it used to ignore now act
(--encoding, --skip-invalid); and the default SFT model is converted only after the gate passes."""

from __future__ import annotations

import csv
import json

from test_cli import TRAIN, workdir, write_audit  # noqa: F401  (workdir is a fixture)

from curate.cli import main
from curate.load import load_dataset
from curate.rules import load_rules

BIG = "rules:\n  - {check: min_records, severity: error, params: {min_count: 1000}}\n"


def test_audit_json_records_the_digest_of_its_rules(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n')
    (tmp_path / "r.yaml").write_text("rules:\n  - {check: min_records, severity: error}\n")
    assert main(["audit", str(tmp_path / "d.jsonl"), "--rules", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "audit.json").read_text())
    assert doc["rules_digest"] == load_rules(tmp_path / "r.yaml").digest
    assert doc["rules_digest"] != load_rules("default").digest


def test_a_passing_audit_with_other_rules_does_not_open_the_gate(workdir, capsys):  # noqa: F811
    write_audit(workdir, passed=True)  # passed, but with the default rules
    (workdir / "big.yaml").write_text(BIG)
    assert main(TRAIN + ["--out", "run", "--rules", "big.yaml"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "not gating on curate-out/train/audit.json: it audits this data with other rules" in err
    assert "min_records" in err
    assert json.loads((workdir / "curate-out" / "train" / "audit.json").read_text())["gate"]["passed"] is True, \
        "the earlier audit is kept; the new one is written beside it"
    assert not (workdir / "run").exists()


def test_an_explicit_audit_made_with_other_rules_than_rules_is_refused(workdir, capsys):  # noqa: F811
    path = write_audit(workdir, passed=True)
    (workdir / "big.yaml").write_text(BIG)
    assert main(TRAIN + ["--out", "run", "--audit", path, "--rules", "big.yaml"]) == 2
    assert "was made with other rules than --rules big.yaml" in " ".join(capsys.readouterr().err.split())


def test_skip_invalid_trains_on_the_valid_records_and_quarantines_the_rest(workdir, capsys):  # noqa: F811
    with open(workdir / "train.csv", "a", newline="") as f:
        csv.writer(f).writerow(["an unlabelled line", ""])
    assert main(TRAIN + ["--out", "run"]) == 2, "without --skip-invalid the bad row stops the run"
    capsys.readouterr()
    write_audit(workdir, passed=True, fingerprint=load_dataset(workdir / "train.csv", skip_invalid=True).fingerprint)
    assert main(TRAIN + ["--out", "run", "--skip-invalid"]) == 0
    assert "1 invalid training record(s) skipped" in " ".join(capsys.readouterr().err.split())
    (q,) = [json.loads(x) for x in (workdir / "run" / "invalid.jsonl").read_text().splitlines()]
    assert q["locator"] == "line 26" and "label" in q["reason"]


def test_encoding_is_passed_to_the_loader(workdir, capsys):  # noqa: F811
    text = (workdir / "train.csv").read_text().replace("hello now", "café now")
    (workdir / "train.csv").write_bytes(text.encode("latin-1"))
    assert main(TRAIN + ["--out", "run"]) == 2
    assert "not valid utf-8" in capsys.readouterr().err
    write_audit(workdir, passed=False, fingerprint=load_dataset(workdir / "train.csv", encoding="latin-1").fingerprint)
    assert main(TRAIN + ["--out", "run", "--encoding", "latin-1"]) == 1, "read, then stopped by the gate"


def test_the_default_sft_model_is_not_converted_before_a_failing_gate(tmp_path, monkeypatch, capsys):
    import train.model

    def no_conversion(task):
        raise AssertionError("default model prepared before the gate")

    monkeypatch.setattr(train.model, "default_model", no_conversion)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.jsonl").write_text('{"prompt": "q", "response": "a"}\n')
    (tmp_path / "big.yaml").write_text(BIG)
    assert main(["train", "d.jsonl", "--out", "run", "--rules", "big.yaml"]) == 1
    assert "gate failed" in capsys.readouterr().err
