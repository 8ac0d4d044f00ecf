"""Wall-clock timing of named phases, for the `seconds`/`timings` blocks of audit.json and eval.json."""

from __future__ import annotations

import contextlib
import time


@contextlib.contextmanager
def timed(seconds: dict, name: str, digits: int = 3):
    """with timed(seconds, "load"): ...  ->  seconds["load"] = the block's wall time, rounded."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = round(time.perf_counter() - t0, digits)
