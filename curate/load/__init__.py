"""Load any common dataset file into canonical records: `load_dataset(path, ...)`.

read (readers.py) -> detect format (formats.py) -> canonical records + fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import DataError
from curate.load.formats import FORMATS, FieldMapping, InvalidRecord, alternative_answers, canonical, detect
from curate.load.readers import RawRows, file_stem, is_uri, read_rows, uri_name

__all__ = ["CurateDataset", "load_dataset", "FORMATS", "FieldMapping", "alternative_answers"]

CANONICAL_COLUMNS = ("id", "format", "prompt", "response", "label", "messages", "fields", "empty_input_marker")


@dataclass
class CurateDataset:
    path: str
    name: str
    kind: str  # file type the records came from
    mapping: FieldMapping
    records: list[dict]  # canonical records, see formats.py
    raw: list[dict]  # the original rows of `records`, same order: clean writes these back
    locators: list[str]  # where each record sits in the file ("line 12")
    invalid: list[dict] = field(default_factory=list)  # quarantined by --skip-invalid
    split: str | None = None
    columns_order: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def format(self) -> str:
        return self.mapping.format

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def batch(self, columns=CANONICAL_COLUMNS) -> dict[str, list]:
        """The records as a batch of columns: the input every stage takes."""
        return {c: [r[c] for r in self.records] for c in columns}


def fingerprint(records: list[dict], fmt: str) -> str:
    """sha256 over the canonical records: the same data in another file layout hashes the same.

    Alternative answers (a preference pair's rejected answer) are hashed too, where a record has
    them: a changed rejected answer must not reuse the cached signals of the old one.
    """
    h = hashlib.sha256(fmt.encode())
    for r in records:
        alternatives = [f["text"] for f in alternative_answers(r["fields"])]
        h.update(json.dumps([r["id"], r["prompt"], r["response"], r["label"], r["messages"]] +
                            ([alternatives] if alternatives else []), ensure_ascii=False, sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def load_dataset(path, *, format: str | None = None, text_field: str | None = None, label_field: str | None = None,
                 prompt_field: str | None = None, response_field: str | None = None, messages_field: str | None = None,
                 id_field: str | None = None, split: str | None = None, encoding: str = "utf-8",
                 skip_invalid: bool = False) -> CurateDataset:
    """Read a dataset file and return canonical records.

    An invalid record raises DataError naming the file, the record and the fix, unless
    `skip_invalid` is set: then it lands in `dataset.invalid` with its reason, never dropped silently.
    """
    raw: RawRows = read_rows(path, encoding=encoding, split=split, skip_invalid=skip_invalid)
    overrides = {"format": format, "text_field": text_field, "label_field": label_field, "prompt_field": prompt_field,
                 "response_field": response_field, "messages_field": messages_field, "id_field": id_field}
    mapping = detect(path, raw.rows, overrides=overrides)
    records, rows, locs, invalid, seen = [], [], [], list(raw.invalid), {}
    for pos, (row, loc) in enumerate(zip(raw.rows, raw.locators)):
        try:
            rec = canonical(row, mapping, pos)
            if rec["id"] in seen:
                raise InvalidRecord(f"id '{rec['id']}' is already used by {seen[rec['id']]}",
                                    f"make ids unique, or pass --id-field none to number records by position")
        except InvalidRecord as e:
            invalid.append({"locator": loc, "reason": e.problem, "fix": e.fix, "record": row})
            continue
        seen[rec["id"]] = loc
        records.append(rec)
        rows.append(row)
        locs.append(loc)
    if invalid and not skip_invalid:
        first = invalid[0]
        more = f" ({len(invalid) - 1} more invalid record(s) after it)" if len(invalid) > 1 else ""
        raise DataError(raw.path, first["locator"], first["reason"] + more,
                        fix=first["fix"] + "; or pass --skip-invalid to move invalid records to a quarantine file")
    if not records:
        raise DataError(raw.path, None, f"no valid records ({len(invalid)} invalid)", fix="fix the records listed in the quarantine file")
    name = file_stem(uri_name(str(path))) if is_uri(path) else \
        file_stem(path) if Path(str(path)).exists() else str(path).replace("/", "__")
    ds = CurateDataset(path=str(path), name=name, kind=raw.kind, mapping=mapping, records=records, raw=rows,
                       locators=locs, invalid=invalid, split=raw.split, columns_order=raw.columns)
    ds.fingerprint = fingerprint(records, mapping.format)
    return ds


def write_invalid(ds: CurateDataset, out_path) -> Path:
    """Write the records --skip-invalid set aside, each with where it was and why."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for item in ds.invalid:
            f.write(json.dumps({"source": ds.path, "locator": item["locator"], "reason": item["reason"],
                                "fix": item["fix"], "record": item["record"]}, ensure_ascii=False, default=str) + "\n")
    return out
