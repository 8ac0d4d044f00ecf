"""Open a page in headless Chromium: rendered DOM, console messages and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# Flags from the machine notes: without the background-networking ones Chromium tries to reach
# Google's hosts at start, which this (and any offline CI) machine refuses.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0"]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        pytest.skip("headless Chromium is not installed (./setup.sh --test installs it with apt)")
    return exe


def render(page: Path, screenshot: Path | None = None, width: int = 1200, height: int = 1600) -> tuple[str, list[str]]:
    """(DOM after scripts ran, console lines) for `page`; optionally a PNG screenshot."""
    exe = chromium()
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                           capture_output=True, text=True, timeout=120)
        console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
        if screenshot is not None:
            subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={screenshot}",
                            f"--window-size={width},{height}", "--hide-scrollbars", url],
                           capture_output=True, text=True, timeout=120)
    return r.stdout, console
