"""Progress renderers: plain lines in a log (a line per phase start/end, a status line every interval,
from a timer thread when the phase never advances), one rich bar per phase on a terminal."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from curate.progress import (BarProgress, LineProgress, NullProgress, Progress, as_progress, duration,
                             interval_from_env, terminal_progress)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def lines(buf: io.StringIO) -> list[str]:
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (44.6, "45s"), (214, "3m34s"), (3600 + 125, "1h02m")],
                         ids=["zero", "seconds", "minutes", "hours"])
def test_duration(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize("env, expected", [(None, 10.0), ("0.25", 0.25), ("soon", 10.0), ("0", 10.0), ("-3", 10.0)],
                         ids=["default 10 s", "a fraction", "not a number", "zero", "negative"])
def test_interval_from_env(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv("CURATE_PROGRESS_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("CURATE_PROGRESS_INTERVAL", env)
    assert interval_from_env() == expected


def test_a_status_line_comes_when_the_interval_has_passed_and_not_before():
    buf, clock = io.StringIO(), Clock()
    p = LineProgress(buf, interval=10, clock=clock, thread=False)
    p.phase("pii", total=100_000)
    assert lines(buf) == ["[curate] pii: started, 100,000 records"]
    clock.now += 9.9
    p.advance(4_059)
    assert not p.tick(), "9.9 s after the last line: nothing yet"
    clock.now += 0.1
    p.advance(41)
    assert p.tick()
    assert lines(buf)[-1] == "[curate] pii: 4,100/100,000 records, 410/s, eta 3m54s, 10s elapsed"
    clock.now += 5
    assert not p.tick(), "the interval counts from the last line"
    clock.now += 5
    assert p.tick()
    p.advance(95_900)
    clock.now += 1
    p.end()
    assert lines(buf)[-1] == "[curate] pii: done, 100,000 records in 21s (4,762/s)"
    assert len(lines(buf)) == 4


@pytest.mark.parametrize("total, done, expected", [
    (None, 0, "[curate] embed: running, 10s elapsed"),
    (None, 500, "[curate] embed: 500 records, 50/s, 10s elapsed"),
    (2_000, 0, "[curate] embed: 0/2,000 records, 10s elapsed"),
    (2_000, 15, "[curate] embed: 15/2,000 records, 1.5/s, eta 22m03s, 10s elapsed"),
], ids=["unknown size, no advance", "unknown size", "known size, no advance yet", "slow: rate with a decimal"])
def test_status_line_says_what_is_known(total, done, expected):
    buf, clock = io.StringIO(), Clock()
    p = LineProgress(buf, interval=10, clock=clock, thread=False)
    p.phase("embed", total=total)
    p.advance(done)
    clock.now += 10
    p.tick()
    assert lines(buf)[-1] == expected


def test_a_phase_that_never_advanced_ends_with_its_total():
    buf, clock = io.StringIO(), Clock()
    p = LineProgress(buf, interval=10, clock=clock, thread=False)
    p.phase("dedup", total=2_000)
    clock.now += 3
    p.phase("checks")  # a new phase ends the previous one
    p.close()
    assert lines(buf) == ["[curate] dedup: started, 2,000 records", "[curate] dedup: done, 2,000 records in 3s",
                          "[curate] checks: started", "[curate] checks: done in 0s"]


def test_an_error_stops_the_phase_without_calling_it_done():
    buf, clock = io.StringIO(), Clock()
    with pytest.raises(KeyError):
        with LineProgress(buf, interval=10, clock=clock, thread=False) as p:
            p.phase("pii", total=10)
            clock.now += 4
            raise KeyError("boom")
    assert lines(buf)[-1] == "[curate] pii: stopped after 4s"
    assert not any("done" in x for x in lines(buf))


def test_the_timer_thread_writes_while_a_phase_does_not_advance():
    buf = io.StringIO()
    p = LineProgress(buf, interval=0.02)
    p.phase("slow")
    deadline = time.monotonic() + 60  # waits for the lines, not for a fixed time: a busy machine only slows it
    while buf.getvalue().count("slow: running") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    p.close()
    assert buf.getvalue().count("slow: running") >= 3
    after = buf.getvalue()
    time.sleep(0.1)
    assert buf.getvalue() == after, "close() stops the thread"
    assert lines(buf)[-1].startswith("[curate] slow: done")


def test_the_older_message_api_names_a_phase():
    buf = io.StringIO()
    p = LineProgress(buf, interval=10, thread=False)
    p("stage dedup")  # what run_audit said before stages reported sizes
    p.close()
    assert lines(buf)[0] == "[curate] dedup: started"
    assert isinstance(as_progress(p), LineProgress) and isinstance(as_progress(None), NullProgress)


def test_bars_on_a_terminal_show_counts_of_each_phase():
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=True, width=120, color_system=None)
    p = terminal_progress(con)
    assert isinstance(p, BarProgress)
    p.phase("dedup", total=2_000)
    p.advance(2_000)
    p.phase("pii", total=2_000)
    p.advance(512)
    p.close()
    screen = buf.getvalue()
    assert "dedup" in screen and "2,000/2,000 records" in screen
    assert "pii" in screen and "512/2,000 records" in screen


def test_a_pipe_gets_lines_and_a_dumb_terminal_too(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert isinstance(terminal_progress(Console(file=io.StringIO())), LineProgress)
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(terminal_progress(Console(file=io.StringIO(), force_terminal=True)), LineProgress)


def test_every_progress_keeps_the_four_methods():
    for cls in (Progress, NullProgress, LineProgress, BarProgress):
        for name in ("phase", "advance", "end", "close"):
            assert callable(getattr(cls, name))


class _SlowStream(io.StringIO):
    """A stream whose write takes a while, as a pipe that is full does."""

    writing = False

    def write(self, text):
        self.writing = True
        time.sleep(0.3)
        n = super().write(text)
        self.writing = False
        return n


def test_a_fork_waits_until_the_timer_thread_is_not_mid_write():
    """A worker forked while the timer thread held the stream would inherit its lock taken and hang."""
    import os

    stream = _SlowStream()
    p = LineProgress(stream, interval=0.01)
    p.phase("pii", total=10)
    deadline = time.monotonic() + 10
    while not stream.writing and time.monotonic() < deadline:
        time.sleep(0.001)
    assert stream.writing  # the timer thread is inside write() now
    pid = os.fork()
    if pid == 0:
        os._exit(1 if stream.writing else 0)
    _, status = os.waitpid(pid, 0)
    p.close()
    assert os.waitstatus_to_exitcode(status) == 0
