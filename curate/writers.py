"""Write records back in the format they came in (JSONL, JSON, CSV/TSV, Parquet, save_to_disk)."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

SUFFIX = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "hf_dir": "", "hub": ".jsonl"}


def set_field(row: dict, path: str, value: str) -> dict:
    """Return a copy of `row` with the text at `path` ('output', 'messages.3.content') replaced."""
    row = copy.deepcopy(row)
    keys = path.split(".")
    node = row
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return row


def output_path(ds, out_dir, stem: str | None = None) -> Path:
    from curate.load.readers import file_stem

    name = stem or file_stem(ds.path)  # train.jsonl.gz is written back as an uncompressed train.jsonl
    return Path(out_dir) / (name + SUFFIX.get(ds.kind, ".jsonl"))


def write_rows(ds, rows: list[dict], path) -> Path:
    """Write raw rows in `ds`'s file type to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = ds.kind if ds.kind != "hub" else "jsonl"
    if kind == "jsonl":
        with path.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    elif kind == "json":
        payload = {ds.split: rows} if ds.split else rows
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    elif kind in ("csv", "tsv"):
        cols = ds.columns_order or list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, delimiter="\t" if kind == "tsv" else ",")
            w.writeheader()
            w.writerows(rows)
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    elif kind == "hf_dir":
        import datasets

        datasets.Dataset.from_list(rows).save_to_disk(str(path))
    else:
        raise ValueError(f"cannot write file type {kind}")
    return path
