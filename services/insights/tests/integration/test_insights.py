"""Insights on the real broker and PostgreSQL: events in any order, measures out, access rules."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from wja_cli.testing import eventually, publish, serve_app, token
from wja_insights.bootstrap import create_app
from wja_insights.config import InsightsSettings
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
AT = datetime(2026, 8, 3, 10, tzinfo=UTC)


@pytest.fixture
async def insights(stack):
    settings = InsightsSettings(
        database_url=stack.new_database("insights"),
        kafka_bootstrap_servers=stack.bootstrap,
        state_dir=stack.state_dir(),
        consumer_group=f"wja-insights-{uuid.uuid4().hex[:6]}",
    )
    app = create_app(settings)
    async with serve_app(app) as client:
        yield client, settings, app


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_measures_from_events_arriving_out_of_order(insights):
    client, settings, _ = insights
    force = f"{random.randrange(10, 99)}"
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
    assert everything["convictions"] >= 4
    csv = await client.get(f"/v1/summary.csv?quarter=2026-27Q2&force={force}", headers=h)
    assert csv.headers["content-type"].startswith("text/csv") and "charge_rate,1.0" in csv.text


async def test_access_and_validation(insights):
    client, settings, _ = insights
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
    client, settings, _ = insights
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
