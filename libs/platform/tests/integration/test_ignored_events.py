"""``ServiceSpec.handles``: events of other types are counted, never applied (no transaction, no inbox row, no
span), and the stream goes on past them (issue 20)."""

from __future__ import annotations

from typing import ClassVar

import pytest
from wja_cli.testing import eventually, serve_app
from wja_platform import metrics, telemetry
from wja_platform.app import ServiceSpec, make_app
from wja_schemas import new_envelope, to_record
from wja_schemas.examples import example
from wja_schemas.topics import retry_topic

from .conftest import SQL, ProbeSettings, group_suffix, new_urn, probe_settings

pytestmark = pytest.mark.integration
HANDLED = "wja.intake.crime.reported.v1"


class IgnoringProbeSettings(ProbeSettings):
    """A probe of its own that reads only its retry topic: a fresh group on the shared intake topic would
    first read everything the other tests put there."""

    service: ClassVar[str] = "ignoreprobe"
    consumes: ClassVar[tuple[str, ...]] = ()


async def handler(conn, env) -> None:
    await conn.execute("INSERT INTO applied (event_key, urn) VALUES ($1, $2)", env.idempotency_key, env.subject)


async def test_events_of_types_the_service_does_not_handle_are_not_applied(stack, producer):
    settings = probe_settings(
        stack, stack.new_database("ignoring"), IgnoringProbeSettings, consumer_group=f"g-{group_suffix()}"
    )
    app = make_app(ServiceSpec(settings=settings, migrations=SQL, handler=handler, handles=frozenset({HANDLED})))
    urn = new_urn(600)
    types = ("wja.intake.risk.assessed.v1", "wja.intake.suspect.arrested.v1", HANDLED)
    counted = metrics.EVENTS_IGNORED.labels(settings.service, "wja.intake.risk.assessed.v1")
    before = counted._value.get()
    async with serve_app(app):
        pool = app.state.runtime.pool
        for ce_type in types:  # in this order, on one partition: the handled one comes last
            key, value, headers = to_record(new_envelope(example(ce_type, urn)))
            await producer.kafka.send_and_wait(retry_topic(settings.service), value, key=key, headers=headers)
        await eventually(lambda: pool.fetchval("SELECT count(*) FROM applied WHERE urn = $1", urn))
        inbox = await pool.fetch("SELECT ce_type FROM inbox WHERE urn = $1", urn)
        assert [r["ce_type"] for r in inbox] == [HANDLED]
        assert counted._value.get() == before + 1
        telemetry.flush()
        path = telemetry.span_file()
        assert path is not None
        mine = [line for line in path.read_text().splitlines() if urn in line and ".apply " in line]
        assert any(HANDLED in line for line in mine)  # the handled event's span is there: the file is read right
        assert not any("risk.assessed" in line or "suspect.arrested" in line for line in mine)
