"""The IDVA workspace in a real headless Chromium (Playwright driving Debian's chromium) against a real server.

Clicks through sign in, caseload, a case, record a contact, request special measures, show contact
details, sign out; runs axe-core over every page (no serious or critical violation); checks the
keyboard path, the 375 px card layout, and that every screenshot shows something.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright
from wja_cli.testing import eventually, free_port, token
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import CONTACT

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"  # Debian's: browser downloads are blocked here
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Axe()


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


async def looks_right(page: Page, name: str, tmp: Path) -> None:
    """No serious or critical axe-core violation, and a screenshot that is not blank."""
    results = await AXE.run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"
    shot = tmp / f"{name}.png"
    await page.screenshot(path=str(shot))
    width, height, pixels = png_pixels(shot)
    viewport = page.viewport_size
    assert (width, height) == (viewport["width"], viewport["height"])
    assert len(set(pixels[: width * 4 * 120])) > 8, f"{name} rendered blank"


@pytest.fixture
async def served(support) -> AsyncIterator[str]:
    """The support service under test (already started), also served over real HTTP for the browser."""
    port = free_port()
    config = uvicorn.Config(support.app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0, result=server.started))
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def browser():
    """One Chromium for the module (each test opens its own context: its own cookies)."""
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def entries_arrived(support, urn: str, n: int) -> None:
    """Wait (generously: the browser tests share a busy machine) until the projection holds ``n`` entries."""

    async def arrived():
        return await support.pool.fetchval("SELECT count(*) FROM entries WHERE urn = $1", urn) >= n

    await eventually(arrived, timeout=90)


async def a_case(support, *, contact: bool = False) -> tuple[str, str]:
    if contact:
        await support.intake.start()
    urn = support.urn()
    idva = (await support.referred(urn))["idva"]
    arrest = example("wja.intake.suspect.arrested.v1", urn=urn, arrested_at="2026-09-10T09:00:00Z")
    await support.send(new_envelope(arrest))
    await entries_arrived(support, urn, 4)
    if contact:

        async def fetched():
            return await support.pool.fetchval("SELECT contact_status FROM cases WHERE urn = $1", urn) == "fetched"

        await eventually(fetched, timeout=90)
    return urn, idva


def jwt(support, sub: str, role: str = "idva", **claims) -> str:
    return token(support.settings.state_dir, "idva", role, sub=sub, **claims)["Authorization"].split()[1]


async def test_an_idva_works_a_case_in_a_real_browser(support, served, browser, tmp_path):
    urn, idva = await a_case(support, contact=True)
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()

    await page.goto(f"{served}/ui/")
    assert page.url == f"{served}/ui/signin"
    await looks_right(page, "signin", tmp_path)
    await page.get_by_label("Your access token").fill(jwt(support, idva))
    await page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{served}/ui/"
    assert "token" not in page.url
    body = await page.content()
    assert "Your caseload" in body and urn in body and "Next deadline" in body and "Overdue (1)" in body
    await looks_right(page, "caseload", tmp_path)

    await page.get_by_role("link", name=urn).click()
    assert (await page.get_by_role("heading", level=1).inner_text()).startswith(f"Case {urn}")
    body = await page.content()
    assert "Crime reported to police" in body and "Record contact" in body and CONTACT["name"] not in body
    assert "Not told: overdue" in body
    await looks_right(page, "case", tmp_path)

    await page.locator('input[name="about"]').first.check()
    await page.get_by_label("Told by").select_option("idva")
    await page.get_by_label("How").select_option("phone")
    await page.get_by_role("button", name="Record contact").click()
    assert await page.get_by_role("status").inner_text() == "The contact was recorded."
    assert "by IDVA (phone)" in await page.content()
    await looks_right(page, "case-after-contact", tmp_path)

    await page.get_by_label("Screens").check()
    await page.get_by_label("Live link").check()
    await page.get_by_role("button", name="Request special measures").click()
    assert await page.get_by_role("status").inner_text() == "Special measures were requested from the court."
    requested = await support.pool.fetchval(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = 'wja.support.special_measures.requested.v1'", urn
    )
    assert b'"screens"' in requested and b'"live_link"' in requested

    await page.get_by_role("button", name="Close support").click()  # the browser insists on a reason first
    assert "?done=closed" not in page.url

    await page.get_by_label("Why do you need them?").select_option("safety_planning")
    async with page.expect_navigation() as shown:
        await page.get_by_role("button", name="Show contact details").click()
    response = await shown.value
    assert response.headers["cache-control"] == "no-store"
    body = await page.content()
    assert CONTACT["name"] in body and CONTACT["phone"] in body and "This read was recorded" in body
    assert CONTACT["name"] not in page.url and CONTACT["phone"] not in page.url
    await looks_right(page, "contact-details", tmp_path)

    await page.get_by_role("link", name=f"Back to case {urn}").click()
    assert CONTACT["name"] not in await page.content()
    await page.get_by_role("button", name="Sign out").click()
    assert page.url == f"{served}/ui/signin"
    await page.goto(f"{served}/ui/")
    body = await page.content()
    assert page.url == f"{served}/ui/signin" and "Sign in" in body and urn not in body


async def test_the_workspace_works_by_keyboard_alone(support, served, browser, tmp_path):
    urn, idva = await a_case(support)
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(f"{served}/ui/signin")

    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to main content"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is not visible"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Whole Justice · IDVA workspace"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "token"
    await page.keyboard.type(jwt(support, idva))
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{served}/ui/")

    for _ in range(40):  # Tab to the case's link, then follow it
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.textContent") == urn:
            break
    else:
        pytest.fail("the case link cannot be reached by keyboard")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{served}/ui/cases/{urn}")

    await page.locator("#measure-screens").focus()
    await page.keyboard.press("Space")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.textContent") == "Request special measures":
            break
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{served}/ui/cases/{urn}?done=measures")
    await looks_right(page, "case-by-keyboard", tmp_path)


async def test_problem_pages_manager_view_and_phone_width_are_accessible(support, served, browser, tmp_path):
    urn, idva = await a_case(support)
    other = "idva-b" if idva == "idva-a" else "idva-a"
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    host = served.removeprefix("http://").split(":")[0]
    await context.add_cookies([{"name": "wja_token", "value": jwt(support, other), "domain": host, "path": "/"}])
    page = await context.new_page()
    denied = await page.goto(f"{served}/ui/cases/{urn}")
    assert denied.status == 403
    assert await page.get_by_role("heading", level=1).inner_text() == "You are not assigned to this case"
    await looks_right(page, "forbidden", tmp_path)
    await page.get_by_role("link", name="Back to your caseload").click()
    assert page.url == f"{served}/ui/"

    manager = jwt(support, "mgr", role="manager", team="north")
    await context.add_cookies([{"name": "wja_token", "value": manager, "domain": host, "path": "/"}])
    await page.goto(f"{served}/ui/")
    assert "Your team's caseload" in await page.content()
    await page.get_by_label(f"IDVA for {urn}").select_option(other)
    await page.get_by_role("row").filter(has_text=urn).get_by_role("button", name="Reassign").click()
    assert await page.get_by_role("status").inner_text() == "The case was assigned."
    assert await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", urn) == other
    await looks_right(page, "manager-caseload", tmp_path)
    missing = await page.goto(f"{served}/ui/cases/{support.force}SP0000126")
    assert missing.status == 404
    await looks_right(page, "not-found", tmp_path)

    await page.set_viewport_size({"width": 375, "height": 812})
    await page.goto(f"{served}/ui/")
    assert await page.evaluate("getComputedStyle(document.querySelector('table.caseload tr')).display") == "block"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375, "the caseload scrolls sideways"
    await looks_right(page, "caseload-375", tmp_path)
