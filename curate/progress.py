"""What a long job tells whoever watches it: the phase it is in, and how much of the phase is done.

The audit (and any command that runs stages) takes a `Progress` and calls

    progress.phase("pii", total=len(dataset), unit="records")   # a new phase starts
    progress.advance(512)                                         # 512 more units of it done
    progress.end()                                                # the phase is over

The engine calls `advance` per batch, so a watcher can show records done, rate and ETA. Library
callers get `NullProgress`, and a plain callable taking a message (the older API) still works
through `as_progress`. The command line renders it with `terminal_progress()`: one `rich.progress`
bar per phase on a terminal (`BarProgress`), plain lines when stderr is a pipe or a log file
(`LineProgress`: a line per phase start and end, and a status line at least every
`CURATE_PROGRESS_INTERVAL` seconds, default 10, from a timer thread, so a phase that advances
rarely, or never, is still seen to be alive).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from typing import Callable

DEFAULT_INTERVAL = 10.0  # seconds between status lines in a log: issue 16 asks for one at least every 10 s


class Progress:
    """Receives progress events; every method is a no-op here, so a renderer overrides what it shows."""

    def phase(self, name: str, total: int | None = None, unit: str = "records") -> None:
        """A new phase starts (the previous one, if any, is over). `total` is None when unknown."""

    def advance(self, n: int = 1) -> None:
        """`n` more units of the current phase are done."""

    def end(self) -> None:
        """The current phase is over."""

    def close(self) -> None:
        """The job is over: release the terminal."""

    def abort(self) -> None:
        """The job stopped on an error: release the terminal without calling the current phase done."""
        self.close()

    def __call__(self, message: str) -> None:
        """The older API (`progress("stage dedup")`): a phase of unknown size, so a renderer works with both."""
        self.phase(message.removeprefix("stage "))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class NullProgress(Progress):
    pass


class MessageProgress(Progress):
    """Adapts a `say(message)` callable: it hears each phase name, nothing finer."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say

    def phase(self, name: str, total: int | None = None, unit: str = "records") -> None:
        self.say(name)


def as_progress(obj) -> Progress:
    """A Progress from None, a Progress, or a callable taking a message."""
    if obj is None:
        return NullProgress()
    if isinstance(obj, Progress):
        return obj
    if callable(obj):
        return MessageProgress(obj)
    raise TypeError(f"progress must be a Progress or a callable, not {type(obj).__name__}")


def duration(seconds: float) -> str:
    """'45s', '3m34s', '1h02m': short enough for a status line."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def interval_from_env(default: float = DEFAULT_INTERVAL) -> float:
    """CURATE_PROGRESS_INTERVAL in seconds (tests use a fraction of a second); a bad value keeps the default."""
    try:
        v = float(os.environ.get("CURATE_PROGRESS_INTERVAL", default))
    except ValueError:
        return default
    return v if 0 < v < float("inf") else default


class _Phase:
    def __init__(self, name: str, total: int | None, unit: str, now: float):
        self.name, self.total, self.unit, self.started, self.done = name, total, unit, now, 0

    def status(self, now: float) -> str:
        """'pii: 12,288/100,000 records, 410/s, eta 3m34s' (the rate is the phase's average so far)."""
        took = now - self.started
        rate = self.done / took if took > 0 and self.done else 0.0
        if self.total is not None:
            bits = [f"{self.done:,}/{self.total:,} {self.unit}"]
        else:
            bits = [f"{self.done:,} {self.unit}"] if self.done else ["running"]
        if rate:
            bits.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:,.1f}/s")
        if rate and self.total is not None and self.done < self.total:
            bits.append(f"eta {duration((self.total - self.done) / rate)}")
        bits.append(f"{duration(took)} elapsed")
        return f"{self.name}: " + ", ".join(bits)


_TIMED: weakref.WeakSet = weakref.WeakSet()  # LineProgress objects whose timer thread may be writing
_HELD: list = []


def _hold_for_fork() -> None:
    """Before a fork (the engine's worker pool): wait until no timer thread is mid-write. A child forked
    while that thread held stderr's buffer lock would inherit it locked and hang on its first write."""
    _HELD[:] = [p._lock for p in list(_TIMED)]
    for lock in _HELD:
        lock.acquire()


def _release_after_fork() -> None:
    for lock in reversed(_HELD):
        lock.release()
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_hold_for_fork, after_in_parent=_release_after_fork,
                        after_in_child=_release_after_fork)


class LineProgress(Progress):
    """Plain lines for a pipe or a log: `[curate] pii: 12,288/100,000 records, 410/s, eta 3m34s`.

    One line when a phase starts, one when it ends, and a status line whenever `interval` seconds
    have passed since the last line: a background thread keeps that promise even while a phase
    does not call `advance` (a model loading, a dataset-scope stage computing in one call).
    """

    def __init__(self, stream=None, *, interval: float | None = None, clock: Callable[[], float] = time.monotonic,
                 prefix: str = "[curate] ", thread: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval if interval is not None else interval_from_env()
        self.clock, self.prefix = clock, prefix
        self.current: _Phase | None = None
        self.last_line = clock()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None
        self.use_thread = thread

    def _start_timer(self) -> None:
        if self.use_thread and (self._thread is None or not self._thread.is_alive()):
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="curate-progress", daemon=True)
            self._thread.start()
            _TIMED.add(self)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(self.prefix + text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not kill the job it reports on
            pass
        self.last_line = self.clock()

    def phase(self, name: str, total: int | None = None, unit: str = "records") -> None:
        with self._lock:
            self.end()
            self.current = _Phase(name, total, unit, self.clock())
            self._start_timer()  # on the first phase (and again after close: a renderer can be reused)
            self._write(f"{name}: started" + (f", {total:,} {unit}" if total is not None else ""))

    def advance(self, n: int = 1) -> None:
        with self._lock:
            if self.current is not None:
                self.current.done += n

    def end(self) -> None:
        with self._lock:
            p, self.current = self.current, None
            if p is None:
                return
            took = self.clock() - p.started
            done = p.done if p.done or p.total is None else p.total  # a phase that never advanced still ended
            rate = f" ({done / took:,.0f}/s)" if done and took > 0 and p.done else ""
            self._write(f"{p.name}: done" + (f", {done:,} {p.unit}" if done else "") + f" in {duration(took)}{rate}")

    def tick(self) -> bool:
        """Write a status line if `interval` seconds have passed since the last line; True when it did."""
        with self._lock:
            now = self.clock()
            if self.current is None or now - self.last_line < self.interval:
                return False
            self._write(self.current.status(now))
            return True

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                wait = self.last_line + self.interval - self.clock()
                if wait <= 0:
                    wait = self.interval if not self.tick() else self.last_line + self.interval - self.clock()
            self._stop.wait(max(wait, 0.01))

    def close(self) -> None:
        self.end()
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self._thread = None

    def abort(self) -> None:
        with self._lock:
            p, self.current = self.current, None
            if p is not None:
                self._write(f"{p.name}: stopped after {duration(self.clock() - p.started)}")
        self.close()


class BarProgress(Progress):
    """One `rich.progress` bar per phase on a terminal: done / total, rate, ETA, elapsed time.

    A finished phase keeps its bar (with its time), so the screen ends as a summary of the run.
    """

    def __init__(self, console):
        from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

        self.bars = RichProgress(
            TextColumn("{task.description:<12}", markup=False),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),  # from the same average rate as the plain lines
            TimeElapsedColumn(),
            console=console, transient=False, redirect_stdout=False, redirect_stderr=False)
        self.task = None
        self.started = False

    def _counts(self, done: int, total: int | None, unit: str) -> str:
        return f"{done:,}/{total:,} {unit}" if total is not None else (f"{done:,} {unit}" if done else "")

    def phase(self, name: str, total: int | None = None, unit: str = "records") -> None:
        self.end()
        if not self.started:
            self.bars.start()
            self.started = True
        self.unit, self.total, self.done = unit, total, 0
        self.t0 = time.monotonic()
        self.task = self.bars.add_task(name, total=total, counts=self._counts(0, total, unit), rate="", eta="")

    def advance(self, n: int = 1) -> None:
        if self.task is None:
            return
        self.done += n
        took = time.monotonic() - self.t0
        rate = self.done / took if took > 0 else 0.0
        eta = f"eta {duration((self.total - self.done) / rate)}" if rate and self.total and self.done < self.total else ""
        self.bars.update(self.task, advance=n, counts=self._counts(self.done, self.total, self.unit),
                         rate=f"{rate:,.0f}/s" if rate else "", eta=eta)

    def end(self) -> None:
        if self.task is None:
            return
        done = self.done if self.done or self.total is None else self.total
        total = self.total if self.total is not None else max(done, 1)
        self.bars.update(self.task, total=total, completed=total, eta="",
                         counts=self._counts(done, self.total, self.unit) if done else "done")
        self.bars.stop_task(self.task)
        self.task = None

    def close(self) -> None:
        self.end()
        if self.started:
            self.bars.stop()
            self.started = False

    def abort(self) -> None:
        if self.task is not None:
            self.bars.update(self.task, counts="stopped")
            self.bars.stop_task(self.task)
            self.task = None
        self.close()


def terminal_progress(console=None) -> Progress:
    """Bars on a terminal, plain lines in a pipe or a log (stderr, where `err_console` writes)."""
    if console is None:
        from curate.cliutil import err_console as console
    if console.is_terminal and not console.is_dumb_terminal:
        return BarProgress(console)
    return LineProgress()  # sys.stderr as it is now (a test's capture, a redirected log)
