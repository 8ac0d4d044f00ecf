"""Temporary names that concurrent writers never share, and renames that publish a file or folder whole.

Two `curate audit` runs of the same file (or two conversions of the same model) write the same
cache entry at once. A fixed `X.tmp` name lets one run rename the other's half-written file away
(FileNotFoundError); a name unique to the process and call does not, and the last rename wins
with an entry identical to the first.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def tmp_path(target: Path) -> Path:
    """A hidden sibling of `target`, unique to this process and call (same folder: rename is atomic)."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def publish(tmp: Path, target: Path) -> None:
    """Rename the finished `tmp` (file or folder) to `target`.

    A folder cannot replace a non-empty folder; when another process published `target` first,
    its copy is as good as ours, so ours is discarded.
    """
    tmp, target = Path(tmp), Path(target)
    try:
        tmp.replace(target)
    except OSError:
        if not target.exists():
            raise
        discard(tmp)


def discard(tmp: Path) -> None:
    """Remove a temporary file or folder that will not be published."""
    tmp = Path(tmp)
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)
