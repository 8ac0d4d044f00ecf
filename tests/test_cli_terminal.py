"""What the command line prints (issue 16, items 5 and 6): progress lines in a pipe while a stage runs,
no third-party bars or warnings unless --verbose, the verdict and the rules that need a person first,
and default output folders that two datasets with the same file name never share."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, sample_file
from curate.cli import main

GOOD = '{"id": "%d", "text": "record number %d about topic %d", "label": "%s"}\n'

# one rule per outcome the verdict sorts: fail, warn, info, pass (three), skipped
RULES = """rules:
  - {check: min_records, severity: error, params: {min_count: 5}}
  - {check: max_exact_duplicate_rate, severity: error, params: {max_rate: 0.0}}
  - {check: max_label_imbalance, severity: warn, params: {max_ratio: 2}}
  - {check: max_label_imbalance, name: label_balance_note, severity: info, params: {max_ratio: 1.5}}
  - {check: max_control_char_records, severity: warn}
  - {check: max_repetition, severity: warn}
  - {check: max_no_input_markers, severity: warn}
"""


def _data(path: Path, n: int = 12, dup: bool = True, seed: int = 0) -> Path:
    rows = [GOOD % (i, i + seed, i, "a" if i % 4 else "b") for i in range(n)]
    if dup:
        rows.append(GOOD.replace('"%d", "text"', '"x%d", "text"') % (0, seed, 0, "b"))  # a copy of record 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(rows))
    return path


class Pipe(io.StringIO):
    """stderr as a pipe or a log file sees it: not a terminal."""

    def isatty(self) -> bool:
        return False


def test_a_piped_audit_prints_progress_lines_while_a_slow_stage_runs(tmp_path, monkeypatch):
    """A stage that never advances still gets a status line every interval (10 s by default; 0.02 s here)."""
    from curate.checks import load_all
    from curate.stages import STAGES

    load_all()  # registers the stages
    data = _data(tmp_path / "d.jsonl")
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: max_exact_duplicate_rate, severity: error, params: {max_rate: 0.5}}\n")
    err = Pipe()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("CURATE_PROGRESS_INTERVAL", "0.02")
    real = STAGES["dedup"]

    def status(text: str) -> list[str]:  # "dedup: running, 0s elapsed" or "dedup: 0/13 records, 0s elapsed"
        return [x for x in text.splitlines() if x.startswith("[curate] dedup: ") and x.endswith(" elapsed")]

    def slow(batch, **kw):
        # waits for the lines rather than for a fixed time: a busy machine makes it slower, not flaky
        deadline = time.monotonic() + 60
        while len(status(err.getvalue())) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        return real.fn(batch, **kw)

    monkeypatch.setitem(STAGES, "dedup", dataclasses.replace(real, fn=slow))
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o"), "--no-cache"]) == 0
    lines = [x for x in err.getvalue().splitlines() if x.startswith("[curate] ")]
    dedup = [x for x in lines if x.startswith("[curate] dedup:")]
    assert dedup[0] == "[curate] dedup: started" or dedup[0].startswith("[curate] dedup: started,")
    assert len(status(err.getvalue())) >= 3, lines
    assert dedup[-1].startswith("[curate] dedup: done")
    assert any(x.startswith("[curate] report: done") for x in lines), "writing the report is a phase too"


def test_the_verdict_comes_first_and_passing_rules_take_one_line(tmp_path, capsys):
    data = _data(tmp_path / "d.jsonl")
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    verdict = out.index("gate FAILED")
    assert verdict < out.index("┃ rule ") < out.index("│ max_exact_duplicate_rate "), "the verdict before the table"
    table = [x for x in out.splitlines() if x.startswith("│") or x.startswith("┃")]
    shown = {x.strip("│┃ ").split()[0] for x in table}
    assert shown == {"rule", "max_exact_duplicate_rate", "max_label_imbalance"}, "only failed and warned rules"
    assert "3 rules passed: min_records, max_control_char_records, max_repetition" in flat
    assert "1 rule skipped: max_no_input_markers (applies to alpaca data" in flat
    assert "label_balance_note: imbalance" in flat, "an info finding: one line"


def test_all_prints_every_rule(tmp_path, capsys):
    data = _data(tmp_path / "d.jsonl")
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o"), "--all"]) == 1
    out = capsys.readouterr().out
    shown = {x.strip("│ ").split()[0] for x in out.splitlines() if x.startswith("│") and x.strip("│ ")}
    assert {"min_records", "max_exact_duplicate_rate", "max_label_imbalance", "label_balance_note",
            "max_control_char_records", "max_repetition", "max_no_input_markers"} <= shown
    assert "rules passed" not in out


def test_two_train_files_of_two_projects_get_two_output_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: min_records, severity: error, params: {min_count: 1}}\n")
    a = _data(tmp_path / "project_a" / "train.jsonl", seed=0)
    b = _data(tmp_path / "project_b" / "train.jsonl", seed=100)
    for d in (a, b, a):  # the same data again goes where it went before
        assert main(["audit", str(d), "--rules", str(rules)]) == 0
    folders = sorted(p.parent for p in (tmp_path / "curate-out").glob("*/audit.json"))
    assert len(folders) == 2, folders
    for folder, data in zip(folders, sorted((a, b), key=lambda d: _fingerprint(d))):
        assert folder.name == f"train-{_fingerprint(data)[:8]}"
        assert json.loads((folder / "audit.json").read_text())["dataset"]["fingerprint"] == _fingerprint(data)
    assert "curate-out/train-" in capsys.readouterr().out


def _fingerprint(path) -> str:
    from curate.load import load_dataset

    return load_dataset(path).fingerprint


def test_a_file_name_with_pii_does_not_name_the_folder(tmp_path, monkeypatch):
    from curate.cliutil import default_out_dir
    from curate.load import load_dataset

    ds = load_dataset(_data(tmp_path / "export_carol.king@kingmail.net.jsonl"))
    out = default_out_dir(ds)
    assert "carol.king@kingmail.net" not in str(out) and out.name.endswith("-" + ds.fingerprint[:8])
    assert out.parent == Path("curate-out")


@pytest.mark.parametrize("argv", [["--verbose", "checks"], ["checks", "--verbose"], ["-v", "checks"]],
                         ids=["before the command", "after it", "short"])
def test_verbose_is_accepted_before_and_after_the_command(argv, capsys):
    assert main(argv) == 0


def test_quiet_mode_silences_library_logging_and_warnings_and_restores_them(capsys):
    import logging
    import warnings

    from curate.cli import quiet_third_party

    before = logging.getLogger().level
    with quiet_third_party(verbose=False):
        logging.warning("Please consider to run pre-processing before quantization")  # as onnxruntime does
        logging.getLogger("presidio-analyzer").warning("Entity CREDIT_CARD doesn't have the corresponding recognizer")
        warnings.warn("a library's FutureWarning", FutureWarning)
        assert os.environ["TQDM_DISABLE"] == "1"
    err = capsys.readouterr().err
    assert "Please consider" not in err and "recognizer" not in err and "FutureWarning" not in err
    assert logging.getLogger().level == before


@pytest.mark.slow
def test_an_audit_piped_shows_no_third_party_bars_or_warnings(tmp_path):
    """The real CLI in a child process, stderr a pipe, a fresh model cache: the ONNX export loads the
    model's weights (transformers' "Loading weights" bar), int8 quantization logs onnxruntime's
    "Please consider to run pre-processing" warning, presidio and spaCy load. None of it may show."""
    data = tmp_path / "support.jsonl"
    data.write_text("".join(sample_file("support_sft.jsonl").read_text().splitlines(keepends=True)[:100]))
    rules = tmp_path / "r.yaml"
    rules.write_text("stages:\n  embed: {backend: onnx-int8}\n"
                     "rules:\n  - {check: max_pii_rate, severity: warn, params: {max_rate: 1.0}}\n"
                     "  - {check: max_semantic_duplicate_rate, severity: warn, params: {max_rate: 1.0}}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CURATE_CACHE_DIR": str(tmp_path / "cache")}
    for k in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "PYTHONWARNINGS"):
        env.pop(k, None)
    run = subprocess.run([sys.executable, "-m", "curate", "audit", str(data), "--rules", str(rules),
                          "--out", str(tmp_path / "o")], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=1800)
    assert run.returncode in (0, 1), run.stderr
    err = run.stderr
    for leak in ("Loading weights", "%|", "Please consider", "Warning", "warn(", "[W:onnxruntime"):
        assert leak not in err, f"{leak!r} on stderr:\n{err}"
    lines = err.splitlines()
    assert lines and all(x.startswith("[curate] ") for x in lines), err
    assert any(x.startswith("[curate] pii: done") for x in lines)
    assert (tmp_path / "cache" / "models").exists(), "the models were converted in this run"


@pytest.mark.parametrize("items, width, line", [
    (["a", "b", "c"], 80, "3 rules passed: a, b, c"),
    (["min_records", "max_repetition", "max_mojibake_records", "max_truncated_answers"], 50,
     "3 rules passed: min_records, … (+3 more)"),
    (["a_very_long_rule_name_that_fills_the_line_alone"], 20, "3 rules passed: a_very_long_rule_name_that_fills_the_line_alone"),
], ids=["all fit", "names cut with a count", "one name always shown"])
def test_one_line_summary(items, width, line):
    from curate.commands.audit import one_line

    assert one_line("3 rules passed", items, width) == line


def test_a_narrow_terminal_gets_a_list_not_a_folded_table(tmp_path, monkeypatch):
    from rich.console import Console

    data = _data(tmp_path / "d.jsonl")
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    buf = io.StringIO()
    monkeypatch.setattr("curate.commands.audit.console", Console(file=buf, width=80, color_system=None))
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o")]) == 1
    out = buf.getvalue()
    assert "┃" not in out and "│" not in out
    assert "   fail  max_exact_duplicate_rate  1 flagged; value 0.07692, threshold 0" in out
    assert "   warn  max_label_imbalance  0 flagged; value 2.25, threshold 2" in out
    assert "         1 of 13 records are exact duplicates (7.7%; max 0.0%)" in out, "the finding under its rule"
