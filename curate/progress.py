"""What a long job tells whoever watches it: the phase it is in, and how much of the phase is done.

The audit (and any command that runs stages) takes a `Progress` and calls

    progress.phase("pii", total=len(dataset), unit="records")   # a new phase starts
    progress.advance(512)                                         # 512 more units of it done
    progress.end()                                                # the phase is over

The engine calls `advance` per batch, so a watcher can show records done, rate and ETA. The
terminal renderers live in `curate/cliutil.py`; library callers get `NullProgress`, and a plain
callable taking a message (the older API) still works through `as_progress`.
"""

from __future__ import annotations

from typing import Callable


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
