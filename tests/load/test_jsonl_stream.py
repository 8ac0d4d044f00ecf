"""JSONL is parsed line by line as it is read; lines end at \\n only."""

from __future__ import annotations

import gzip
import json

import pytest

from curate.errors import DataError
from curate.load import load_dataset


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"],
                         ids=["line-separator", "paragraph-separator", "next-line"])
def test_a_line_break_character_inside_a_json_string_stays_in_the_record(tmp_path, char):
    # json.dumps(ensure_ascii=False) writes these raw; str.splitlines() used to cut the record in two
    rows = [{"prompt": f"first{char}part", "response": "ok"}, {"prompt": "second", "response": "fine"}]
    p = tmp_path / "t.jsonl"
    p.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())
    ds = load_dataset(p)
    assert [r["prompt"] for r in ds.records] == [f"first{char}part", "second"]
    assert ds.locators == ["line 1", "line 2"]


def test_crlf_bom_and_blank_lines(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"prompt": "a", "response": "b"}\r\n\r\n{"prompt": "c", "response": "d"}\r\n')
    ds = load_dataset(p)
    assert [r["prompt"] for r in ds.records] == ["a", "c"] and ds.locators == ["line 1", "line 3"]


def test_gzip_streams_the_same_records(tmp_path):
    body = "".join(json.dumps({"prompt": f"q{i}", "response": f"a{i}"}) + "\n" for i in range(50))
    (tmp_path / "t.jsonl").write_text(body)
    (tmp_path / "g.jsonl.gz").write_bytes(gzip.compress(body.encode()))
    assert load_dataset(tmp_path / "g.jsonl.gz").records == load_dataset(tmp_path / "t.jsonl").records


@pytest.mark.parametrize("payload, where, problem", [
    (b'{"prompt": "a", "response": "b"}\n{"prompt": "\xff", "response": "b"}\n', "line 2", "not valid utf-8"),
    (b'{"prompt": "a", "response": "b"}\n\n{"prompt": "a\x00", "response": "b"}\n', "line 3", "NUL bytes"),
    (b"  \n\n", None, "the file is empty"),
    (b"", None, "the file is empty"),
], ids=["bad-utf8", "nul", "blank-only", "zero-bytes"])
def test_bad_bytes_name_the_line(tmp_path, payload, where, problem):
    p = tmp_path / "t.jsonl"
    p.write_bytes(payload)
    with pytest.raises(DataError) as e:
        load_dataset(p)
    assert e.value.where == where and problem in e.value.problem


def test_a_damaged_gzip_is_a_data_error(tmp_path):
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"prompt": "a", "response": "b"}\n' * 100)[:-20])
    with pytest.raises(DataError, match="cannot decompress"):
        load_dataset(p)
