"""The IDVA web page in a real headless Chromium against a real server."""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import uvicorn
from wja_cli.testing import eventually, free_port, token
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


async def chromium(url: str, *args: str, tmp: Path) -> str:
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed (scripts/test.sh installs Debian's chromium package)"
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, url]
    done = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True, timeout=90, check=False)
    return done.stdout


async def test_idva_signs_in_sees_caseload_and_timeline_in_a_real_browser(stack, support, tmp_path):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    await support.timeline(urn, idva, wait_for=lambda b: len(b["entries"]) >= 3)
    app = create_app(support.settings, clock=support.clock)  # the same service, served over real HTTP
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0, result=server.started))
        jwt = token(support.settings.state_dir, "idva", "idva", sub=idva)["Authorization"].split()[1]
        signin = f"http://127.0.0.1:{port}/ui/signin?token={jwt}"
        dom = await chromium(signin, "--dump-dom", tmp=tmp_path)
        assert "Caseload" in dom and urn in dom and "Next deadline" in dom
        page = f"http://127.0.0.1:{port}/ui/signin?token={jwt}&next=/ui/cases/{urn}"
        case_dom = await chromium(page, "--dump-dom", tmp=tmp_path)
        assert f"Case {urn}" in case_dom and "Crime reported to police" in case_dom
        assert "Record contact" in case_dom and "Harriet" not in case_dom
        shot = tmp_path / "caseload.png"
        await chromium(signin, f"--screenshot={shot}", tmp=tmp_path)
        width, height, pixels = png_pixels(shot)
        assert (width, height) == (1280, 900)
        assert len(set(pixels[: width * 4 * 120])) > 8, "the page rendered blank"
        denied = await chromium(f"http://127.0.0.1:{port}/ui/", "--dump-dom", tmp=tmp_path / "fresh")
        assert "Sign in" in denied and urn not in denied
    finally:
        server.should_exit = True
        await task
