"""Eval sets / benchmarks for `--eval`: files, folders of benchmark files, or hub ids.

`load_eval_sets(["mmlu.jsonl", "benchmarks/", "owner/name"])` loads each file once; a folder that
is not a `save_to_disk` directory stands for every data file under it (sorted, recursively). Each
set is named by its file stem; when two stems collide (gsm8k/test.jsonl, mmlu/test.jsonl) the
path under the folder names them instead, so per-benchmark reports never merge two benchmarks.
"""

from __future__ import annotations

from pathlib import Path

from curate.errors import DataError
from curate.load.readers import COMPRESSION, SUFFIX_KIND, file_stem

HF_DIR_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def _is_data_file(p: Path) -> bool:
    suffix = Path(p.stem).suffix.lower() if p.suffix.lower() in COMPRESSION else p.suffix.lower()
    return p.is_file() and not p.name.startswith(".") and suffix in SUFFIX_KIND


def expand_eval_paths(paths) -> list[tuple[str, str]]:
    """(path, name) per eval set: folders of benchmark files expanded, names made unique."""
    found: list[tuple[str, str, str]] = []  # path, short name (stem), long name (folder/stem)
    for raw in paths:
        p = Path(str(raw))
        if p.is_dir() and not any((p / m).exists() for m in HF_DIR_MARKERS):
            files = sorted(f for f in p.rglob("*") if _is_data_file(f) and not any(
                part.startswith(".") for part in f.relative_to(p).parts))
            if not files:
                raise DataError(p, None, "a folder with no benchmark files in it",
                                fix="put .jsonl/.json/.csv/.tsv/.parquet files (optionally .gz) in it, or pass files")
            found += [(str(f), file_stem(f), str(f.relative_to(p).with_name(file_stem(f)))) for f in files]
        elif p.exists():
            found.append((str(raw), file_stem(p), f"{p.resolve().parent.name}/{file_stem(p)}"))
        else:  # a hub id
            found.append((str(raw), str(raw), str(raw)))
    shorts = [short for _, short, _ in found]
    out, seen = [], set()
    for path, short, long in found:
        name = short if shorts.count(short) == 1 else long
        if name in seen:  # the same file twice, or two folders with the same layout
            name = path
        seen.add(name)
        out.append((path, name))
    return out


def load_eval_sets(paths, **load_kwargs) -> list:
    """Load every eval set / benchmark named by `paths` (see the module docstring)."""
    from curate.load import load_dataset

    sets = []
    for path, name in expand_eval_paths(paths):
        ds = load_dataset(path, **load_kwargs)
        ds.name = name
        sets.append(ds)
    return sets
