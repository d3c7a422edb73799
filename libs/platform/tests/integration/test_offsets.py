"""Offsets are committed in the background (wja_platform.offsets): only processed records', and a batch that
fails on the database is fetched again, not skipped."""

from __future__ import annotations

import pytest
from wja_cli.testing import eventually, serve_app
from wja_platform.lag import LagProbe
from wja_schemas import new_envelope
from wja_schemas.intake import CrimeReported
from wja_schemas.topics import case_topic

from .conftest import crime, group_suffix, new_urn, probe_app, probe_settings
from .test_plumbing import _count, applied, write

pytestmark = pytest.mark.integration

FAILED_ONCE: set[str] = set()


async def flaky_handler(conn, env):
    """The first time it meets a suspect called ``database-away``, fails as if PostgreSQL went away."""
    if not isinstance(env.payload, CrimeReported):
        return
    if env.payload.suspect.name == "database-away" and env.idempotency_key not in FAILED_ONCE:
        FAILED_ONCE.add(env.idempotency_key)
        raise ConnectionResetError("the database went away")
    await conn.execute("INSERT INTO applied (event_key, urn) VALUES ($1, $2)", env.idempotency_key, env.subject)


async def test_processed_offsets_are_committed_soon_after(stack, producer):
    group = f"g-{group_suffix()}"
    app = probe_app(probe_settings(stack, stack.new_database("probe"), consumer_group=group), flaky_handler)
    urns = [new_urn(700 + i) for i in range(6)]
    async with serve_app(app):
        await write(producer, [new_envelope(crime(urns[i % 6])) for i in range(30)])
        await producer.relay.drain()
        await eventually(lambda: _count(app, urns, 30))
        probe = LagProbe(stack.bootstrap, group)
        try:

            async def caught_up() -> bool:
                lags = await probe.lag([case_topic("intake")])
                return bool(lags) and all(p.lag == 0 for p in lags)

            await eventually(caught_up)  # committed = end offset on every partition, without a batch after
        finally:
            await probe.close()


async def test_a_batch_that_fails_on_the_database_is_fetched_again(stack, producer):
    app = probe_app(
        probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}"), flaky_handler
    )
    urns = [new_urn(720 + i) for i in range(3)]
    envs = [new_envelope(crime(urns[0]))]
    envs.append(
        new_envelope(
            crime(urns[1]).model_copy(
                update={"suspect": crime(urns[1]).suspect.model_copy(update={"name": "database-away"})}
            )
        )
    )
    envs.append(new_envelope(crime(urns[2])))
    async with serve_app(app):
        await write(producer, envs)
        await producer.relay.drain()
        await eventually(lambda: _count(app, urns, 3))
        got = await applied(app, set(urns))
    assert sorted(k for k, _ in got) == sorted(e.idempotency_key for e in envs)  # each once, none skipped
    assert envs[1].idempotency_key in FAILED_ONCE  # it did fail once
