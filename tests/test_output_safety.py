"""Nothing is lost: no command writes over its input or an earlier quarantine, and --skip-invalid always
leaves the skipped records in a quarantine file with reasons and a count."""

from __future__ import annotations

import json

import pytest

from curate.cli import main

RULES = "rules:\n  - {check: min_records, severity: error}\n"
GOOD = '{"id": "%d", "text": "record number %d about topic %d", "label": "%s"}\n'


def _data(path, n=12, bad_lines=()):
    lines = [GOOD % (i, i, i, "ab"[i % 2]) for i in range(n)]
    for pos, line in bad_lines:
        lines.insert(pos, line)
    path.write_text("".join(lines))
    return path


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text(RULES)
    return p


def test_clean_into_the_inputs_own_folder_is_refused_and_the_input_survives(tmp_path, rules, capsys):
    data = _data(tmp_path / "d.jsonl")
    before = data.read_bytes()
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "would overwrite the input" in err and "fix:" in err
    assert data.read_bytes() == before
    assert not (tmp_path / "quarantine.jsonl").exists()


def test_a_second_clean_into_the_same_folder_keeps_the_first_quarantine(tmp_path, rules, capsys):
    data = _data(tmp_path / "d.jsonl", bad_lines=[(3, '{"id": "x", "text": 5, "label": "a"}\n')])
    out = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out), "--skip-invalid"]) == 0
    first = (out / "quarantine.jsonl").read_text()
    assert json.loads(first)["locator"] == "line 4"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(out), "--skip-invalid"]) == 2
    assert "already exist" in " ".join(capsys.readouterr().err.split())
    assert (out / "quarantine.jsonl").read_text() == first


def test_split_into_the_inputs_own_folder_does_not_replace_the_input(tmp_path, capsys):
    data = _data(tmp_path / "train.jsonl")
    before = data.read_bytes()
    assert main(["split", str(data), "--out", str(tmp_path)]) == 2
    assert "would overwrite the input" in " ".join(capsys.readouterr().err.split())
    assert data.read_bytes() == before


def test_split_refuses_files_it_did_not_write_but_replaces_its_own(tmp_path, capsys):
    data = _data(tmp_path / "all.jsonl")
    out = tmp_path / "splits"
    out.mkdir()
    (out / "test.jsonl").write_text("someone's held-out test set\n")
    assert main(["split", str(data), "--out", str(out)]) == 2
    assert (out / "test.jsonl").read_text() == "someone's held-out test set\n"
    (out / "test.jsonl").unlink()
    assert main(["split", str(data), "--out", str(out)]) == 0
    assert main(["split", str(data), "--out", str(out)]) == 0, "a split is derived again from its source"


def test_split_skip_invalid_quarantines_bad_records_and_malformed_lines_with_a_count(tmp_path, capsys):
    data = _data(tmp_path / "all.jsonl", n=20, bad_lines=[(2, '{"id": "bad", "text": 7, "label": "a"}\n'),
                                                           (5, '{"id": "torn", "text": "no end\n')])
    out = tmp_path / "splits"
    assert main(["split", str(data), "--out", str(out), "--skip-invalid"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "2 invalid record(s) skipped" in err
    q = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert sorted(x["locator"] for x in q) == ["line 3", "line 6"]
    torn = next(x for x in q if x["locator"] == "line 6")
    assert "malformed JSON" in torn["reason"] and torn["record"] == '{"id": "torn", "text": "no end'
    m = json.loads((out / "split_manifest.json").read_text())
    assert m["invalid_records"]["records"] == 2
    assert sum(s["records"] for s in m["splits"].values()) + 2 == 22, "written + quarantined = read"


def test_split_says_when_a_split_gets_no_records(tmp_path, capsys):
    data = _data(tmp_path / "all.jsonl", n=2)
    out = tmp_path / "splits"
    assert main(["split", str(data), "--out", str(out), "--ratios", "0.9,0.05,0.05", "--no-stratify"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "got no records" in err
    assert json.loads((out / "split_manifest.json").read_text())["empty_splits"]


@pytest.mark.parametrize("command", ["audit", "clean", "split", "train"])
@pytest.mark.parametrize("kind", ["file", "under_a_file"])
def test_unusable_out_is_refused_before_any_work(tmp_path, capsys, rules, command, kind):
    data = _data(tmp_path / "d.jsonl")
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("x")
    out = blocker if kind == "file" else blocker / "sub"
    argv = [command, str(data), "--out", str(out)] + (["--rules", str(rules)] if command in ("audit", "clean") else [])
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "blocker.txt" in err and "fix:" in err and "Traceback" not in err
    assert blocker.read_text() == "x"
    assert not (tmp_path / "curate-out").exists()


# command -> where its quarantine of --skip-invalid records lands (relative to tmp_path)
SKIPPERS = {
    "inspect": ("curate-out/mixed-*/invalid.jsonl", []),  # the default folder: <stem>-<8 hex of the fingerprint>
    "dedup": ("curate-out/mixed-*/invalid.jsonl", []),
    "audit": ("out/invalid.jsonl", ["--out", "out", "--rules", "RULES"]),
    "clean": ("out/quarantine.jsonl", ["--out", "out", "--rules", "RULES"]),
    "split": ("out/quarantine.jsonl", ["--out", "out"]),
}


@pytest.mark.parametrize("command", list(SKIPPERS))
def test_every_skip_invalid_command_quarantines_with_reasons_and_a_count(tmp_path, monkeypatch, rules, capsys, command):
    monkeypatch.chdir(tmp_path)
    _data(tmp_path / "mixed.jsonl", bad_lines=[(1, '{"id": "bad", "text": 7, "label": "a"}\n'), (4, "{torn\n")])
    where, extra = SKIPPERS[command]
    argv = [command, "mixed.jsonl", "--skip-invalid", *[str(rules) if x == "RULES" else x for x in extra]]
    assert main(argv) in (0, 1)
    err = " ".join(capsys.readouterr().err.split())
    assert "2 invalid record(s)" in err, err
    (path,) = tmp_path.glob(where)
    q = [json.loads(x) for x in path.read_text().splitlines()]
    assert sorted(x["locator"] for x in q) == ["line 2", "line 5"]
    assert all(x.get("reason") or x["reasons"][0]["evidence"] for x in q), "each with its reason"


def test_an_out_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    """As root a chmod does not stop writes, so the failing write is simulated where curate probes it."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    data = _data(tmp_path / "d.jsonl")
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert main(["split", str(data), "--out", str(tmp_path / "ro" / "splits")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot write in" in err and "Permission denied" in err and "fix:" in err
    assert not (tmp_path / "ro").exists()
