"""Readers: turn a file or directory into raw rows (dicts), each with a locator for errors.

Supported: JSONL, JSON (an array of objects, or {"split": [...]}), CSV/TSV, Parquet, each also
gzip/bz2/xz-compressed (`train.jsonl.gz`), a directory written by `datasets.Dataset.save_to_disk`,
and a Hugging Face hub id when the machine is online.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import DataError, did_you_mean

SUFFIX_KIND = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
}
COMPRESSION = {".gz": gzip, ".bz2": bz2, ".xz": lzma}
# archives and codecs without a standard-library reader: say how to unpack them
UNPACK = {".zst": "zstd -d FILE", ".zip": "unzip FILE", ".7z": "7z x FILE", ".tar": "tar xf FILE", ".tgz": "tar xzf FILE"}


@dataclass
class RawRows:
    path: str
    kind: str  # jsonl | json | csv | tsv | parquet | hf_dir | hub
    rows: list[dict]
    locators: list[str]  # "line 12", "row 7", "record 3": where each row came from
    split: str | None = None
    columns: list[str] = field(default_factory=list)  # header order where the file has one
    invalid: list[dict] = field(default_factory=list)  # unreadable lines set aside by skip_invalid


def file_stem(path) -> str:
    """'train' for train.jsonl and for train.jsonl.gz."""
    p = Path(str(path).rstrip("/"))
    return Path(p.stem).stem if p.suffix.lower() in COMPRESSION else p.stem


def read_rows(path: str | os.PathLike, *, encoding: str = "utf-8", split: str | None = None,
              skip_invalid: bool = False) -> RawRows:
    if is_uri(path):
        return _read_uri(str(path), encoding=encoding, split=split, skip_invalid=skip_invalid)
    p = Path(path)
    if p.is_dir():
        return _read_hf_dir(p, split)
    if not p.exists():
        if _looks_like_hub_id(str(path)):
            return _read_hub(str(path), split)
        raise DataError(path, None, "no such file or directory",
                        fix="check the path; a Hugging Face hub id ('owner/name') needs a connected machine")
    kind, codec = _kind(p, path)
    if kind == "jsonl" and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return _stream_jsonl(p, codec, skip_invalid)
    return _parse(p, _read_bytes(p, codec), kind, encoding=encoding, split=split, skip_invalid=skip_invalid)


def _kind(p: Path, shown_as) -> tuple[str, object]:
    """The file type from the name (`train.jsonl.gz` -> jsonl, gzip), or a DataError saying what to pass."""
    codec = COMPRESSION.get(p.suffix.lower())
    suffix = Path(p.stem).suffix.lower() if codec else p.suffix.lower()
    kind = SUFFIX_KIND.get(suffix)
    if p.suffix.lower() in UNPACK:
        raise DataError(shown_as, None, f"a '{p.suffix}' archive, which curate does not unpack",
                        fix=f"unpack it first (`{UNPACK[p.suffix.lower()]}`) and pass the data file; "
                            ".gz, .bz2 and .xz files are read directly")
    if kind is None:
        shown = (suffix or "(none)") + (p.suffix if codec else "")
        raise DataError(shown_as, None, f"unknown file type '{shown}'",
                        fix="use .jsonl, .json, .csv, .tsv, .parquet (optionally .gz/.bz2/.xz) or a save_to_disk directory")
    return kind, codec


def _parse(p: Path, data: bytes, kind: str, *, encoding: str, split: str | None, skip_invalid: bool) -> RawRows:
    if kind == "parquet":
        return _read_parquet(p, data)
    text = _read_text(p, encoding, data)
    if not text.strip():
        raise DataError(p, None, "the file is empty (0 records)", fix="point curate at a file that has records")
    if kind == "jsonl":
        return _read_jsonl(p, text, skip_invalid)
    if kind == "json":
        return _read_json(p, text, split)
    return _read_csv(p, text, "\t" if kind == "tsv" else ",")


# ---- object stores -----------------------------------------------------------------------------
# `s3://bucket/train.jsonl`, `gs://...`, `hdfs://...`, `file:///...`: read through pyarrow's
# filesystems (the ones this pyarrow build has; credentials from the usual environment), as one
# object, then parsed exactly like a local file of the same name.

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_uri(path) -> bool:
    return isinstance(path, (str, os.PathLike)) and bool(_URI.match(os.fspath(path)))


def uri_name(uri: str) -> str:
    """The object's own file name: `train.jsonl` for s3://bucket/data/train.jsonl."""
    return uri.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _read_uri(uri: str, *, encoding: str, split: str | None, skip_invalid: bool) -> RawRows:
    import pyarrow.fs as pafs

    try:
        fs, inner = pafs.FileSystem.from_uri(uri)
        info = fs.get_file_info(inner)
    except Exception as e:  # unknown scheme, a filesystem this pyarrow lacks, credentials, unreachable
        raise DataError(uri, None, f"cannot open this URI: {str(e).splitlines()[0]}",
                        fix="check the scheme (s3://, gs://, hdfs://, file://) and the credentials in the environment, "
                            "or copy the file locally and pass its path") from None
    if info.type == pafs.FileType.NotFound:
        raise DataError(uri, None, "no such object", fix="check the path (for s3:// or gs://: the bucket and the key)")
    if info.type == pafs.FileType.Directory:
        raise DataError(uri, None, "a directory (prefix), not one data file",
                        fix="pass one .jsonl/.json/.csv/.parquet object")
    name = Path(uri_name(uri))
    kind, codec = _kind(name, uri)
    try:
        with fs.open_input_stream(inner, compression=None) as fh:
            raw = fh.read()
    except Exception as e:
        raise DataError(uri, None, f"cannot read the object: {str(e).splitlines()[0]}",
                        fix="check the credentials and your access to the object") from None
    try:
        data = _decompress(raw, codec, name)
        rows = _parse(name, data, kind, encoding=encoding, split=split, skip_invalid=skip_invalid)
    except DataError as e:  # the readers name the file by its own name: name the object by its URI
        raise DataError(uri, e.where, e.problem, fix=e.fix) from None
    rows.path = uri
    return rows


def _read_bytes(p: Path, codec) -> bytes:
    return _decompress(p.read_bytes(), codec, p)


def _decompress(data: bytes, codec, p: Path) -> bytes:
    if codec is None:
        return data
    try:
        return codec.decompress(data)
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise DataError(p, None, f"cannot decompress the {p.suffix} file ({e})",
                        fix=f"check that the file is complete, or decompress it yourself and pass the {Path(p.stem).suffix} file") from None


def _utf16_or_32(data: bytes) -> str | None:
    """The UTF-16/32 flavour a byte-order mark or NUL-padded ASCII gives away, else None."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "utf-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = data[:4096]
    if head.count(0) * 4 >= len(head) > 0:  # ASCII text in UTF-16 is every other byte NUL
        even, odd = head[0::2].count(0), head[1::2].count(0)
        return "utf-16-le" if odd > 3 * even else "utf-16-be" if even > 3 * odd else None
    return None


def _read_text(p: Path, encoding: str, data: bytes) -> str:
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    wide = _utf16_or_32(data) if utf8 else None
    if wide:
        raise DataError(p, None, f"the file is {wide.upper()} (byte-order mark or NUL bytes), not UTF-8",
                        fix=f"{wide.upper().split('-')[0]}-{wide.split('-')[1]}: pass --encoding {wide}, "
                            f"or re-encode it (`iconv -f {wide} -t utf-8 IN > OUT`)")
    if utf8 and b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(p, f"line {line}", "the file holds NUL bytes: binary data, not a text file",
                        fix="check that this is the data file you meant (a text export: JSONL, JSON, CSV)")
    try:
        # utf-8-sig drops a byte-order mark that spreadsheet exports often add
        return data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(p, f"line {line}",
                        f"not valid {encoding}: byte {data[e.start:e.start + 1]!r} at offset {e.start} cannot be decoded",
                        fix="re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 IN > OUT`) "
                            "or pass --encoding with the file's real encoding (e.g. --encoding latin-1)") from None
    except LookupError:
        raise DataError(p, None, f"unknown encoding '{encoding}'", fix="pass a Python codec name, e.g. utf-8 or latin-1") from None


# Deeper records break recursive code downstream (copy.deepcopy when `clean` writes a fix back fails
# near 500 levels, json.loads near 1000); no fine-tuning record needs more than a handful of levels.
MAX_DEPTH = 100
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"


def _too_deep(obj) -> bool:
    """Whether `obj` nests lists/objects more than MAX_DEPTH levels (iterative: no recursion to blow)."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return False


def _read_jsonl(p: Path, text: str, skip_invalid: bool = False) -> RawRows:
    return _parse_jsonl(p, enumerate(_lines(text), start=1), skip_invalid)


def _lines(text: str):
    """JSONL lines: split at \\n only (a JSON string may hold U+2028, U+0085 or a form feed raw, which
    str.splitlines would cut), a \\r before it dropped."""
    for line in text.split("\n"):
        yield line[:-1] if line.endswith("\r") else line


def _stream_jsonl(p: Path, codec, skip_invalid: bool) -> RawRows:
    """A UTF-8 JSONL file parsed line by line as it is read: the whole file is never held as bytes and
    as text at once (an 865 MB file peaked at ~3 GB that way). Same checks and messages as the
    whole-file path (_read_text, _read_jsonl)."""
    opener = codec.open if codec else open
    try:
        fh = opener(p, "rb")
        head = fh.read(4096)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise DataError(p, None, f"cannot decompress the {p.suffix} file ({e})",
                        fix=f"check that the file is complete, or decompress it yourself and pass the {Path(p.stem).suffix} file") from None
    with fh:
        if _utf16_or_32(head):
            _read_text(p, "utf-8", head)  # raises the UTF-16/32 error
        fh.seek(0)
        state = {"offset": 0, "blank": True}

        def lines():
            try:
                for n, raw in enumerate(fh, start=1):
                    start = state["offset"]
                    state["offset"] += len(raw)
                    if n == 1 and raw.startswith(b"\xef\xbb\xbf"):  # utf-8-sig: a spreadsheet export's byte-order mark
                        raw = raw[3:]
                        start += 3
                    if b"\x00" in raw:
                        raise DataError(p, f"line {n}", "the file holds NUL bytes: binary data, not a text file",
                                        fix="check that this is the data file you meant (a text export: JSONL, JSON, CSV)")
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as e:
                        raise DataError(p, f"line {n}",
                                        f"not valid utf-8: byte {raw[e.start:e.start + 1]!r} at offset {start + e.start} "
                                        f"cannot be decoded",
                                        fix="re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 IN > OUT`) "
                                            "or pass --encoding with the file's real encoding (e.g. --encoding latin-1)") from None
                    line = line[:-1] if line.endswith("\n") else line
                    line = line[:-1] if line.endswith("\r") else line
                    if line.strip():
                        state["blank"] = False
                    yield n, line
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
                raise DataError(p, None, f"cannot decompress the {p.suffix} file ({e})",
                                fix=f"check that the file is complete, or decompress it yourself and pass the "
                                    f"{Path(p.stem).suffix} file") from None

        try:
            return _parse_jsonl(p, lines(), skip_invalid)
        except DataError as e:
            if state["blank"] and e.where is None:
                raise DataError(p, None, "the file is empty (0 records)", fix="point curate at a file that has records") from None
            raise


def _parse_jsonl(p: Path, numbered_lines, skip_invalid: bool = False) -> RawRows:
    rows, locs, invalid = [], [], []
    for n, line in numbered_lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problem, fix = (f"malformed JSON ({e.msg} at column {e.colno})",
                            "repair that line so it holds one JSON object, or delete it")
        except RecursionError:
            problem, fix = TOO_DEEP, "flatten that record (a few levels of nesting), or delete the line"
        else:
            if isinstance(obj, dict) and not _too_deep(obj):
                rows.append(obj)
                locs.append(f"line {n}")
                continue
            problem, fix = ((TOO_DEEP, "flatten that record (a few levels of nesting), or delete the line")
                            if isinstance(obj, dict) else
                            (f"expected a JSON object per line, got {type(obj).__name__}",
                             'write each record as an object, e.g. {"text": "...", "label": "..."}'))
        if not skip_invalid:
            raise DataError(p, f"line {n}", problem, fix=fix + "; or pass --skip-invalid to set such lines aside")
        invalid.append({"locator": f"line {n}", "reason": problem, "fix": fix, "record": line})  # the line as it was
    if not rows and invalid:
        raise DataError(p, None, f"no readable records ({len(invalid)} malformed line(s), the first at "
                        f"{invalid[0]['locator']}: {invalid[0]['reason']})", fix=invalid[0]["fix"])
    if not rows:
        raise DataError(p, None, "the file has no records (only blank lines)", fix="point curate at a file that has records")
    return RawRows(str(p), "jsonl", rows, locs, invalid=invalid)


def _read_json(p: Path, text: str, split: str | None) -> RawRows:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (this looks like JSON Lines: rename the file to .jsonl)" if e.msg == "Extra data" else ""
        raise DataError(p, f"line {e.lineno}, column {e.colno}", f"malformed JSON: {e.msg}{hint}",
                        fix="repair the JSON (a validator such as `python -m json.tool FILE` shows the spot)") from None
    except RecursionError:
        raise DataError(p, None, TOO_DEEP, fix="flatten the deeply nested record (a few levels of nesting), or remove it") from None
    chosen = None
    if isinstance(obj, dict):
        lists = {k: v for k, v in obj.items() if isinstance(v, list)}
        if not lists:
            raise DataError(p, None, "a JSON object with no list of records in it",
                            fix='use an array of records, or {"train": [...], "test": [...]}')
        if split is not None:
            if split not in lists:
                raise DataError(p, None, f"no split '{split}'{did_you_mean(split, lists)}",
                                fix=f"choose one of: {', '.join(lists)}")
            chosen = split
        elif len(lists) == 1:
            chosen = next(iter(lists))
        elif "train" in lists:
            chosen = "train"
        else:
            raise DataError(p, None, f"several splits ({', '.join(lists)}) and no --split",
                            fix=f"pass --split with one of: {', '.join(lists)}")
        obj = lists[chosen]
    if not isinstance(obj, list):
        raise DataError(p, None, f"expected an array of records, got {type(obj).__name__}",
                        fix='use [{"instruction": ..., "output": ...}, ...]')
    if not obj:
        raise DataError(p, None, "the file has no records (an empty array)", fix="point curate at a file that has records")
    for i, r in enumerate(obj):
        if not isinstance(r, dict):
            raise DataError(p, f"record {i}", f"expected a JSON object, got {type(r).__name__} ({str(r)[:40]!r})",
                            fix="make every element of the array an object with named fields")
        if _too_deep(r):
            raise DataError(p, f"record {i}", TOO_DEEP, fix="flatten that record (a few levels of nesting), or remove it")
    return RawRows(str(p), "json", obj, [f"record {i}" for i in range(len(obj))], split=chosen)


def _read_csv(p: Path, text: str, delimiter: str) -> RawRows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(p, None, "the file is empty (no header)", fix="add a header row naming the columns") from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise DataError(p, "line 1", f"the header has empty or repeated column names: {header}",
                        fix="give every column a unique name")
    rows, locs = [], []
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            raise DataError(p, f"line {line}", f"{len(row)} field(s) but the header has {len(header)} ({', '.join(header)})",
                            fix="quote fields that contain the delimiter, and give every row a value for every column")
        rows.append(dict(zip(header, row)))
        locs.append(f"line {line}")
    if not rows:
        raise DataError(p, None, "the file has a header but no records", fix="point curate at a file that has records")
    return RawRows(str(p), "tsv" if delimiter == "\t" else "csv", rows, locs, columns=header)


def _read_parquet(p: Path, data: bytes) -> RawRows:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DataError(p, None, f"cannot read Parquet: {e}", fix="check that the file is a complete Parquet file") from None
    rows = table.to_pylist()
    if not rows:
        raise DataError(p, None, "the file has no records", fix="point curate at a file that has records")
    return RawRows(str(p), "parquet", rows, [f"row {i}" for i in range(len(rows))], columns=table.column_names)


def _read_hf_dir(p: Path, split: str | None) -> RawRows:
    import datasets

    try:
        ds = datasets.load_from_disk(str(p))
    except Exception as e:
        raise DataError(p, None, f"a directory, but not one written by datasets' save_to_disk ({e})",
                        fix="pass a data file, or a directory written by Dataset.save_to_disk") from None
    return _from_hf(ds, str(p), "hf_dir", split)


def _read_hub(name: str, split: str | None) -> RawRows:
    if os.environ.get("HF_HUB_OFFLINE") or os.environ.get("HF_DATASETS_OFFLINE"):
        raise DataError(name, None, "no such file, and the hub is offline (HF_HUB_OFFLINE is set)",
                        fix="download the dataset on a connected machine and pass the local path")
    if not _hub_reachable():
        raise DataError(name, None, "no such file, and the Hugging Face hub cannot be reached (offline?)",
                        fix="check the path; or download the dataset on a connected machine and pass the local path")
    import datasets

    try:
        ds = datasets.load_dataset(name)
    except Exception as e:
        raise DataError(name, None, f"no such file, and loading it as a hub dataset failed: {e}",
                        fix="check the path, or the hub id and your connection") from None
    return _from_hf(ds, name, "hub", split)


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connect to the hub: offline, datasets retries for half a minute before failing."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)),
                                 timeout=timeout).close()
        return True
    except Exception:  # DNS failure, refused, timed out (and the tests' network guard)
        return False


def _from_hf(ds, path: str, kind: str, split: str | None) -> RawRows:
    import datasets

    chosen = None
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds.keys())
        chosen = split or ("train" if "train" in splits else splits[0] if len(splits) == 1 else None)
        if chosen not in splits:
            raise DataError(path, None, f"split '{split}' not found{did_you_mean(split or '', splits)}" if split
                            else f"several splits ({', '.join(splits)}) and no --split",
                            fix=f"pass --split with one of: {', '.join(splits)}")
        ds = ds[chosen]
    rows = ds.to_list()
    if not rows:
        raise DataError(path, None, "the dataset has no records", fix="point curate at a dataset that has records")
    return RawRows(path, kind, rows, [f"record {i}" for i in range(len(rows))], split=chosen, columns=list(ds.column_names))


def _looks_like_hub_id(s: str) -> bool:
    parts = s.split("/")
    return len(parts) == 2 and all(parts) and not Path(s).suffix and not s.startswith((".", "/"))
