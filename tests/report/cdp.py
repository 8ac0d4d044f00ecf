"""Drive headless Chromium over the DevTools protocol on a pipe: no extra package, no port, no network.

`--remote-debugging-pipe` makes Chromium read protocol messages (JSON, each ended by a NUL byte)
on file descriptor 3 and write its answers and events on descriptor 4. That is enough to load a
page at a given width, evaluate JavaScript in it (click, type, measure), collect console errors
and take screenshots, which `--dump-dom` alone cannot.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from browser import FLAGS, chromium


class Page:
    def __init__(self, width: int = 1400, height: int = 900):
        exe = chromium()  # skips the test with a reason when Chromium is absent
        self.profile = tempfile.TemporaryDirectory()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():  # Chromium's end: it reads on 3 and writes on 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        flags = [f for f in FLAGS if not f.startswith(("--enable-logging", "--v="))]
        self.proc = subprocess.Popen([exe, *flags, "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
                                      f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"],
                                     pass_fds=(3, 4, to_chrome_r, from_chrome_w), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf, self._id, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.width = width

    # ---- protocol --------------------------------------------------------------------------------
    def _read(self, timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            if time.monotonic() > end:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: bool = False, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def _wait_event(self, method: str, timeout: float = 120) -> dict:
        seen = next((e for e in self.events if e.get("method") == method), None)
        end = time.monotonic() + timeout
        while seen is None:
            m = self._read(max(end - time.monotonic(), 0.1))
            self.events.append(m)
            if m.get("method") == method:
                seen = m
        self.events.remove(seen)
        return seen

    # ---- what tests use --------------------------------------------------------------------------
    def open(self, path: Path) -> None:
        self.call("Page.navigate", session=True, url=Path(path).resolve().as_uri())
        self._wait_event("Page.loadEventFired")

    def js(self, expression: str):
        r = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("exception", {}).get("description")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def screenshot(self, path: Path, selector: str | None = None, max_height: int = 2400) -> None:
        """PNG of the top of the page (max_height px), or of the element `selector` scrolled into view."""
        if selector:
            box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});e.scrollIntoView();"
                          "var r=e.getBoundingClientRect();return [r.x+scrollX,r.y+scrollY,r.width,r.height];})()")
            clip = {"x": box[0], "y": box[1], "width": box[2], "height": min(box[3], max_height), "scale": 1}
        else:
            clip = {"x": 0, "y": 0, "width": self.width, "height": min(self.js("document.documentElement.scrollHeight"),
                                                                       max_height), "scale": 1}
        r = self.call("Page.captureScreenshot", session=True, format="png", clip=clip, captureBeyondViewport=True)
        Path(path).write_bytes(base64.b64decode(r["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
