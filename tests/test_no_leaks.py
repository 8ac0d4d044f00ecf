"""Nothing leaked, nothing sent: a whole `curate audit` and `curate clean` with every network call
failing, and not one planted e-mail, phone, card, key or password (in texts, record ids, labels and
the file name) in anything curate writes: audit.json, report.html, report.md, signals.parquet (read
column by column), changes.jsonl, manifest.json, the stage cache, and the terminal output.
Only quarantine.jsonl (removed records, as they were), the cleaned data itself and an explicit
--keep-pii-mapping file may hold them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from curate.cli import main
from leak_scan import leaks, scan_tree

EMAIL_FILE = "carol.king@kingmail.net"
EMAIL_ID = "jane.doe@doeshop.org"
EMAIL_LABEL = "dave.lee@leeworks.com"
EMAIL_TEXT = "mark.hughes@hughesco.com"
PHONE = "+1 415-555-0142"
PHONE_ID = "628-555-0199"
CARD = "4111 1111 1111 1111"
KEY = "sk-proj-Xq7vB2mN9pL4kR8sT1wY6zA3cD5fG0hJ"
PASSWORD = "Tr0ub4dor&3x"
PLANTED = [EMAIL_FILE, EMAIL_ID, EMAIL_LABEL, EMAIL_TEXT, PHONE, PHONE_ID, CARD, KEY, PASSWORD]

TOPICS = ["reset my router", "change my billing address", "close my account", "update my plan", "find my invoice",
          "report a lost card", "change the delivery date", "cancel an order", "book a repair visit", "switch tariff"]


def plant(folder: Path) -> tuple[Path, Path]:
    """An instruction file and a classification file, PII in texts, ids, labels and both file names."""
    rows = [{"id": f"rec-{i}", "instruction": f"How do I {t}?", "input": "",
             "output": f"To {t}, open the app, go to Settings and follow the steps for '{t}'."} for i, t in enumerate(TOPICS)]
    rows[0]["id"] = f"user-{EMAIL_ID}"
    rows[1]["id"] = f"caller-{PHONE_ID}"
    rows[2]["output"] = f"Sure, write to {EMAIL_TEXT} or call {PHONE}; the card on file is {CARD}."
    # the key sits where 220-character excerpts and 160-character evidence cut a record
    rows[3]["instruction"] = "x " * 100 + f"my token is {KEY} please rotate it"
    rows[3]["output"] = f"Your password: {PASSWORD} was reset; never share the key {KEY}."
    rows[4]["output"] = f"<img src=x onerror=alert(1)> `{EMAIL_TEXT}` ![](https://evil.example/t.png)"
    rows.append({**rows[6], "id": f"dup-{EMAIL_ID}"})  # an exact duplicate: evidence names both ids
    data = folder / f"export_{EMAIL_FILE}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = ["billing", "billing", f"owner: {EMAIL_LABEL}", "tech", "tech", "tech", f"owner: {EMAIL_LABEL}"]
    cls = [{"id": f"c-{i}", "text": f"message {i} about {lab.split(':')[0]} and a few more words", "label": lab}
           for i, lab in enumerate(labels)]
    cls[0]["text"] = f"please call me on {PHONE} about my card {CARD}"
    labelled = folder / f"labels_{EMAIL_FILE}.csv"
    with labelled.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "label"])
        w.writeheader()
        w.writerows(cls)
    return data, labelled


@pytest.fixture
def offline(monkeypatch):
    """Every DNS lookup and internet connection fails, and is recorded."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def refuse(what):
        def f(*a, **k):
            attempts.append(f"{what}{a[:2]}")
            raise OSError(f"network is blocked in this test ({what})")
        return f

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            return refuse("connect")(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, a: refuse("connect_ex")(a))
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


def test_audit_and_clean_write_no_planted_pii_and_touch_no_network(tmp_path, offline, capfd):
    data, labelled = plant(tmp_path)
    out = tmp_path / "out"
    assert main(["audit", str(data), "--out", str(out / "audit")]) == 1
    assert main(["audit", str(labelled), "--out", str(out / "audit_cls")]) == 1
    assert main(["clean", str(data), "--out", str(out / "clean"), "--pii-mode", "pseudonymize",
                 "--keep-pii-mapping", str(tmp_path / "mapping.json")]) == 0
    assert main(["clean", str(labelled), "--out", str(out / "clean_cls")]) == 0
    logs = capfd.readouterr()
    assert offline == [], f"network attempted: {offline}"

    kept_data = {json.loads((out / d / "manifest.json").read_text())["output"] for d in ("clean", "clean_cls")}
    written = scan_tree(out, PLANTED, skip=("quarantine.jsonl", *kept_data))
    written += scan_tree(Path(os.environ["CURATE_CACHE_DIR"]), PLANTED)
    written += leaks(PLANTED, [("stdout", logs.out), ("stderr", logs.err)])
    written += leaks(PLANTED, [("file names", "\n".join(str(p.relative_to(out)) for p in out.rglob("*")))])
    assert not written, "raw PII written:\n" + "\n".join(written)

    # the findings are still there, and the ids still tell the records apart
    doc = json.loads((out / "audit" / "audit.json").read_text())
    rules = {r["rule"]: r for r in doc["rules"]}
    # contact details in answers (row 2) and a key and password (row 3, the secrets rule); row 4's
    # e-mail is in backticks, inline code, which is not personal data, and is row 2's value anyway
    blocked = set(rules["require_no_pii_in_answers"]["flagged_ids"]) | set(rules["secrets_and_financial_ids"]["flagged_ids"])
    assert len(blocked) == 2
    import pyarrow.parquet as pq

    sig_ids = pq.read_table(out / "audit" / "signals.parquet").column("id").to_pylist()
    assert len(set(sig_ids)) == len(sig_ids) == 11  # numbered placeholders keep ids apart
    assert sig_ids[0].startswith("<EMAIL_ADDRESS_") and sig_ids[1].startswith("caller-<PHONE_NUMBER_")
    assert doc["dataset"]["path"].endswith(".jsonl") and "<EMAIL_ADDRESS_" in doc["dataset"]["path"]
    # the places allowed to hold PII do: the removed duplicate as it was, the mapping asked for
    assert f"dup-{EMAIL_ID}" in (out / "clean" / "quarantine.jsonl").read_text()
    assert EMAIL_TEXT in (tmp_path / "mapping.json").read_text()


def test_report_md_renders_no_live_markup_from_data(tmp_path):
    """A backtick in an id must not open a way out into <img onerror> or an image link in a PR comment."""
    from markdown_it import MarkdownIt

    data, _ = plant(tmp_path)
    rows = [json.loads(x) for x in data.read_text().splitlines()]
    rows[-1]["id"] = "evil`<img src=x onerror=alert(1)>`![](https://evil.example/p.png)"  # the flagged duplicate
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: max_exact_duplicate_rate, severity: error, params: {max_rate: 0.0}}\n")
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o")]) == 1
    text = (tmp_path / "o" / "report.md").read_text()
    assert "evil" in text  # the record is listed
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "<img" not in html and "<a " not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")


# ---- onnxruntime telemetry ---------------------------------------------------------------------

ORT_SESSION = """
import sys
import curate  # what every curate entry point imports first
import numpy as np
import onnx
from onnx import TensorProto, helper
import onnxruntime as ort

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
print(s.run(None, {"x": np.ones(1, dtype=np.float32)})[0])
"""


def _ort_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    # CI variables make onnxruntime suppress telemetry by itself, which would hide the bug
    for k in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TF_BUILD", "JENKINS_URL", "BUILD_BUILDID"):
        env.pop(k, None)
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    return env


def test_onnxruntime_telemetry_is_off_once_curate_is_imported(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    r = subprocess.run([sys.executable, "-c", ORT_SESSION], env=_ort_env(tmp_path), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    # onnxruntime's telemetry writes a device id and an event queue here before it sends anything
    assert not (tmp_path / ".cache" / "Microsoft").exists(), sorted(str(p) for p in (tmp_path / ".cache").rglob("*"))


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (apt-get install strace) to watch system calls")
def test_a_whole_audit_opens_no_internet_socket_under_strace(tmp_path):
    """Below Python: strace sees every connect() of the process and its children, DNS included."""
    data, _ = plant(tmp_path)
    rules = tmp_path / "net.yaml"  # the stages that load presidio/tldextract and onnxruntime (the default model)
    rules.write_text("rules:\n  - {check: require_no_pii_in_answers, severity: error}\n"
                     "  - {check: max_semantic_duplicate_rate, severity: warn}\n")
    trace = tmp_path / "trace"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), sys.executable,
                        "-m", "curate", "audit", str(data), "--rules", str(rules), "--out", str(tmp_path / "o")],
                       env=_ort_env(tmp_path), capture_output=True, text=True, timeout=600)
    if "PTRACE_TRACEME" in r.stderr or "Operation not permitted" in r.stderr:
        pytest.skip(f"strace cannot trace here: {r.stderr.strip()[:200]}")
    assert r.returncode == 1, r.stderr[-2000:]
    calls = [ln for ln in trace.read_text().splitlines() if "AF_INET" in ln or "htons(53)" in ln]
    assert calls == [], "\n".join(calls[:10])
    assert not (tmp_path / ".cache" / "Microsoft").exists()
