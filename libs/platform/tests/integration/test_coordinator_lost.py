"""A consumer that lost its group's coordinator and never finds it again is reported and restarted.

Seen once in a full test run (3 December 2026, docs/reliability.md "Limits"): after the broker was killed and
replaced, support's consumer logged "Marking the coordinator dead" and then never discovered a coordinator nor
rejoined; it kept its old assignment, so ``/readyz`` said ready. The cause inside aiokafka was not found, so the
test makes the same state on the real broker: the consumer's coordinator lookup never answers, and the coordinator
is marked dead. Such a consumer commits no offsets (a commit waits for the coordinator), sends no heartbeat and
takes part in no rebalance.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka import TopicPartition
from aiokafka import errors as Errors
from aiokafka.admin import AIOKafkaAdminClient
from wja_cli.testing import eventually, publish, serve_app
from wja_platform import assignment, metrics
from wja_schemas import new_envelope
from wja_schemas.topics import case_topic

from .conftest import applied_probe, apply_probe, crime, new_urn, probe_app, probe_settings

pytestmark = pytest.mark.integration


async def test_a_consumer_without_its_coordinator_is_not_ready_and_is_restarted(stack, caplog):
    settings = probe_settings(stack, stack.new_database("lost"), consumer_coordinator_lost_restart_seconds=2)
    app = probe_app(settings, apply_probe)
    restarts = metrics.CONSUMER_RESTARTS.labels(settings.service)
    async with serve_app(app) as client:
        runtime = app.state.runtime
        applied = applied_probe(runtime.pool)
        after = new_urn(83_002)
        sub = await _applying(stack, app, client, new_urn(83_001))
        stuck = sub.consumer
        restarts_before = restarts._value.get()
        _lose_coordinator(stuck)
        assert assignment.coordinator_lost(stuck)
        assert stuck.assignment(), "it keeps its partitions: they alone would make it look ready"

        answer = (await client.get("/readyz")).json()
        assert answer["status"] == "not ready" and answer["checks"]["subscribers"] == "no group coordinator", answer

        async def restarted() -> bool:
            return restarts._value.get() > restarts_before and sub.consumer is not None and sub.consumer is not stuck

        caplog.set_level(logging.WARNING, logger="wja_platform.assignment")
        await eventually(restarted, timeout=30, step=0.2)
        [why] = [r.getMessage() for r in caplog.records if "no group coordinator for" in r.getMessage()]
        # what aiokafka showed, for the next time it happens by itself: here, a lookup that never answers
        assert "(coordination routine running, metadata task running, a coordinator lookup under way)" in why, why
        await eventually(_ready(client), timeout=60, step=0.5)
        assert stuck._closed, "the stuck consumer was stopped, not left running beside the new one"

        committed = await _committed(stack.bootstrap, settings)
        await publish(stack.bootstrap, new_envelope(crime(after)))
        await eventually(lambda: applied(after), timeout=60, step=0.5)

        async def committed_after() -> bool:  # what a consumer without its coordinator cannot do
            return await _committed(stack.bootstrap, settings) > committed

        await eventually(committed_after, timeout=30, step=0.5)


async def test_a_service_whose_consumer_lost_its_coordinator_stops_without_waiting_for_it(stack, caplog):
    """Before, the shutdown waited its full 10 s twice: for the offset commits (a commit waits for a coordinator)
    and for the consumer (aiokafka's ``stop()`` waits for its coordination routine)."""
    settings = probe_settings(stack, stack.new_database("lost"), consumer_coordinator_lost_restart_seconds=600)
    app = probe_app(settings, apply_probe)
    async with serve_app(app) as client:
        runtime = app.state.runtime
        sub = await _applying(stack, app, client, new_urn(83_003))
        _lose_coordinator(sub.consumer)
        caplog.set_level(logging.INFO, logger="wja_platform.offsets")
        another = new_urn(83_004)
        await publish(stack.bootstrap, new_envelope(crime(another)))  # its fetcher still reads: it is applied,
        await eventually(lambda: applied_probe(runtime.pool)(another), timeout=30)  # and its offset cannot be committed

        async def dropped() -> bool:
            return any("offset commit dropped: not taken within" in r.getMessage() for r in caplog.records)

        await eventually(dropped, timeout=30, step=0.2)
        caplog.clear()
    late = [r.getMessage() for r in caplog.records if "did not stop" in r.getMessage()]
    assert not late, late


def _lose_coordinator(consumer) -> None:
    """Put ``consumer`` where support's was: its coordinator marked dead, and the lookup of a new one never answers."""
    never = asyncio.Event()

    async def no_answer(*_: object) -> int:
        await never.wait()
        raise AssertionError("unreachable")

    consumer._client.coordinator_lookup = no_answer
    consumer._coordinator.coordinator_dead()  # "Marking the coordinator dead": it now looks for a new one


async def _applying(stack, app, client, urn: str):
    """The probe's one subscriber, once it has applied an event of ``urn`` and the service says ready."""
    await publish(stack.bootstrap, new_envelope(crime(urn)))
    await eventually(lambda: applied_probe(app.state.runtime.pool)(urn), timeout=30)
    await eventually(_ready(client), timeout=30)
    [sub] = app.state.runtime.broker.subscribers
    return sub


def _ready(client):
    async def ready() -> bool:
        return (await client.get("/readyz")).json()["status"] == "ready"

    return ready


async def _committed(bootstrap: str, settings) -> int:
    """The sum of the probe's group's committed offsets over the partitions of intake's topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = [TopicPartition(case_topic("intake"), p) for p in range(settings.topic_partitions)]
        committed = await admin.list_consumer_group_offsets(settings.group_id, partitions=partitions)  # named: Tansu
    finally:
        await admin.close()
    return sum(max(0, meta.offset) for meta in committed.values())


async def test_a_metadata_task_that_ended_leaves_the_lookup_waiting_for_ever_and_the_restart_says_so(stack, caplog):
    """One suspect for the stall of 3 December, made on the real broker: the client's metadata task ends with an
    exception, then the coordinator is lost and one lookup fails (a retriable error). aiokafka retries the lookup
    only after a metadata update, which waits on the ended task for ever: no coordinator, as support's consumer
    showed. The watchdog restarts the consumer, and its log line names the ended task."""
    settings = probe_settings(stack, stack.new_database("lost"), consumer_coordinator_lost_restart_seconds=2)
    app = probe_app(settings, apply_probe)
    async with serve_app(app) as client:
        runtime = app.state.runtime
        sub = await _applying(stack, app, client, new_urn(83_005))
        stuck = sub.consumer
        kafka = stuck._client

        async def broken_update(*_: object) -> bool:
            raise RuntimeError("metadata update failed")

        kafka._metadata_update = broken_update
        kafka.force_metadata_update()  # wakes the task, which calls the update and ends
        await eventually(kafka._sync_task.done, timeout=10, step=0.05)
        lookups = 0

        async def fails_once(*_: object) -> int:
            nonlocal lookups
            lookups += 1
            raise Errors.CoordinatorNotAvailableError()

        kafka.coordinator_lookup = fails_once
        caplog.set_level(logging.WARNING, logger="wja_platform.assignment")
        stuck._coordinator.coordinator_dead()
        await eventually(lambda: lookups == 1, timeout=10, step=0.05)
        await asyncio.sleep(1.0)
        assert lookups == 1, "the lookup was not retried: it waits for a metadata update that never comes"
        assert assignment.coordinator_lost(stuck)

        await eventually(lambda: sub.consumer is not stuck, timeout=30, step=0.2)
        [why] = [r.getMessage() for r in caplog.records if "no group coordinator for" in r.getMessage()]
        assert "metadata task ended with RuntimeError('metadata update failed')" in why, why
        assert not [r.getMessage() for r in caplog.records if "restart failed" in r.getMessage()]  # stopped cleanly
        assert "a coordinator lookup under way" in why, why
        await eventually(_ready(client), timeout=60, step=0.5)
        after = new_urn(83_006)
        await publish(stack.bootstrap, new_envelope(crime(after)))
        await eventually(lambda: applied_probe(runtime.pool)(after), timeout=60, step=0.5)
