"""Run a row-local stage over a batch of columns on several local processes.

`map_row_local(fn, batch, config=cfg, workers=N)` returns what `fn(batch, config=cfg)` returns,
with the rows split into chunks of `chunk_rows`; row i of the output depends only on row i of the
input, so the result is the same for any `workers`.

- `workers=1`, or fewer than two chunks of rows: everything runs in this process.
- `workers=N > 1`: a pool of N processes, started with `fork` where the platform has it. With fork the
  workers inherit `fn`, `config` and the input columns (copy-on-write), so only two row numbers go to
  a worker and only the output chunk comes back; elsewhere (`spawn`) each chunk is pickled over.
  A worker lives for the whole call, so a model the stage keeps in a module-level cache is loaded once
  per worker (or not at all, when the parent had already loaded it before the fork), never per chunk.
  A stage registered with `setup=` (lengths' tokenizer, the PII detector) has it called by `run_stage`
  in the parent before this call, so its workers inherit one copy, shared copy-on-write. The embedder
  is the exception: a worker drops its inherited copy and loads its own (`_worker_init`).
- `workers=None` or `0`: one worker per core this process may run on.
- Chunks come back in input order; `progress.advance(rows)` is called in the parent as each one
  finishes. At most `2 x workers` chunks are in flight, so the results waiting to be put in order
  stay bounded.
- An exception in a worker is raised in the parent naming the stage and the rows: a `CurateError`
  (bad input, exit 2) keeps its type and message; anything else becomes `StageFailed` with the
  worker's traceback as its cause. A worker that dies (killed, out of memory) is `StageFailed` too.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable


class StageFailed(RuntimeError):
    """A row-local stage raised (or its worker process died) while running in a worker."""


def cpu_count() -> int:
    """The cores this process may run on: its affinity mask, capped by a cgroup CPU quota (a container
    given 2 CPUs of a 64-core host sees 64 in both os.cpu_count() and the mask)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cores, math.ceil(quota)) if quota else cores)


def _cgroup_cpu_quota(root: str = "/sys/fs/cgroup") -> float | None:
    """CPUs allowed by the cgroup (v2 `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`), None if unlimited."""
    try:
        quota, period = Path(root, "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(Path(root, "cpu", "cpu.cfs_quota_us").read_text())
        period = int(Path(root, "cpu", "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def resolve_workers(workers: int | None) -> int:
    """`None`/0 -> every core; otherwise the number asked for (at least 1)."""
    if not workers:
        return cpu_count()
    if workers < 0:
        raise ValueError(f"workers must be >= 0 (0 = every core), got {workers}")
    return workers


def _n_rows(batch: dict[str, list]) -> int:
    return len(next(iter(batch.values()), []))


def _slice(batch: dict[str, list], s: int, e: int) -> dict[str, list]:
    return {k: v[s:e] for k, v in batch.items()}


def _check(part: dict[str, list], rows: int, name: str, s: int) -> dict[str, list]:
    for c, vals in part.items():
        if len(vals) != rows:
            raise StageFailed(f"stage '{name}' returned {len(vals)} values for column '{c}' on rows {s}-{s + rows - 1}, "
                              f"expected {rows}")
    return part


# The job of the current call, inherited by forked workers: (fn, batch, config). Set only while a
# pool runs; the spawn path never reads it.
_JOB: tuple | None = None


_INHERITED: list = []  # a forked worker's copies of the parent's loaded embedders (see _worker_init)


def _worker_init(threads: int) -> None:
    """Per worker: share the cores, don't let each worker start a thread per core."""
    n = str(threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CURATE_THREADS"):
        os.environ[var] = n
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    import sys

    # an onnxruntime session copied by fork holds the parent's thread pool, whose threads do not exist
    # here: a worker loads its own embedder (once: the cache lives as long as the worker)
    enc = sys.modules.get("curate.embed.encode")
    if enc is not None:
        # kept referenced, never destroyed: the destructor of a session (or a torch model) copied by
        # fork waits for the parent's worker threads, which do not exist here, and hangs the worker
        _INHERITED.extend(enc._EMBEDDERS.values())
        enc._EMBEDDERS.clear()
    # no torch.set_num_threads here: torch's thread pool copied by fork is not safe to touch (the
    # parent may be a `curate train` that audits first); OMP_NUM_THREADS covers a torch the worker imports


def _call(fn, part: dict[str, list], config) -> dict[str, list]:
    """fn in a worker; an exception that would not survive the trip to the parent is made one that does."""
    try:
        return fn(part, config=config)
    except Exception as exc:
        import pickle

        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 (e.g. DataError: its __init__ takes more than the message)
            from curate.errors import CurateError

            if isinstance(exc, CurateError):
                raise CurateError(exc.message, fix=exc.fix) from None
            import traceback

            raise RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}") from None
        raise


def _run_forked(s: int, e: int) -> dict[str, list]:
    fn, batch, config = _JOB  # type: ignore[misc]
    return _call(fn, _slice(batch, s, e), config)


def _run_pickled(fn, part: dict[str, list], config) -> dict[str, list]:
    return _call(fn, part, config)


def map_row_local(fn: Callable[..., dict[str, list]], batch: dict[str, list], *, config, workers: int | None = 1,
                  progress=None, chunk_rows: int = 1024, name: str | None = None) -> dict[str, list]:
    """fn over `batch` in chunks of `chunk_rows` on `workers` processes; `progress.advance(rows)` per chunk.

    `name` names the stage in errors (default: `fn.__name__`, which is the stage name for every
    registered stage).
    """
    global _JOB
    name = name or getattr(fn, "__name__", "stage")
    chunk_rows = max(1, int(chunk_rows))
    n = _n_rows(batch)
    workers = resolve_workers(workers)
    bounds = [(s, min(s + chunk_rows, n)) for s in range(0, n, chunk_rows)]
    workers = min(workers, len(bounds))
    out: dict[str, list] = {}

    def collect(part: dict[str, list], s: int, e: int) -> None:
        for c, vals in _check(part, e - s, name, s).items():
            out.setdefault(c, []).extend(vals)
        if progress is not None:
            progress.advance(e - s)

    if workers <= 1 or len(bounds) < 2:
        if not bounds:  # no rows: the stage still says which columns it writes
            return {c: list(v) for c, v in fn(_slice(batch, 0, 0), config=config).items()}
        for s, e in bounds:
            collect(fn(_slice(batch, s, e), config=config), s, e)
        return out

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    forked = ctx.get_start_method() == "fork"
    threads = max(1, cpu_count() // workers)
    if _JOB is not None:  # a stage that itself maps rows: run the inner call here, not a pool of pools
        for s, e in bounds:
            collect(fn(_slice(batch, s, e), config=config), s, e)
        return out
    if forked:
        _JOB = (fn, batch, config)
        # HF tokenizers warn (and may deadlock) when forked after using their own threads
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(threads,))
        finished_all = False
        try:
            pending: dict = {}
            done_parts: dict[int, dict[str, list]] = {}
            next_submit, next_collect = 0, 0
            while next_collect < len(bounds):
                while next_submit < len(bounds) and len(pending) < 2 * workers:
                    s, e = bounds[next_submit]
                    fut = pool.submit(_run_forked, s, e) if forked else \
                        pool.submit(_run_pickled, fn, _slice(batch, s, e), config)
                    pending[fut] = next_submit
                    next_submit += 1
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    s, e = bounds[i]
                    try:
                        done_parts[i] = fut.result()
                    except BrokenProcessPool as exc:
                        raise StageFailed(f"stage '{name}': a worker process died on rows {s}-{e - 1} "
                                          f"(killed, or out of memory?); rerun with fewer workers") from exc
                    except Exception as exc:
                        _reraise(exc, name, s, e)
                while next_collect in done_parts:
                    s, e = bounds[next_collect]
                    collect(done_parts.pop(next_collect), s, e)
                    next_collect += 1
            finished_all = True
        finally:  # on an error or Ctrl-C, chunks not yet started are dropped and those running are killed:
            if not finished_all:  # waiting for them would hang on a worker that never returns
                _kill_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _JOB = None
    return out


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.kill()


def _reraise(exc: BaseException, name: str, s: int, e: int):
    from curate.errors import CurateError

    if isinstance(exc, (CurateError, StageFailed)):
        raise exc  # already says what is wrong and how to fix it
    raise StageFailed(f"stage '{name}' failed on rows {s}-{e - 1} in a worker process: "
                      f"{type(exc).__name__}: {exc}") from exc
