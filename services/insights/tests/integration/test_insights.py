"""Insights on the real broker and PostgreSQL: events in any order, measures out, access rules."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from wja_cli.testing import eventually, publish, token
from wja_insights.service_layer import retention
from wja_platform.clock import FixedClock
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
AT = datetime(2026, 8, 3, 10, tzinfo=UTC)


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_measures_from_events_arriving_out_of_order(insights, fresh_force):
    client, settings = insights.client, insights.settings
    force = fresh_force()
    urns = [f"{force}IN{n:05d}26" for n in range(6)]
    events = []
    for i, urn in enumerate(urns):
        events += [
            ev("wja.court.verdict.recorded.v1", urn, recorded_at=AT, verdict="convicted" if i < 4 else "acquitted")
            if i < 5
            else ev("wja.charging.proceedings.discontinued.v1", urn, discontinued_at=AT),
            ev("wja.charging.decision.made.v1", urn, decided_at=AT, days_to_decision=i),
            ev("wja.intake.charging.requested.v1", urn, requested_at=AT, force_code=force),
            ev("wja.intake.crime.reported.v1", urn, reported_at=AT, force_code=force),
        ]
    await publish(settings.kafka_bootstrap_servers, *events)
    h = token(settings.state_dir, "cps", "analyst")

    async def complete():
        r = await client.get(f"/v1/summary?quarter=2026-27Q2&force={force}", headers=h)
        body = r.json()
        return body if body.get("prosecutions_completed") == 6 and body.get("reports") == 6 else None

    body = await eventually(complete)
    assert body["charged"] == 6 and body["charge_rate"] == 1.0
    assert body["convictions"] is None  # 4 < 5: suppressed at force level
    assert body["unsuccessful_by_reason"] == {"acquitted": None, "victim_retraction": None}
    everything = (await client.get("/v1/summary?from=2026-08-01&to=2026-09-01", headers=h)).json()
    assert everything["reports"] >= 6
    assert everything["convictions"] is None or everything["convictions"] >= 5  # national figures too
    csv = await client.get(f"/v1/summary.csv?quarter=2026-27Q2&force={force}", headers=h)
    assert csv.headers["content-type"].startswith("text/csv") and "charge_rate,1.0" in csv.text


async def test_access_and_validation(insights):
    client, settings = insights.client, insights.settings
    assert (await client.get("/v1/summary?quarter=2026-27Q2")).status_code == 401
    for agency, role in (("police", "officer"), ("idva", "idva"), ("cps", "prosecutor")):
        r = await client.get("/v1/summary?quarter=2026-27Q2", headers=token(settings.state_dir, agency, role))
        assert r.status_code == 403
    h = token(settings.state_dir, "idva", "manager")
    assert (await client.get("/v1/summary?quarter=2026-27Q2", headers=h)).status_code == 200
    bad = await client.get("/v1/summary?quarter=2026-27Q9", headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quarter"
    assert (await client.get("/v1/summary?force=1&quarter=2026-27Q2", headers=h)).status_code == 422
    jwt = h["Authorization"].split()[1]
    refused = await client.get("/ui/signin?token=" + jwt)
    assert (
        refused.status_code == 400
        and jwt not in refused.text
        and "wja_token" not in refused.headers.get("set-cookie", "")
    )


async def test_the_chart_page_signs_in_with_a_post_form_and_its_csrf_token(insights):
    client, settings = insights.client, insights.settings
    jwt = token(settings.state_dir, "idva", "manager")["Authorization"].split()[1]
    first = await client.get("/ui/", params={"force": "01"})
    assert first.status_code == 303 and first.headers["location"] == "/ui/signin?next=/ui/%3Fforce%3D01"
    form = await client.get(first.headers["location"])
    csrf = re.search(r"name=csrf_token value='([^']+)'", form.text).group(1)
    assert "value='/ui/?force=01'" in form.text
    without = await client.post("/ui/signin", data={"token": jwt, "next": "/ui/"})
    assert without.status_code == 403 and "wja_token" not in without.headers.get("set-cookie", "")
    r = await client.post("/ui/signin", data={"token": jwt, "next": "/ui/?force=01", "csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ui/?force=01"
    assert "HttpOnly" in r.headers["set-cookie"] and "samesite=strict" in r.headers["set-cookie"].lower()
    page = await client.get("/ui/?force=01")
    assert page.status_code == 200 and "Funnel" in page.text and "<svg" in page.text and "force 01" in page.text
    assert jwt not in page.text and "Sign out" in page.text


@pytest.mark.parametrize("n", range(7))
async def test_small_counts_are_suppressed_for_a_force_and_nationally(insights, n, fresh_force):
    """Counts 0-6 of one force beside a force of 10, in a quarter no other test uses."""
    client, settings, app = insights.client, insights.settings, insights.app
    small, big = fresh_force(), fresh_force()
    at = datetime(2031, 5, 6, 10, tzinfo=UTC)
    async with app.state.runtime.pool.acquire() as conn:
        for force, count in ((small, n), (big, 10)):
            for i in range(count):
                await conn.execute(
                    "INSERT INTO facts (urn, force_code, reported_at, requested_at, decision, decided_at)"
                    " VALUES ($1, $2, $3, $3, 'charge', $3)",
                    f"{force}SM{i:05d}31",
                    force,
                    at,
                )
                await conn.execute(
                    "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1, $2, $3, 1, 0)",
                    f"n-{force}-{i}",
                    f"{force}SM{i:05d}31",
                    at,
                )
    h = token(settings.state_dir, "police", "analyst")
    q = "/v1/summary?quarter=2031-32Q1"
    national = (await client.get(q, headers=h)).json()
    one = (await client.get(f"{q}&force={small}", headers=h)).json()
    other = (await client.get(f"{q}&force={big}", headers=h)).json()
    expect = n if n == 0 or n >= 5 else None
    assert one["reports"] == one["charged"] == expect
    assert one["notifications"]["told"] == one["notifications"]["within_deadline"] == expect
    assert other["reports"] == other["notifications"]["told"] == 10  # its own cases only decide
    if expect is None:
        assert national["reports"] is None and national["notifications"]["told"] is None  # 10 + n - 10 = n
        assert one["charge_rate"] is None and one["notifications"]["share_within_deadline"] is None
    else:
        assert national["reports"] == national["notifications"]["told"] == 10 + n
        assert one["charge_rate"] == (1.0 if n else None)


async def test_per_case_rows_past_retention_become_counts_and_the_figures_stay(serve, fresh_force):
    """A quarter no other test uses; the scheduled job purges once the clock passes the retention."""
    at = datetime(2032, 5, 6, 10, tzinfo=UTC)
    clock = FixedClock(at + timedelta(days=30))
    force = fresh_force()
    urns = [f"{force}RT{i:05d}32" for i in range(8)]
    async with serve(clock, retention_days=365, purge_check_seconds=0.2) as insights:
        client, settings, pool = insights.client, insights.settings, insights.pool
        for i, urn in enumerate(urns):
            await pool.execute(
                "INSERT INTO facts (urn, force_code, reported_at, requested_at, decision, decided_at, days_to_decision,"
                " guilty_plea_at) VALUES ($1, $2, $3, $3, $4, $3, $5, $6)",
                urn,
                force,
                at + timedelta(days=i),
                "charge" if i < 6 else "no_further_action",
                i,
                at + timedelta(days=20) if i < 5 else None,
            )
            await pool.execute(
                "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1, $2, $3, 1, $4)",
                f"n-{urn}",
                urn,
                at + timedelta(days=i),
                i % 2,
            )
        h = token(settings.state_dir, "police", "analyst")
        q = f"/v1/summary?quarter=2032-33Q1&force={force}"
        before = (await client.get(q, headers=h)).json()
        assert before["reports"] == 8 and before["charged"] == 6 and before["convictions"] == 5
        # A sentinel already past the retention (no force, so no force's figures move): once the job has
        # purged it, a purge round ran while our cases were inside the retention period.
        sentinel = f"{force}RS0000031"
        await pool.execute("INSERT INTO facts (urn, reported_at) VALUES ($1, $2)", sentinel, at - timedelta(days=400))

        async def sentinel_purged():
            return await pool.fetchval("SELECT count(*) FROM facts WHERE urn = $1", sentinel) == 0

        await eventually(sentinel_purged)
        assert await pool.fetchval("SELECT count(*) FROM facts WHERE urn = ANY($1::text[])", urns) == 8

        clock.advance(timedelta(days=365))

        async def rolled_up():
            return await pool.fetchval("SELECT count(*) FROM facts WHERE urn = ANY($1::text[])", urns) == 0

        await eventually(rolled_up)
        assert await pool.fetchval("SELECT count(*) FROM notifications WHERE urn = ANY($1::text[])", urns) == 0
        assert await pool.fetchval("SELECT count(*) FROM archive WHERE force_code = $1", force) > 0
        after = (await client.get(q, headers=h)).json()
        assert after == before
        assert (await client.get("/v1/status", headers=h)).json()["archived_counts"] > 0
        archived = await pool.fetchval("SELECT sum(n) FROM archive WHERE force_code = $1", force)
        await retention.purge(pool, clock.now(), settings.retention_days)  # other tests' rows may go; ours not twice
        assert await pool.fetchval("SELECT sum(n) FROM archive WHERE force_code = $1", force) == archived
        assert (await client.get(q, headers=h)).json() == before  # nothing counted twice
        rebuild = await client.post("/admin/rebuild", headers=token(settings.state_dir, "police", "service"))
        assert rebuild.status_code == 200  # a replay recounts: the counts must not stay beside it
        assert await pool.fetchval("SELECT count(*) FROM archive") == 0


async def test_purges_running_at_once_take_turns_and_count_each_case_once(insights, fresh_force):
    """The scheduled job, an operator's run and another replica may purge together (CI once saw a deadlock)."""
    pool = insights.pool
    at = datetime(2033, 2, 7, 10, tzinfo=UTC)  # a quarter no other test uses
    force = fresh_force()
    urns = [f"{force}RP{i:05d}33" for i in range(240)]
    await pool.executemany(
        "INSERT INTO facts (urn, force_code, reported_at, decision, decided_at) VALUES ($1, $2, $3, 'charge', $3)",
        [(u, force, at + timedelta(minutes=i)) for i, u in enumerate(urns)],
    )
    await pool.executemany(
        "INSERT INTO orders (event_id, urn, made_at) VALUES ($1, $2, $3)", [(f"o-{u}", u, at) for u in urns[::2]]
    )
    await pool.executemany(
        "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1, $2, $3, 1, 0)",
        [(f"p-{u}", u, at) for u in reversed(urns)],
    )
    now = at + timedelta(days=900)
    await asyncio.gather(*(retention.purge(pool, now, 365, batch_size=17) for _ in range(4)))
    assert await pool.fetchval("SELECT count(*) FROM facts WHERE urn = ANY($1::text[])", urns) == 0
    reports = await pool.fetchval("SELECT sum(n) FROM archive WHERE force_code = $1 AND measure = 'reported'", force)
    assert reports == len(urns)  # each case counted once, whichever purge took it


async def test_a_purge_that_deadlocks_with_a_late_event_is_run_again(insights, fresh_force):
    """A late event's transaction holds a case's notification and then wants its fact row while the purge,
    holding the facts, waits for that notification: PostgreSQL aborts the purge (the first waiter) and the
    purge runs its batch again instead of failing (CI saw this once)."""
    pool = insights.pool
    at = datetime(2033, 8, 8, 10, tzinfo=UTC)  # a quarter no other test uses
    force = fresh_force()
    urns = [f"{force}RD{i:05d}33" for i in range(5)]
    await pool.executemany(
        "INSERT INTO facts (urn, force_code, reported_at) VALUES ($1, $2, $3)", [(u, force, at) for u in urns]
    )
    await pool.executemany(
        "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1, $2, $3, 1, 0)",
        [(f"d-{u}", u, at) for u in urns],
    )
    late = urns[-1]
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("UPDATE notifications SET late = 1 WHERE urn = $1", late)
        purge = asyncio.create_task(retention.purge(pool, at + timedelta(days=900), 365))

        async def purge_waits():
            return await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM notifications%'"
            )

        await eventually(purge_waits)
        await conn.execute("UPDATE facts SET arrested_at = $2 WHERE urn = $1", late, at)  # waits for the purge
        await tx.commit()
    assert await purge >= len(urns)
    assert await pool.fetchval("SELECT count(*) FROM facts WHERE urn = ANY($1::text[])", urns) == 0
    reported = await pool.fetchval("SELECT sum(n) FROM archive WHERE force_code = $1 AND measure = 'reported'", force)
    arrested = await pool.fetchval("SELECT sum(n) FROM archive WHERE force_code = $1 AND measure = 'arrested'", force)
    assert (reported, arrested) == (len(urns), 1)  # the late event's effect was kept, and counted


async def test_the_first_bst_hour_of_1_july_counts_in_q2_and_a_recharged_case_is_not_discontinued(
    insights, fresh_force
):
    client, settings = insights.client, insights.settings
    force = fresh_force()
    bst_hour = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    urns = [f"{force}QB{n:05d}26" for n in range(10)]
    events = []
    for urn in urns:
        events += [
            ev("wja.intake.crime.reported.v1", urn, reported_at=bst_hour, force_code=force),
            ev("wja.charging.decision.made.v1", urn, decided_at=AT, days_to_decision=1),
            ev("wja.charging.proceedings.discontinued.v1", urn, discontinued_at=AT.replace(day=10)),
        ]
    recharged = urns[:5]  # VRR overturned the discontinuance; the CPS charged again
    for urn in recharged:
        events += [
            ev("wja.charging.review.decided.v1", urn, outcome="overturned", decided_at=AT.replace(day=20)),
            ev("wja.charging.decision.made.v1", urn, decided_at=AT.replace(day=21), days_to_decision=1),
        ]
    await publish(settings.kafka_bootstrap_servers, *events)
    h = token(settings.state_dir, "police", "analyst")

    async def applied():  # every event of the three topics applied (they arrive in any order)
        pool = insights.pool
        rows = await pool.fetch("SELECT * FROM facts WHERE urn = ANY($1)", urns)
        complete = [r for r in rows if r["reported_at"] and r["discontinued_at"] and r["decided_at"]]
        again = [r for r in complete if r["urn"] in recharged and r["decided_at"] > r["discontinued_at"]]
        return len(complete) == 10 and len(again) == 5

    await eventually(applied)
    q2 = (await client.get(f"/v1/summary?quarter=2026-27Q2&force={force}", headers=h)).json()
    q1 = (await client.get(f"/v1/summary?quarter=2026-27Q1&force={force}", headers=h)).json()
    assert q2["reports"] == 10 and q1["reports"] == 0
    assert q2["from"] == "2026-07-01T00:00:00+01:00"
    # August at force level (no count under 5, so nothing suppressed): ten charged, five still discontinued
    august = (await client.get(f"/v1/summary?from=2026-08-01&to=2026-09-01&force={force}", headers=h)).json()
    assert august["charged"] == 10
    assert august["prosecutions_completed"] == 5
    assert august["unsuccessful_by_reason"] == {"victim_retraction": 5}
