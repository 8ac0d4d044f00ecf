"""Every string a written file holds, for tests that prove no raw PII reaches curate's outputs.

Parquet is read column by column and nested values are walked (grepping the compressed bytes sees
nothing); every other file is read as text. A value leaks when it, or any piece of it of
FRAGMENT characters or more, appears: a key cut to `sk-proj-Xq7v…` is still a leak.
"""

from __future__ import annotations

from pathlib import Path

FRAGMENT = 8


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)


def file_strings(path: Path) -> list[tuple[str, str]]:
    """[(where, text)]: one entry per parquet column (plus its schema), or the whole file."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(path)
        out = [(f"{path.name}:schema", str(t.schema))]
        for c in t.column_names:
            out.append((f"{path.name}:{c}", "\n".join(strings(t.column(c).to_pylist()))))
        return out
    return [(path.name, path.read_bytes().decode("utf-8", "replace"))]


def pieces(value: str, n: int = FRAGMENT) -> set[str]:
    return {value} | {value[i:i + n] for i in range(len(value) - n + 1)}


def leaks(values, texts: list[tuple[str, str]]) -> list[str]:
    """'value in where' for every planted value (or piece of one) found in the texts."""
    found = []
    for v in values:
        for where, text in texts:
            hit = next((p for p in sorted(pieces(v), key=len, reverse=True) if p in text), None)
            if hit is not None:
                found.append(f"{v!r} ({'whole' if hit == v else repr(hit)}) in {where}")
    return found


def scan_tree(root: Path, values, *, skip=("quarantine.jsonl",)) -> list[str]:
    out = []
    for p in sorted(Path(root).rglob("*")):
        if p.is_file() and not p.is_symlink() and p.name not in skip:
            out += leaks(values, file_strings(p))
    return out
