"""Topics exist only as created by the services, with the configured partitions, also after a broker reset."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from wja_cli.stack import Broker
from wja_cli.testing import eventually, free_port, publish, serve_app
from wja_platform import messaging
from wja_schemas import new_envelope

from .conftest import apply_probe, crime, group_suffix, new_urn, probe_app, probe_settings

pytestmark = pytest.mark.integration


async def partition_counts(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics() if t["error_code"] == 0}
    finally:
        await admin.close()


async def test_asking_about_a_topic_does_not_create_it(stack):
    name = f"wja.test-{uuid.uuid4().hex[:8]}.v1"
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, request_timeout_ms=1500)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait(name, b"{}")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=f"g-{group_suffix()}")
    await consumer.start()
    try:
        consumer.subscribe([name])
        assert await consumer.getmany(timeout_ms=1500) == {}
    finally:
        await consumer.stop()
    assert name not in await partition_counts(stack.bootstrap)

    created = await messaging.ensure_topics(stack.bootstrap, [name], partitions=3)
    assert created == messaging.Topics(created=[name], partitions={})
    assert (await partition_counts(stack.bootstrap))[name] == 3
    again = await messaging.ensure_topics(stack.bootstrap, [name], partitions=3)
    assert again == messaging.Topics(created=[], partitions={})
    other = await messaging.ensure_topics(stack.bootstrap, [name], partitions=2)
    assert other == messaging.Topics(created=[], partitions={name: 3})


@pytest.fixture
def own_broker(tmp_path) -> Iterator[list[Broker]]:
    """A broker of this test only (restarted by it); the list holds the one running now."""
    brokers = [Broker(free_port(), tmp_path / "broker.log")]
    brokers[0].start()
    try:
        yield brokers
    finally:
        with contextlib.suppress(Exception):
            brokers[-1].stop()


async def test_after_a_broker_reset_topics_come_back_with_the_configured_partitions(stack, own_broker):
    """Before, a consumer's metadata refresh auto-created its retry topic with the broker's 4 partitions."""
    bootstrap = own_broker[0].bootstrap
    settings = probe_settings(stack, stack.new_database("topics"), kafka_bootstrap_servers=bootstrap)
    wanted = messaging.service_topics(settings.service, settings.consumes)

    async def applied_urns() -> set[str]:
        rows = await app.state.runtime.pool.fetch("SELECT urn FROM applied")
        return {r["urn"] for r in rows}

    app = probe_app(settings, apply_probe)
    async with serve_app(app):
        before, after = new_urn(81_001), new_urn(81_002)
        await publish(bootstrap, new_envelope(crime(before)))
        await eventually(lambda: _contains(applied_urns, before), timeout=30)

        own_broker[0].stop()
        own_broker.append(Broker(own_broker[0].port, own_broker[0].log))
        own_broker[-1].start()

        async def all_topics_back() -> bool:
            counts = await partition_counts(bootstrap)
            return all(name in counts for name in wanted)

        await eventually(all_topics_back, timeout=30, step=0.5)
        counts = await partition_counts(bootstrap)
        assert {name: counts[name] for name in wanted} == {name: settings.topic_partitions for name in wanted}

        await publish(bootstrap, new_envelope(crime(after)))
        await eventually(lambda: _contains(applied_urns, after), timeout=60, step=0.5)
        assert app.state.runtime.relay.topic_partitions == {}


async def _contains(urns, urn: str) -> bool:
    return urn in await urns()
