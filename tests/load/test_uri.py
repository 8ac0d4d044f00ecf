"""Data named by a URI (s3://, gs://, file://) is read through pyarrow's filesystems and parsed like a local file."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from curate.errors import DataError
from curate.load import load_dataset

ROWS = [{"prompt": f"How do I reset password number {i}?", "response": f"Open settings, step {i}."} for i in range(5)]


def _jsonl(path, rows=ROWS):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("name", ["train.jsonl", "train.jsonl.gz", "train.parquet", "train.csv"])
def test_file_uri_reads_like_the_local_path(tmp_path, name):
    local = tmp_path / name
    if name.endswith(".gz"):
        local.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    elif name.endswith(".parquet"):
        pd.DataFrame(ROWS).to_parquet(local)
    elif name.endswith(".csv"):
        pd.DataFrame(ROWS).to_csv(local, index=False)
    else:
        _jsonl(local)
    by_uri = load_dataset(local.as_uri())
    by_path = load_dataset(local)
    assert by_uri.records == by_path.records
    assert by_uri.fingerprint == by_path.fingerprint  # same data, same cached signals
    assert by_uri.path == local.as_uri() and by_uri.name == "train"


@pytest.mark.parametrize("uri, problem", [
    ("file:///no/such/dir/train.jsonl", "no such object"),
    ("nosuchscheme://bucket/train.jsonl", "cannot open this URI"),
], ids=["missing-object", "unknown-scheme"])
def test_bad_uri_is_a_data_error_naming_it(uri, problem):
    with pytest.raises(DataError) as e:
        load_dataset(uri)
    assert e.value.path == uri and problem in e.value.problem and e.value.fix


def test_a_prefix_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="a directory"):
        load_dataset(tmp_path.as_uri())


def test_a_bad_record_names_the_uri_and_the_line(tmp_path):
    p = tmp_path / "train.jsonl"
    p.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(DataError) as e:
        load_dataset(p.as_uri())
    assert e.value.path == p.as_uri() and e.value.where == "line 2"


def test_unknown_file_type_in_a_uri(tmp_path):
    p = tmp_path / "train.txt"
    p.write_text("x")
    with pytest.raises(DataError, match="unknown file type"):
        load_dataset(p.as_uri())
