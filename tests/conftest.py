"""Shared fixtures: no network, a private signal cache, paths to sample and shared data."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SHARED = ROOT.parent / "shared" / "data"

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open an internet connection fails the test that made it."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"test tried to open a network connection to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection",
                        lambda address, *a, **k: (_ for _ in ()).throw(AssertionError(f"network: {address}")))


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "curate-cache"))


def shared_file(rel: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    p = SHARED / rel
    if not p.exists():
        pytest.skip(f"needs ../shared/data/{rel}, which is not on this machine")
    return p


def sample_file(name: str) -> Path:
    p = SAMPLE / name
    if not p.exists():
        pytest.fail(f"sample_data/{name} is missing: run `python sample_data/generate.py`")
    return p


def pytest_terminal_summary(terminalreporter):
    """What the machine had, at the end of the output where a CI log's tail shows it: a run that failed
    or crawled on another machine can then be told apart from one that ran out of cores, memory or disk."""
    import shutil

    from curate.engine.parallel import _cgroup_cpu_quota, cpu_count

    free_disk = shutil.disk_usage(os.environ.get("TMPDIR", "/tmp")).free / 2**30
    try:
        avail = next(int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemAvailable")) / 2**20
    except (OSError, StopIteration):
        avail = float("nan")
    terminalreporter.write_line(
        f"machine: {cpu_count()} usable cores (os.cpu_count {os.cpu_count()}, cgroup quota {_cgroup_cpu_quota()}), "
        f"{avail:.1f} GiB memory available, {free_disk:.1f} GiB free disk for temporary files")
