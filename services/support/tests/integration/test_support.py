"""The IDVA service on the real broker and PostgreSQL, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from wja_cli.testing import eventually
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import CONTACT

pytestmark = pytest.mark.integration


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_timeline_is_complete_and_ordered_whatever_the_arrival_order(support):
    urn = support.urn()
    t0 = datetime(2026, 9, 7, 9, tzinfo=UTC)
    late_first = [
        ev(
            "wja.court.hearing.listed.v1",
            urn,
            listed_at=t0 + timedelta(days=3),
            starts_at=t0 + timedelta(days=30),
        ),
        ev("wja.charging.decision.made.v1", urn, decided_at=t0 + timedelta(days=2)),
        ev("wja.intake.suspect.arrested.v1", urn, arrested_at=t0 + timedelta(hours=2)),
        ev("wja.intake.crime.reported.v1", urn, reported_at=t0, force_code=support.force),
        ev(
            "wja.intake.victim.referred.v1",
            urn,
            referred_at=t0 + timedelta(hours=1),
            force_code=support.force,
        ),
    ]
    await support.send(*late_first)

    async def assigned():
        return await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", urn)

    idva = await eventually(assigned)
    body = await support.timeline(urn, idva, wait_for=lambda b: len(b["entries"]) >= 6)
    types = [e["event_type"] for e in body["entries"]]
    assert types == [
        "wja.intake.crime.reported.v1",
        "wja.intake.victim.referred.v1",
        "wja.support.idva.assigned.v1",
        "wja.intake.suspect.arrested.v1",
        "wja.charging.decision.made.v1",
        "wja.court.hearing.listed.v1",
    ]
    assert body["stage"] == "pre_trial"
    assert {e["agency"] for e in body["entries"]} == {"police", "idva", "cps", "court"}
    by_type = {e["event_type"]: e for e in body["entries"]}
    assert by_type["wja.intake.suspect.arrested.v1"]["duty_holder"] == "police"
    assert by_type["wja.charging.decision.made.v1"]["duty_holder"] == "cps"
    assert by_type["wja.court.hearing.listed.v1"]["duty_holder"] == "wcu"
    assert "duty_holder" not in by_type["wja.intake.crime.reported.v1"]
    assert all(e["id"] for e in body["entries"]) and "Harriet" not in str(body)


async def test_deadlines_skip_weekends_and_bank_holidays(support):
    urn = support.urn()
    case = await support.referred(urn)
    friday = datetime(2026, 9, 11, 15, tzinfo=UTC)
    christmas_eve = datetime(2026, 12, 24, 11, tzinfo=UTC)
    await support.send(
        ev("wja.intake.suspect.arrested.v1", urn, arrested_at=friday),
        ev("wja.court.bail.decided.v1", urn, decided_at=christmas_eve),
        ev("wja.court.verdict.recorded.v1", urn, recorded_at=christmas_eve),
    )
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 6)
    by_type = {e["event_type"]: e.get("tell_victim_by") for e in body["entries"]}
    assert by_type["wja.intake.suspect.arrested.v1"] == "2026-09-14T22:59:59Z"  # Monday 23:59 BST
    assert by_type["wja.court.bail.decided.v1"] == "2026-12-29T23:59:59Z"  # skips 25, 28 (Boxing Day) Dec
    # 6 working days: 29, 30, 31 Dec, 4, 5, 6 Jan (25 and 28 Dec and 1 Jan are bank holidays)
    assert by_type["wja.court.verdict.recorded.v1"] == "2027-01-06T23:59:59Z"


async def test_obligation_becomes_overdue_with_time_alone_and_contact_records_it(support):
    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    h = support.h(sub=case["idva"])
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    overdue = (await support.client.get("/v1/obligations?overdue=true", headers=h)).json()
    assert arrest["id"] not in {o["id"] for o in overdue}
    support.clock.set(datetime(2026, 9, 16, 8, tzinfo=UTC))
    overdue = (await support.client.get("/v1/obligations?overdue=true", headers=h)).json()
    assert arrest["id"] in {o["id"] for o in overdue}
    load = (await support.client.get("/v1/caseload", headers=h)).json()
    assert next(c for c in load if c["urn"] == urn)["overdue"] == 1
    bad = await support.client.post(
        f"/v1/cases/{urn}/contacts",
        json={"about": ["nope"], "channel": "phone", "at": "2026-09-16T08:00:00Z"},
        headers=h,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "about"
    r = await support.client.post(
        f"/v1/cases/{urn}/contacts",
        json={"about": [arrest["id"]], "channel": "phone", "at": "2026-09-16T08:00:00Z"},
        headers=h,
    )
    assert r.status_code == 200 and r.json() == {"urn": urn, "told": 1, "told_by": "idva", "on_time": 0, "late": 1}
    left = (await support.client.get("/v1/obligations?overdue=true", headers=h)).json()
    assert [o for o in left if o["urn"] == urn] == []
    types = [x["ce_type"] for x in await support.pool.fetch("SELECT ce_type FROM outbox WHERE urn = $1", urn)]
    assert "wja.support.victim.informed.v1" in types


def obligation_gauges(text: str) -> dict[tuple[str, str], float]:
    """(gauge, duty holder) → value, from /metrics."""
    return {
        (s.name, s.labels["duty_holder"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name in ("wja_obligations_due", "wja_obligations_overdue")
    }


async def test_obligation_gauges_count_due_and_overdue_notices_by_duty_holder(support):
    """The gauges follow the entries (other tests' cases reach this consumer too, so each step compares
    with the table, and checks this case's own notice moved the counts)."""

    async def truth() -> dict[tuple[str, str], float]:
        counts = {
            (g, d): 0 for g in ("wja_obligations_due", "wja_obligations_overdue") for d in ("police", "cps", "wcu")
        }
        for r in await support.pool.fetch(
            "SELECT duty_holder, tell_victim_by FROM entries WHERE told_at IS NULL AND tell_victim_by IS NOT NULL"
        ):
            counts[("wja_obligations_due", r["duty_holder"])] += 1
            counts[("wja_obligations_overdue", r["duty_holder"])] += r["tell_victim_by"] < support.clock.now()
        return counts

    async def gauges_match():
        async def check():
            got = obligation_gauges((await support.client.get("/metrics")).text)
            return got if got == await truth() else None

        return await eventually(check, timeout=10)

    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    before = await gauges_match()
    assert before[("wja_obligations_due", "police")] >= 1
    support.clock.set(datetime(2026, 9, 16, 8, tzinfo=UTC))  # past the arrest notice's 1 working day
    late = await gauges_match()
    assert late[("wja_obligations_overdue", "police")] >= 1
    r = await support.client.post(
        f"/v1/cases/{urn}/contacts",
        json={"about": [arrest["id"]], "channel": "phone", "at": "2026-09-16T08:00:00Z"},
        headers=support.h(sub=case["idva"]),
    )
    assert r.status_code == 200 and r.json()["late"] == 1
    await gauges_match()  # the notice given is no longer counted


async def test_assignment_balances_caseload_and_access_rules(support):
    a = await support.referred(support.urn())
    b = await support.referred(support.urn())
    # which of the two depends on the other tests' referrals this consumer also reads (same topic);
    # the balancing rule itself is unit-tested in tests/unit/test_assignment.py
    assert {a["idva"], b["idva"]} <= {"idva-a", "idva-b"}
    urn, mine = a["urn"], a["idva"]
    other = ({"idva-a", "idva-b"} - {mine}).pop()
    c = support.client
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(sub=mine))).status_code == 200
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(sub=other))).status_code == 403
    assert (
        await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(role="manager", sub="m", team="north"))
    ).status_code == 200
    assert (
        await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(role="manager", sub="m", team="south"))
    ).status_code == 403
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h("police", "officer"))).status_code == 403
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h("court", "listing_officer"))).status_code == 403
    assert (await c.get(f"/v1/cases/{urn}/timeline")).status_code == 401
    assert (await c.get("/v1/caseload", headers=support.h(sub="stranger"))).json() == []
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(sub="stranger"))).status_code == 403
    assert (await c.get("/v1/caseload", headers=support.h("police", "officer"))).status_code == 403
    team = (await c.get("/v1/caseload", headers=support.h(role="manager", sub="m", team="north"))).json()
    assert {a["urn"], b["urn"]} <= {x["urn"] for x in team}
    assert (await c.get(f"/v1/cases/{support.urn()}/timeline", headers=support.h(sub=mine))).status_code == 404
    r = await c.post(
        f"/v1/cases/{urn}/assignment",
        json={"idva": other},
        headers=support.h(role="manager", team="north"),
    )
    assert r.status_code == 200
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(sub=other))).status_code == 200
    assert (
        await c.post(f"/v1/cases/{urn}/assignment", json={"idva": other}, headers=support.h(sub=mine))
    ).status_code == 403


async def test_claim_check_retries_until_intake_answers_then_stores_encrypted(support):
    case = await support.referred(support.urn())
    urn, h = case["urn"], support.h(sub=case["idva"])

    async def status():
        return (await support.client.get(f"/v1/cases/{urn}", headers=h)).json()["contact_status"]

    await eventually(lambda: _is(status, "failed_retrying"))  # intake is down
    await support.intake.start()
    support.clock.advance(timedelta(seconds=30))
    await eventually(lambda: _is(status, "fetched"))
    assert urn in support.intake.reads
    contact = (await support.client.get(f"/v1/cases/{urn}/contact?purpose=call_victim", headers=h)).json()
    assert contact["phone"] == CONTACT["phone"]
    raw = await support.pool.fetchrow("SELECT * FROM contacts WHERE urn = $1", urn)
    blob = b"".join(bytes(v) if isinstance(v, bytes | bytearray) else str(v).encode() for v in raw.values())
    assert b"07700" not in blob and b"Harriet" not in blob and b"example.org" not in blob
    await support.send(ev("wja.intake.consent.withdrawn.v1", urn))
    await eventually(lambda: _is(status, "withdrawn"))
    assert await support.pool.fetchval("SELECT count(*) FROM contacts WHERE urn = $1", urn) == 0
    assert (await support.client.get(f"/v1/cases/{urn}/contact?purpose=call_victim", headers=h)).status_code == 404


async def test_contact_copy_is_purged_a_retention_period_after_support_closed(support):
    await support.intake.start()
    sentinel = await support.referred(support.urn())  # closed 2 days earlier: its purge proves a round ran
    case = await support.referred(support.urn())
    urn, h, c = case["urn"], support.h(sub=case["idva"]), support.client

    def status_of(urn, h):
        async def status():
            return (await c.get(f"/v1/cases/{urn}", headers=h)).json()["contact_status"]

        return status

    status, sentinel_status = status_of(urn, h), status_of(sentinel["urn"], support.h(sub=sentinel["idva"]))
    await eventually(lambda: _is(sentinel_status, "fetched"))
    await eventually(lambda: _is(status, "fetched"))
    closure = {"reason": "post_trial"}
    sentinel_h = support.h(sub=sentinel["idva"])
    assert (await c.post(f"/v1/cases/{sentinel['urn']}/closure", json=closure, headers=sentinel_h)).status_code == 200
    support.clock.advance(timedelta(days=2))
    assert (await c.post(f"/v1/cases/{urn}/closure", json=closure, headers=h)).status_code == 200
    days = support.settings.contact_retention_days
    support.clock.advance(timedelta(days=days - 1))
    await eventually(lambda: _is(sentinel_status, "purged"))  # a purge round ran at this time
    assert await status() == "fetched"  # still inside the retention period
    assert (await c.get(f"/v1/cases/{urn}/contact?purpose=call_victim", headers=h)).status_code == 200
    support.clock.advance(timedelta(days=2))
    await eventually(lambda: _is(status, "purged"))
    assert await support.pool.fetchval("SELECT count(*) FROM contacts WHERE urn = $1", urn) == 0
    gone = await c.get(f"/v1/cases/{urn}/contact?purpose=call_victim", headers=h)
    assert gone.status_code == 404 and "Harriet" not in gone.text


async def _is(get, value):
    return await get() == value


async def test_requests_wishes_and_closure_are_published(support):
    case = await support.referred(support.urn())
    urn, h, c = case["urn"], support.h(sub=case["idva"]), support.client
    assert (
        await c.post(f"/v1/cases/{urn}/special-measures", json={"measures": ["screens"]}, headers=h)
    ).status_code == 201
    assert (await c.post(f"/v1/cases/{urn}/familiarisation", headers=h)).status_code == 201
    assert (
        await c.post(
            f"/v1/cases/{urn}/wishes",
            json={"restraining_order_sought": True, "conditions_sought": ["no_contact_victim"]},
            headers=h,
        )
    ).status_code == 200
    assert (await c.post(f"/v1/cases/{urn}/personal-statement", json={}, headers=h)).status_code == 200
    assert (
        await c.post(f"/v1/cases/{urn}/special-measures", json={"measures": ["a moat"]}, headers=h)
    ).status_code == 422
    await support.send(ev("wja.court.sentence.imposed.v1", urn, custody_months=14))
    await support.timeline(urn, case["idva"], wait_for=lambda b: b["stage"] == "post_trial")
    closed = await c.post(f"/v1/cases/{urn}/closure", json={"reason": "post_trial"}, headers=h)
    assert closed.json()["vcs_offered"] is True
    assert (await c.post(f"/v1/cases/{urn}/closure", json={"reason": "post_trial"}, headers=h)).status_code == 409
    types = [
        x["ce_type"] for x in await support.pool.fetch("SELECT ce_type FROM outbox WHERE urn = $1 ORDER BY id", urn)
    ]
    assert types[1:] == [
        "wja.support.special_measures.requested.v1",
        "wja.support.familiarisation.requested.v1",
        "wja.support.wishes.recorded.v1",
        "wja.support.personal_statement.recorded.v1",
        "wja.support.support.closed.v1",
    ]
    manager = support.h(role="manager", team="north")
    assert (
        await c.post(f"/v1/cases/{urn}/wishes", json={"restraining_order_sought": False}, headers=manager)
    ).status_code == 403


async def test_roster_is_managed_by_managers(support):
    c = support.client
    body = {"sub": "aaa-new", "team": "north", "forces": [support.force]}
    assert (await c.post("/v1/idvas", json=body, headers=support.h())).status_code == 403
    assert (await c.post("/v1/idvas", json=body, headers=support.h(role="manager", team="north"))).status_code == 201
    roster = (await c.get("/v1/idvas", headers=support.h(role="manager"))).json()
    assert "aaa-new" in {i["sub"] for i in roster}
    case = await support.referred(support.urn())
    assert case["idva"] == "aaa-new"  # the lightest caseload
