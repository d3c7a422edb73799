"""A consumer that joined its group while one of its topics was missing reads that topic once it exists.

The embedded broker answers the leader's new assignment with the group's first one (see
:mod:`wja_platform.assignment`): without the watchdog the probe below never reads the topic that
came back late, and a service that joined before any of its topics existed holds no partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from wja_cli.stack import Broker
from wja_cli.testing import eventually, free_port, publish, serve_app
from wja_platform import messaging, metrics
from wja_schemas import new_envelope
from wja_schemas.topics import case_topic, retry_topic

from .conftest import applied_probe, apply_probe, crime, new_urn, probe_app, probe_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path) -> Iterator[Broker]:
    """A broker of this test only (it restarts it)."""
    broker = Broker(free_port(), tmp_path / "broker.log")
    broker.start()
    try:
        yield broker
    finally:
        with contextlib.suppress(Exception):
            broker.stop()


@pytest.mark.parametrize("early", ["retry", "none"])
async def test_after_a_new_broker_topics_created_after_the_rejoin_are_read(stack, own_broker, early):
    """``early``: the topics the new broker has when the consumer rejoins (its retry topic, or none:
    then it joins with no partitions at all, as charging did in the fault suite's broker case)."""
    bootstrap = own_broker.bootstrap
    settings = probe_settings(stack, stack.new_database("assign"), kafka_bootstrap_servers=bootstrap)
    app = probe_app(settings, apply_probe)
    restarts = metrics.CONSUMER_RESTARTS.labels(settings.service)
    async with serve_app(app):
        runtime = app.state.runtime
        applied = applied_probe(runtime.pool)
        before, after = new_urn(82_001), new_urn(82_002)
        await publish(bootstrap, new_envelope(crime(before)))
        await eventually(lambda: applied(before), timeout=30)

        # the relay re-creates topics on a new broker; hold it back so the consumer rejoins first
        [relay] = [t for t in runtime.tasks if t.get_name() == "outbox-relay"]
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
        restarts_before = restarts._value.get()
        own_broker.restart()
        retry, intake = retry_topic(settings.service), case_topic("intake")
        first = [retry] if early == "retry" else []
        await messaging.ensure_topics(bootstrap, first, partitions=settings.topic_partitions)
        [sub] = runtime.broker.subscribers

        async def rejoined() -> bool:
            if restarts._value.get() > restarts_before:
                return True  # the broker's answer differed already; the watchdog is at it
            held = sub.consumer.assignment() if sub.consumer else set()
            return {tp.topic for tp in held} == set(first) and await _stable(bootstrap, settings.group_id)

        await eventually(rejoined, timeout=90, step=0.2)
        assert not runtime.subscribers_assigned() or first or restarts._value.get() > restarts_before

        await messaging.ensure_topics(bootstrap, [retry, intake], partitions=settings.topic_partitions)
        await publish(bootstrap, new_envelope(crime(after)))
        await eventually(lambda: applied(after), timeout=60, step=0.5)
        held = {tp.topic for tp in sub.consumer.assignment()}
        assert held == {retry, intake}
        assert runtime.subscribers_assigned()
        assert restarts._value.get() > restarts_before  # the watchdog healed it: the broker's answer was stale


async def _stable(bootstrap: str, group: str) -> bool:
    """The group has one member and a settled assignment on the new broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [answer] = await admin.describe_consumer_groups([group])
        [found] = answer.groups  # (error, group, state, type, protocol, members)
        return found[2] == "Stable" and len(found[5]) == 1
    finally:
        await admin.close()
