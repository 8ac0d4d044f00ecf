"""Every kind of bad input gets one clear error naming file, record and fix; exit code 2; no output."""

from __future__ import annotations

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
]


@pytest.mark.parametrize("name,content,says,where", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_clear_error(tmp_path, name, content, says, where):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError) as e:
        load_dataset(p)
    err = e.value
    assert says in err.problem
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
