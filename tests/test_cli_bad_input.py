"""Bad configuration and flags: exit 2 with the file, the spot and the fix; never a traceback.

Anything that is the user's input (a role, a field, a file name) is printed literally, even when it
looks like rich markup.
"""

from __future__ import annotations

import pytest

from curate.cli import main

DATA = '{"id": "1", "text": "hello there", "label": "a"}\n{"id": "2", "text": "pay my bill", "label": "b"}\n'

# (id, rules file bytes, words the message must contain)
BAD_RULES = [
    ("params_list", b"rules:\n  - {check: min_records, severity: error, params: [1, 2]}\n", "params must be a mapping"),
    ("params_string", b"rules:\n  - {check: min_records, severity: error, params: min_count}\n", "params must be a mapping"),
    ("params_number", b"rules:\n  - {check: min_records, severity: error, params: 5}\n", "params must be a mapping"),
    ("check_list", b"rules:\n  - {check: [min_records, max_pii_rate], severity: error}\n", "one check name"),
    ("stages_list", b"stages: [dedup]\nrules:\n  - {check: min_records, severity: error}\n", "'stages:' must be a mapping"),
    ("stage_params_list", b"stages: {dedup: [0.8]}\nrules:\n  - {check: min_records, severity: error}\n",
     "stages.dedup: parameters must be a mapping"),
    ("not_utf8", "rules:\n  - {check: min_records, severity: error, description: caf\xe9}\n".encode("latin-1"),
     "not valid UTF-8"),
    ("duplicate_key", b"rules:\n  - check: max_pii_rate\n    severity: error\n    params:\n      max_rate: 0.01\n"
                      b"      max_rate: 0.5\n", "key 'max_rate' repeats the one on line 5"),
    ("nan_threshold", b"rules:\n  - {check: max_pii_rate, severity: error, params: {max_rate: .nan}}\n",
     "nan is not a finite number"),
    ("misspelt_entity", b"rules:\n  - {check: max_pii_rate, severity: error, params: {entities: [EMAIL, CREDITCARD]}}\n",
     "unknown value 'CREDITCARD'; did you mean 'CREDIT_CARD'?"),
    ("short_entity", b"rules:\n  - {check: max_pii_rate, severity: error, params: {entities: [EMAIL]}}\n",
     "unknown value 'EMAIL'; did you mean 'EMAIL_ADDRESS'?"),
    ("misspelt_role", b"rules:\n  - {check: max_pii_rate, severity: error, params: {roles: [asistant]}}\n",
     "unknown value 'asistant'; did you mean 'assistant'?"),
    ("lowercase_entity", b"rules:\n  - {check: require_no_pii_in_answers, severity: error, params: {entities: [email_address]}}\n",
     "did you mean 'EMAIL_ADDRESS'?"),
    ("bad_level", b"rules:\n  - {check: min_reference_coverage, severity: error, params: {level: group}}\n",
     "did you mean 'groups'?"),
    ("top_level_list", b"- check: min_records\n", "expected a mapping"),
    ("markup_in_role", b"rules:\n  - {check: max_pii_rate, severity: error, params: {roles: ['[/b]x[red]']}}\n",
     "'[/b]x[red]'"),
]


@pytest.mark.parametrize("rules,says", [b[1:] for b in BAD_RULES], ids=[b[0] for b in BAD_RULES])
@pytest.mark.parametrize("command", ["audit", "clean"])
def test_bad_rules_exit_2_with_the_problem_and_no_traceback(tmp_path, capsys, command, rules, says):
    data = tmp_path / "d.jsonl"
    data.write_text(DATA)
    path = tmp_path / "rules.yaml"
    path.write_bytes(rules)
    out = tmp_path / "out"
    assert main([command, str(data), "--rules", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    flat = " ".join(err.split())
    assert says in flat and str(path) in flat
    assert "Traceback" not in err
    assert not out.exists()


def test_every_misspelt_value_is_reported_at_once(tmp_path):
    from curate.errors import ConfigError
    from curate.rules import load_rules

    p = tmp_path / "r.yaml"
    p.write_text("rules:\n  - {check: max_pii_rate, severity: error, params: {entities: [EMAIL, CREDITCARD], "
                 "roles: [asistant]}}\n")
    with pytest.raises(ConfigError) as e:
        load_rules(p)
    assert len(e.value.problems) == 3, e.value.problems


def test_a_rules_path_that_is_a_directory(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(DATA)
    assert main(["audit", str(data), "--rules", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "fix:" in err and "Traceback" not in err


MARKUP = [
    # (id, file name parts, content, extra flags, the literal text the error must show)
    ("file_name", ("[red]data[", "b].jsonl"), '{"id": "1", "text": "x", "label": "a"}\n{"id": "1", "text": "y", "label": "a"}\n',
     [], "[red]data[/b].jsonl"),
    ("role", ("chat.jsonl",), '{"messages": [{"role": "[/b]narrator[red]", "content": "q"}]}\n', [],
     "unknown role '[/b]narrator[red]'"),
    ("field", ("d.csv",), "text,label\nhello,a\n", ["--label-field", "[bold]lab[/x]"], "[bold]lab[/x]"),
]


@pytest.mark.parametrize("parts,content,flags,shows", [m[1:] for m in MARKUP], ids=[m[0] for m in MARKUP])
def test_markup_in_user_text_is_printed_literally(tmp_path, capsys, parts, content, flags, shows):
    *dirs, name = parts
    folder = tmp_path.joinpath(*dirs)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content)
    assert main(["inspect", str(folder / name), *flags]) == 2
    err = capsys.readouterr().err
    assert shows in " ".join(err.split()) and "Traceback" not in err


# (id, extra train flags, --config file bytes or None, words the message must contain)
BAD_TRAIN = [
    ("layers_not_numbers", ["--layers", "a,b"], None, "expected comma-separated layer numbers"),
    ("layers_negative", ["--layers", "-1"], None, "layer indices start at 0"),
    ("config_list", [], b"- epochs: 2\n", "must be a mapping of TrainConfig fields"),
    ("config_mistyped", [], b"epochs: three\nlr: .nan\n", "epochs: 'three' is not a number"),
    ("config_not_utf8", [], "epochs: 2 # caf\xe9\n".encode("latin-1"), "not valid UTF-8"),
    ("config_duplicate_key", [], b"epochs: 2\nepochs: 5\n", "key 'epochs' repeats"),
    ("mix_no_ratio", ["--mix", "extra.jsonl"], None, "expected FILE:RATIO"),
    ("mix_missing_file", ["--mix", "nope.jsonl:0.1"], None, "no such file"),
    ("val_missing_file", ["--val", "nope.jsonl"], None, "no such file"),
]


@pytest.mark.parametrize("flags,config,says", [b[1:] for b in BAD_TRAIN], ids=[b[0] for b in BAD_TRAIN])
def test_bad_train_flags_exit_2_before_any_audit(tmp_path, monkeypatch, capsys, flags, config, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.jsonl").write_text(DATA)
    argv = ["train", "d.jsonl", "--out", "run", *flags]
    if config is not None:
        (tmp_path / "cfg.yaml").write_bytes(config)
        argv += ["--config", "cfg.yaml"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "curate-out").exists(), "refused before the audit ran"
    assert not (tmp_path / "run").exists()


def test_num_proc_below_one_is_refused(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(DATA)
    assert main(["audit", str(data), "--num-proc", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--num-proc 0" in capsys.readouterr().err


def test_sigterm_stops_with_a_message_and_exit_143(tmp_path, capsys, monkeypatch):
    import os
    import signal

    import curate.commands.inspect as inspect_cmd

    def send_sigterm(args):
        os.kill(os.getpid(), signal.SIGTERM)
        return 0

    monkeypatch.setattr(inspect_cmd, "run", send_sigterm)
    (tmp_path / "d.jsonl").write_text(DATA)
    assert main(["inspect", str(tmp_path / "d.jsonl")]) == 143
    assert "terminated (SIGTERM)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))
