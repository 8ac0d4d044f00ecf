"""Every kind of bad input gets one clear error naming file, record and fix; exit code 2; no output."""

from __future__ import annotations

import gzip
import json

import pytest

from curate.cli import main
from curate.errors import DataError
from curate.load import load_dataset

BAD = [
    # (file name, bytes, what the message must say, where)
    ("broken.jsonl", b'{"text": "ok", "label": "a"}\n{"text": "oops", "label": \n', "malformed JSON", "line 2"),
    ("missing_col.csv", b"text,label\nhello,a\nonly-one-field\n", "1 field(s) but the header has 2", "line 3"),
    ("empty.jsonl", b"", "empty", None),
    ("latin1.csv", "text,label\ncaf\xe9,a\n".encode("latin-1"), "not valid utf-8", "line 2"),
    ("not_list.jsonl", b'{"messages": "hello"}\n', "not a list of {role, content}", "line 1"),
    ("bad_turn.jsonl", b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant"}]}\n',
     "messages[1] is not a {role, content} object", "line 1"),
    ("bad_role.jsonl", b'{"messages": [{"role": "narrator", "content": "q"}]}\n', "unknown role 'narrator'", "line 1"),
    ("nonstring.json", json.dumps([{"instruction": "a", "output": "b"}, {"instruction": 42, "output": "x"}]).encode(),
     "field 'instruction' is a int (42), not a string", "record 1"),
    ("null_output.json", json.dumps([{"instruction": "a", "output": None}]).encode(), "'output' is missing or null", "record 0"),
    ("no_label.csv", b"text,label\nhi,\n", "label field 'label' is empty", "line 2"),
    ("dup_id.jsonl", b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "id '1' is already used by line 1", "line 2"),
    ("scalar.json", b'"just a string"', "expected an array of records", None),
    ("unknown_cols.jsonl", b'{"foo": 1, "bar": 2}\n', "cannot tell the record format", None),
    ("weird.txt", b"hello", "unknown file type '.txt'", None),
    # issue 14 item 9: a deeply nested line is a clean error naming the line, not a RecursionError
    ("deep.jsonl", b'{"text": "a"}\n{"text": "b", "meta": ' + b"[" * 100000 + b"]" * 100000 + b"}\n",
     "nested more than 100 levels deep", "line 2"),
    ("deep_but_parses.jsonl", b'{"text": "b", "meta": ' + b"[" * 500 + b"]" * 500 + b"}\n",
     "nested more than 100 levels deep", "line 1"),
    ("deep.json", b'[{"text": "a"}, {"text": "b", "meta": ' + b"[" * 5000 + b"]" * 5000 + b"}]",
     "nested more than 100 levels deep", None),
    # issue 14 item 11: UTF-16 gets UTF-16 advice, not latin-1
    ("utf16_bom.csv", "text,label\ncaf\xe9,a\n".encode("utf-16"), "the file is UTF-16", None),
    ("utf16le_no_bom.jsonl", '{"text": "hi"}\n'.encode("utf-16-le"), "the file is UTF-16-LE", None),
    ("utf32.jsonl", '{"text": "hi"}\n'.encode("utf-32"), "the file is UTF-32", None),
    ("binary.jsonl", b'{"text": "hi"}\n\x00\x01\x02garbage', "NUL bytes", "line 2"),
    ("corrupt.jsonl.gz", b"\x1f\x8b\x08\x00not really gzip", "cannot decompress the .gz file", None),
    ("data.jsonl.zst", b"(\xb5/\xfd", "archive, which curate does not unpack", None),
    ("data.txt.gz", gzip.compress(b"hello"), "unknown file type '.txt.gz'", None),
    # OpenAI tool calls are accepted; a broken one still says what is wrong
    ("tool_no_name.jsonl", json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": None,
                                       "tool_calls": [{"function": {"arguments": "{}"}}]}]}).encode(),
     "messages[1].tool_calls.0 has no function name", "line 1"),
    ("tool_calls_not_list.jsonl", json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant",
                                              "content": None, "tool_calls": "f()"}]}).encode(),
     "messages[1].tool_calls is a str, not a list", "line 1"),
    ("dialog_string.jsonl", b'{"dialog": "A: hi B: hello"}\n', "'dialog' is a str, not a list", "line 1"),
    ("preference_bad_turn.jsonl", json.dumps({"chosen": [{"role": "user", "content": "q"}, {"role": "assistant"}],
                                              "rejected": [{"role": "user", "content": "q"}]}).encode(),
     "chosen[1] is not a {role, content} object", "line 1"),
    ("preference_null.jsonl", b'{"prompt": "q", "chosen": "a", "rejected": null}\n', "'rejected' is missing or null", "line 1"),
    ("hh_raw.jsonl", json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant: hello", "rejected": "\n\nHuman: hi\n\nAssistant: no"}).encode(),
     "holds whole Human/Assistant transcripts", None),
    ("squad_bad_answer.jsonl", b'{"context": "c", "question": "q", "answers": {"text": [5]}}\n',
     "'answers.text[0]' is a int", "line 1"),
    # issue 14: anything from the user's data is printed literally (rich markup is neither eaten nor fatal)
    ("markup_cols.jsonl", b'{"[/b]": 1, "[red]x": 2}\n', "cannot tell the record format from the columns ([/b], [red]x)", None),
    ("[red]name[b].txt", b"hello", "[red]name[b].txt", None),
]


@pytest.mark.parametrize("name,content,says,where", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_clear_error(tmp_path, name, content, says, where):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError) as e:
        load_dataset(p)
    err = e.value
    assert says in err.problem or says in err.path
    assert err.path == str(p)
    if where:
        assert err.where == where
    assert err.fix, "every error says how to fix it"


@pytest.mark.parametrize("name,content,says,where", BAD, ids=[b[0] for b in BAD])
def test_cli_exits_2_with_message_and_no_traceback(tmp_path, capsys, name, content, says, where):
    p = tmp_path / name
    p.write_bytes(content)
    out_dir = tmp_path / "out"
    assert main(["inspect", str(p), "--quarantine", str(out_dir / "q.jsonl")]) == 2
    captured = capsys.readouterr()
    assert says in " ".join(captured.err.split()) or says.split("(")[0] in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "fix:" in captured.err
    assert not out_dir.exists(), "no partial output on error"


def test_missing_flagged_column_suggests_the_right_one(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("text,category\nhello,a\n")
    with pytest.raises(DataError) as e:
        load_dataset(p, label_field="categroy")
    assert "did you mean 'category'" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path / "nope.jsonl")
    assert "no such file" in str(e.value)


def test_skip_invalid_quarantines_with_reason_and_loses_nothing(tmp_path):
    p = tmp_path / "mixed.jsonl"
    p.write_text('{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
                 '{"messages": "oops"}\n'
                 '{"messages": [{"role": "user", "content": 5}]}\n')
    q = tmp_path / "q" / "invalid.jsonl"
    assert main(["inspect", str(p), "--skip-invalid", "--quarantine", str(q), "--json"]) == 0
    lines = [json.loads(x) for x in q.read_text().splitlines()]
    assert [x["locator"] for x in lines] == ["line 2", "line 3"]
    assert lines[0]["record"] == {"messages": "oops"}
    assert "not a string" in lines[1]["reason"]
    ds = load_dataset(p, skip_invalid=True)
    assert len(ds) + len(ds.invalid) == 3


def test_wrong_encoding_can_be_overridden(tmp_path):
    p = tmp_path / "l.csv"
    p.write_bytes("text,label\ncaf\xe9,a\n".encode("latin-1"))
    assert load_dataset(p, encoding="latin-1").records[0]["prompt"] == "café"


@pytest.mark.parametrize("row,columns", [
    ({"conversation_text": "A: hi\nB: hello", "gist": "greeting", "stars": 3}, ("conversation_text", "gist", "stars")),
    ({"body": "a long body of text", "kind": "x"}, ("body", "kind")),
], ids=["three_columns", "two_columns"])
def test_fix_hint_names_the_files_own_columns(tmp_path, row, columns):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError) as e:
        load_dataset(p)
    fix = e.value.fix
    assert "review" not in fix and "stars" not in fix or "stars" in columns
    assert f"--text-field {columns[0]}" in fix and all(c in fix for c in columns)
    if len(columns) == 3:
        assert f"--prompt-field {columns[0]} --response-field {columns[1]}" in fix


def test_utf16_advice_names_the_encoding_flag(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes("text,label\ncafé,a\n".encode("utf-16"))
    with pytest.raises(DataError) as e:
        load_dataset(p)
    assert "UTF-16: pass --encoding utf-16" in e.value.fix and "latin" not in e.value.fix


def test_error_with_markup_is_printed_literally(tmp_path, capsys):
    p = tmp_path / "x.jsonl"
    p.write_text('{"text": "a", "id": "[bold]1"}\n{"text": "b", "id": "[bold]1"}\n')
    assert main(["inspect", str(p)]) == 2
    assert "id '[bold]1' is already used by line 1" in " ".join(capsys.readouterr().err.split())


def test_missing_label_column_says_what_was_detected_and_why(tmp_path, capsys):
    p = tmp_path / "reviews.csv"
    p.write_text("text,stars,id\ngreat product,5,1\nawful,1,2\nlovely,5,3\n")
    assert main(["inspect", str(p), "--json"]) == 0
    detected = json.loads(capsys.readouterr().out)["detected"]
    assert detected.startswith("detected: text (text column 'text'; no label column among: label, labels, category")
    assert "--label-field (e.g. --label-field stars)" in detected
    assert main(["inspect", str(p)]) == 0
    assert "no label column among" in capsys.readouterr().out
