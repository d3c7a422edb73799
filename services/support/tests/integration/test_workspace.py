"""The IDVA workspace's pages and forms over HTTP, against the real service, PostgreSQL and broker."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import asyncpg
import pytest
from wja_cli.testing import eventually, free_port, token
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_support.service_layer import handlers

from .conftest import CONTACT

pytestmark = pytest.mark.integration

OVERDUE = datetime(2026, 9, 10, 9, tzinfo=UTC)  # Thursday: tell by Friday 11th, so overdue on Monday 14th
DUE_TODAY = datetime(2026, 9, 11, 9, tzinfo=UTC)  # Friday: tell by Monday 14th (NOW's London date)


def cookie(support, role: str = "idva", sub: str = "idva-a", agency: str = "idva", **claims) -> dict[str, str]:
    jwt = token(support.settings.state_dir, agency, role, sub=sub, **claims)["Authorization"].split()[1]
    return {"Cookie": f"wja_token={jwt}"}


async def case_for(support, arrested_at: datetime | None = None) -> tuple[str, str]:
    """A referred case (with an arrest the victim must be told about, when given); returns URN and its IDVA."""
    urn = support.urn()
    case = await support.referred(urn)
    n = 3
    if arrested_at:
        await support.send(new_envelope(example("wja.intake.suspect.arrested.v1", urn=urn, arrested_at=arrested_at)))
        n = 4

    async def arrived():
        return await support.pool.fetchval("SELECT count(*) FROM entries WHERE urn = $1", urn) >= n

    await eventually(arrived, timeout=90)  # generous: the machine is shared
    return urn, case["idva"]


async def post(support, url: str, data: dict | None = None, headers: dict[str, str] | None = None):
    """Submit a form as the page does: with the CSRF token the session's pages carry."""
    page = (await support.client.get("/ui/", headers=headers)).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return await support.client.post(url, data={**(data or {}), "csrf_token": csrf}, headers=headers)


def count(page: str, what: str) -> int:
    found = re.search(rf'<span class="count">(\d+)</span> {what}', page)
    assert found, f"no {what} count"
    return int(found.group(1))


async def outbox_types(support, urn: str) -> list[str]:
    rows = await support.pool.fetch("SELECT ce_type FROM outbox WHERE urn = $1 ORDER BY id", urn)
    return [r["ce_type"] for r in rows]


async def test_a_manager_sees_the_team_most_urgent_first_with_counts_filters_and_assigns(support):
    calm, _ = await case_for(support)
    today, _ = await case_for(support, DUE_TODAY)
    late, _ = await case_for(support, OVERDUE)
    manager = cookie(support, role="manager", sub="mgr", team="north")

    mine = f"/ui/?force={support.force}"  # the broker is shared: other tests' cases reach this team too
    page = (await support.client.get(mine, headers=manager)).text
    assert page.index(late) < page.index(today) < page.index(calm)
    assert (count(page, "overdue"), count(page, "due today")) == (1, 1)
    assert count(page, "new referrals") >= 3  # ours; another test's case may share this random force
    assert "Overdue (1)" in page and "Due today" in page and "Reassign" in page

    only_late = (await support.client.get(f"{mine}&overdue=1", headers=manager)).text
    assert late in only_late and today not in only_late and calm not in only_late
    other_force = (await support.client.get("/ui/?force=00&stage=charging", headers=manager)).text
    assert late not in other_force and "No case matches these filters" in other_force

    current = await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", calm)
    other = "idva-b" if current == "idva-a" else "idva-a"
    moved = await post(support, f"/ui/cases/{calm}/assignment", data={"idva": other}, headers=manager)
    assert moved.status_code == 303 and moved.headers["location"] == "/ui/?done=assigned"
    assert await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", calm) == other

    stranger = await post(support, f"/ui/cases/{calm}/assignment", data={"idva": "nobody"}, headers=manager)
    assert stranger.status_code == 422 and "not an IDVA on the roster" in stranger.text
    assert 'role="alert"' in stranger.text


async def test_the_assigned_idva_acts_on_a_case_through_the_page_with_the_apis_rules(support):
    urn, idva = await case_for(support, OVERDUE)
    me = cookie(support, sub=idva)
    page = (await support.client.get(f"/ui/cases/{urn}", headers=me)).text
    assert f"Case {urn}" in page and "Suspect arrested" in page and "Not told: overdue" in page
    entry = re.search(r'name="about" value="([^"]+)"', page).group(1)

    nothing = await post(support, f"/ui/cases/{urn}/contacts", data={"channel": "phone"}, headers=me)
    assert nothing.status_code == 422 and "about" in nothing.text and "Please check the form" in nothing.text

    form = {"about": entry, "told_by": "police", "channel": "in_person", "at": "2026-09-14T10:30"}
    told = await post(support, f"/ui/cases/{urn}/contacts", data=form, headers=me)
    assert told.status_code == 303 and told.headers["location"] == f"/ui/cases/{urn}?done=contact"
    row = await support.pool.fetchrow("SELECT told_at, told_by, channel FROM entries WHERE id = $1", entry)
    assert (row["told_at"], row["told_by"], row["channel"]) == (
        datetime(2026, 9, 14, 9, 30, tzinfo=UTC),  # 10:30 London (BST)
        "police",
        "in_person",
    )
    shown = (await support.client.get(told.headers["location"], headers=me)).text
    assert "The contact was recorded." in shown and "by POLICE (in person)" in shown

    again = await post(support, f"/ui/cases/{urn}/contacts", data=form, headers=me)
    assert again.status_code == 409 and "already told" in again.text and f"Case {urn}" in again.text

    none_chosen = await post(support, f"/ui/cases/{urn}/special-measures", data={}, headers=me)
    assert none_chosen.status_code == 422 and "measures" in none_chosen.text
    for path, data, done in [
        ("special-measures", {"measures": ["screens", "live_link"]}, "measures"),
        ("familiarisation", {}, "visit"),
        ("wishes", {"restraining_order_sought": "yes", "conditions_sought": ["no_contact_victim"]}, "wishes"),
        ("personal-statement", {"will_read_in_court": "no"}, "statement"),
        ("closure", {"reason": "victim_choice"}, "closed"),
    ]:
        r = await post(support, f"/ui/cases/{urn}/{path}", data=data, headers=me)
        assert (r.status_code, r.headers["location"]) == (303, f"/ui/cases/{urn}?done={done}"), path
    assert await outbox_types(support, urn) == [
        "wja.support.idva.assigned.v1",
        "wja.support.victim.informed.v1",
        "wja.support.special_measures.requested.v1",
        "wja.support.familiarisation.requested.v1",
        "wja.support.wishes.recorded.v1",
        "wja.support.personal_statement.recorded.v1",
        "wja.support.support.closed.v1",
    ]
    closed = (await support.client.get(f"/ui/cases/{urn}", headers=me)).text
    assert "Support on this case is closed." in closed
    twice = await post(support, f"/ui/cases/{urn}/closure", data={"reason": "other"}, headers=me)
    assert twice.status_code == 409 and "already closed" in twice.text


async def test_refusals_are_pages_that_say_why_and_offer_a_way_back(support):
    urn, idva = await case_for(support, OVERDUE)
    other = "idva-b" if idva == "idva-a" else "idva-a"
    for path in ("/ui/", f"/ui/cases/{urn}"):
        r = await support.client.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/ui/signin"), path
    unsigned = await support.client.post(f"/ui/cases/{urn}/contacts", headers={"accept": "text/html"})
    assert unsigned.status_code == 403 and "Form refused" in unsigned.text  # no session, no CSRF token
    forged = {"Cookie": "wja_token=not-a-token"}
    assert (await support.client.get("/ui/", headers=forged)).headers["location"] == "/ui/signin"

    police = await support.client.get("/ui/", headers=cookie(support, agency="police", role="officer"))
    assert police.status_code == 403 and "Not open to your role" in police.text

    theirs = await support.client.get(f"/ui/cases/{urn}", headers=cookie(support, sub=other))
    assert theirs.status_code == 403 and "You are not assigned to this case" in theirs.text
    assert 'href="/ui/"' in theirs.text and "Suspect arrested" not in theirs.text
    act = await post(support, f"/ui/cases/{urn}/familiarisation", headers=cookie(support, sub=other))
    assert act.status_code == 403 and "You are not assigned to this case" in act.text

    manager = cookie(support, role="manager", sub="mgr", team="north")
    seen = await support.client.get(f"/ui/cases/{urn}", headers=manager)
    assert seen.status_code == 200 and "Only the IDVA assigned to this case can act on it" in seen.text
    refused = await post(support, f"/ui/cases/{urn}/familiarisation", headers=manager)
    assert refused.status_code == 403 and "only the assigned IDVA may do this" in refused.text

    unknown = await support.client.get(f"/ui/cases/{support.force}SP0000126", headers=cookie(support, sub=idva))
    assert unknown.status_code == 404 and "Not found" in unknown.text
    malformed = await support.client.get("/ui/cases/not-a-urn", headers=cookie(support, sub=idva))
    assert malformed.status_code == 404
    assert await outbox_types(support, urn) == ["wja.support.idva.assigned.v1"]  # nothing refused was done


async def test_contact_details_need_a_purpose_are_shown_once_and_never_cached(support):
    await support.intake.start()
    urn, idva = await case_for(support)
    me = cookie(support, sub=idva)

    async def fetched():
        return await support.pool.fetchval("SELECT contact_status FROM cases WHERE urn = $1", urn) == "fetched"

    await eventually(fetched)
    page = (await support.client.get(f"/ui/cases/{urn}", headers=me)).text
    assert "Show contact details" in page and CONTACT["name"] not in page

    bare = await post(support, f"/ui/cases/{urn}/contact-details", data={}, headers=me)
    assert bare.status_code == 422 and "purpose" in bare.text and CONTACT["name"] not in bare.text

    shown = await post(support, f"/ui/cases/{urn}/contact-details", data={"purpose": "safety_planning"}, headers=me)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert CONTACT["name"] in shown.text and CONTACT["phone"] in shown.text
    assert "This read was recorded, with its purpose: Safety planning." in shown.text
    assert CONTACT["name"] not in str(shown.url)

    manager = cookie(support, role="manager", sub="mgr", team="north")
    refused = await post(
        support, f"/ui/cases/{urn}/contact-details", data={"purpose": "safety_planning"}, headers=manager
    )
    assert refused.status_code == 403 and CONTACT["name"] not in refused.text


async def test_a_database_that_is_away_is_a_503_page_with_retry_after(support):
    urn, idva = await case_for(support)
    live = support.app.state.deps
    dead = await asyncpg.create_pool(f"postgresql://wja@127.0.0.1:{free_port()}/gone", min_size=0)
    support.app.state.deps = handlers.Deps(dead, live.clock, live.keyring)
    try:
        for r in [
            await support.client.get("/ui/", headers=cookie(support, sub=idva)),
            await support.client.get(f"/ui/cases/{urn}", headers=cookie(support, sub=idva)),
        ]:
            assert r.status_code == 503 and r.headers["retry-after"] == "30"
            assert "The service is unavailable" in r.text and "Nothing was changed" in r.text
    finally:
        support.app.state.deps = live
        await dead.close()
    assert (await support.client.get("/ui/", headers=cookie(support, sub=idva))).status_code == 200
