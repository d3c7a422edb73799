"""The IDVA web page in a real headless Chromium against a real server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import itertools
import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from wja_cli.testing import eventually, free_port, token
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_support.bootstrap import create_app

pytestmark = pytest.mark.integration

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def high(fd: int) -> int:
    """``fd`` moved to a number above 9, so redirecting to fds 3 and 4 cannot clobber it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Chromium:
    """A real headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    the browser reads commands on fd 3 and writes answers on fd 4, each a JSON text ended by NUL).

    It types into the page's forms and presses its buttons as a person would; nothing is
    posted behind the page's back.
    """

    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("chromium")
        assert binary, "chromium is not installed (scripts/test.sh installs Debian's chromium package)"
        to_browser, self._out = (high(fd) for fd in os.pipe())
        self._in, from_browser = (high(fd) for fd in os.pipe())
        flags = " ".join([*CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={tmp / 'profile'}"])
        script = f"exec {binary} {flags} about:blank 3<&{to_browser} 4>&{from_browser}"
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", script],  # bash: dash takes no fd number above 9
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._ids = itertools.count(1)
        self._buffer = b""
        page = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def call(self, method: str, session: str | None = None, **params: object) -> dict:
        ident = next(self._ids)
        message = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._in, 1 << 16)
                assert chunk, "chromium closed the DevTools pipe"
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == ident:
                assert "error" not in answer, answer
                return answer["result"]

    def js(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", self.session, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", self.session, url=url)
        self.settle()

    def settle(self, path: str | None = None) -> None:
        """Wait until the page (at ``path``, when given) has loaded."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.js("document.readyState") == "complete" and (path is None or self.js("location.pathname") == path):
                return
            time.sleep(0.1)
        raise AssertionError(f"the page did not load: {self.js('location.href')}")

    def dom(self) -> str:
        return str(self.js("document.documentElement.outerHTML"))

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", self.session, format="png")["data"])

    def close(self) -> None:
        with contextlib.suppress(OSError, AssertionError):
            self.call("Browser.close")
        self.proc.wait(timeout=30)
        os.close(self._in)
        os.close(self._out)


def browse(port: int, jwt: str, urn: str, tmp: Path) -> dict:
    """Sign in through the form, open the case, tick its first due entry and record the contact."""
    base = f"http://127.0.0.1:{port}"
    seen: dict = {}
    browser = Chromium(tmp)
    try:
        browser.open(f"{base}/ui/")  # not signed in: sent to the form, coming back here afterwards
        seen["signin"] = browser.dom()
        browser.js(f"document.querySelector('textarea[name=token]').value = {json.dumps(jwt)}")
        browser.js("document.querySelector('form[action=\"/ui/signin\"] button').click()")
        browser.settle("/ui/")
        seen["caseload"], seen["shot"] = browser.dom(), browser.screenshot()
        browser.js(f"document.querySelector('a[href=\"/ui/cases/{urn}\"]').click()")
        browser.settle(f"/ui/cases/{urn}")
        seen["case"] = browser.dom()
        seen["ticked"] = browser.js("document.querySelector('input[name=about]').value")
        browser.js("document.querySelector('input[name=about]').checked = true")
        browser.js("[...document.querySelectorAll('button')].find(b => b.textContent === 'Record contact').click()")
        time.sleep(0.5)
        browser.settle(f"/ui/cases/{urn}")
        seen["after"] = browser.dom()
        seen["history"] = browser.call("Page.getNavigationHistory", browser.session)["entries"]
    finally:
        browser.close()
    fresh = Chromium(tmp / "fresh")
    try:
        fresh.open(f"{base}/ui/")
        seen["denied"] = fresh.dom()
    finally:
        fresh.close()
    return seen


async def test_idva_signs_in_with_the_form_sees_caseload_and_timeline_in_a_real_browser(stack, support, tmp_path):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    arrested = example("wja.intake.suspect.arrested.v1", urn=urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC))
    await support.send(new_envelope(arrested))
    await support.timeline(urn, idva, wait_for=lambda b: len(b["entries"]) >= 4)
    app = create_app(support.settings, clock=support.clock)  # the same service, served over real HTTP
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0, result=server.started))
        jwt = token(support.settings.state_dir, "idva", "idva", sub=idva)["Authorization"].split()[1]
        seen = await asyncio.to_thread(browse, port, jwt, urn, tmp_path)
    finally:
        server.should_exit = True
        await task
    assert "Sign in" in seen["signin"] and "csrf_token" in seen["signin"] and urn not in seen["signin"]
    assert "Caseload" in seen["caseload"] and urn in seen["caseload"] and "Next deadline" in seen["caseload"]
    case_dom = seen["case"]
    assert f"Case {urn}" in case_dom and "Crime reported to police" in case_dom
    assert "Record contact" in case_dom and "Harriet" not in case_dom
    assert "told " in seen["after"] and f'value="{seen["ticked"]}"' not in seen["after"]  # recorded: no box left
    assert not any(jwt in entry["url"] for entry in seen["history"])  # the token never was in a URL
    shot = tmp_path / "caseload.png"
    shot.write_bytes(seen["shot"])
    width, height, pixels = png_pixels(shot)
    assert width == 1280 and height > 600
    assert len(set(pixels[: width * 4 * 120])) > 8, "the page rendered blank"
    assert "Sign in" in seen["denied"] and urn not in seen["denied"]
