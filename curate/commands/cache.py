"""`curate cache info` / `curate cache clear`: what the signal cache holds, and removing it.

The cache ($CURATE_CACHE_DIR, default ~/.cache/curate) keeps, per dataset fingerprint, the signal
columns of every stage (so a changed threshold never recomputes a MinHash or an embedding), the
embedding vectors of every text (keyed by sha256 of the text), and the converted models. Raw ids and
labels are stored as tokens only the data itself can turn back, but signals such as evidence excerpts
are derived from the records: treat the cache like the data, and clear it when the data must go.

    curate cache info                   # where, how big, which datasets
    curate cache clear                  # every dataset's signals and all embeddings (models stay)
    curate cache clear --dataset 1a2b3c # one dataset's signals (fingerprint prefix, see `info`)
    curate cache clear --all            # models too (rebuilt on the next run, from installed packages)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from curate.cliutil import console, print_json

_FINGERPRINT_DIR = re.compile(r"[0-9a-f]{16}")


def add_parser(sub):
    p = sub.add_parser("cache", help="show or clear the signal cache (it holds values derived from your data)",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION")
    info = csub.add_parser("info", help="where the cache is, its size, the datasets it holds")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=run_info)
    clear = csub.add_parser("clear", help="delete cached signals and embeddings (models are kept unless --all)")
    clear.add_argument("--dataset", metavar="FINGERPRINT",
                       help="only this dataset's signals (a fingerprint prefix, as `curate cache info` lists)")
    clear.add_argument("--all", action="store_true", help="also the converted models")
    clear.set_defaults(run=run_clear)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def _size(path: Path) -> int:
    if path.is_symlink() or not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def cache_contents(root: Path) -> dict:
    datasets = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if d.is_dir() and not d.is_symlink() and _FINGERPRINT_DIR.fullmatch(d.name):
                files = sorted(d.glob("*.parquet"))
                datasets.append({"fingerprint": d.name, "stages": sorted({f.name.rsplit("-", 1)[0] for f in files}),
                                 "files": len(files), "bytes": _size(d)})
    emb = root / "embeddings"
    models = root / "models"
    return {"root": str(root), "datasets": datasets,
            "embeddings": {"stores": len(list(emb.glob("*.sqlite"))) if emb.is_dir() else 0, "bytes": _size(emb)},
            "models": {"bytes": _size(models), "link": str(models.resolve()) if models.is_symlink() else None}}


def run_info(args) -> int:
    from rich.table import Table

    from curate.stages import cache_root

    info = cache_contents(cache_root())
    if args.json:
        print_json(info)
        return 0
    console.print(f"cache: {info['root']}")
    if info["datasets"]:
        t = Table(show_header=True)
        for c in ("dataset fingerprint", "stages", "files", "size"):
            t.add_column(c)
        for d in info["datasets"]:
            t.add_row(d["fingerprint"], ", ".join(d["stages"]), str(d["files"]), _human(d["bytes"]))
        console.print(t)
    else:
        console.print("signals: none")
    console.print(f"embeddings: {info['embeddings']['stores']} vector store(s), {_human(info['embeddings']['bytes'])}")
    m = info["models"]
    console.print(f"models: {'link to ' + m['link'] if m['link'] else _human(m['bytes'])}")
    console.print("Cached signals are derived from the records (ids and labels are stored as tokens); "
                  "`curate cache clear` removes them.")
    return 0


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()  # a linked folder (shared models) is unlinked, never emptied
    elif path.is_dir():
        shutil.rmtree(path)


def run_clear(args) -> int:
    from curate.errors import CurateError
    from curate.stages import cache_root

    root = cache_root()
    info = cache_contents(root)
    if args.dataset:
        prefix = args.dataset.lower()[:16]
        hits = [d for d in info["datasets"] if d["fingerprint"].startswith(prefix)]
        if not hits:
            raise CurateError(f"no cached signals for a dataset whose fingerprint starts with '{args.dataset}' in {root}",
                              fix="run `curate cache info` to list the cached fingerprints")
        for d in hits:
            _remove(root / d["fingerprint"])
        console.print(f"removed the cached signals of {len(hits)} dataset(s) from {root}")
        return 0
    freed = sum(d["bytes"] for d in info["datasets"]) + info["embeddings"]["bytes"]
    for d in info["datasets"]:
        _remove(root / d["fingerprint"])
    _remove(root / "embeddings")
    what = f"signals of {len(info['datasets'])} dataset(s) and the embeddings"
    if args.all:
        freed += info["models"]["bytes"]
        _remove(root / "models")
        what += " and the models"
    console.print(f"removed the {what} from {root} ({_human(freed)})")
    return 0
