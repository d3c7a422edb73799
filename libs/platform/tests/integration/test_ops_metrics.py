"""The operational gauges on /metrics: right without /readyz, from the real database and broker."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families
from wja_cli.testing import eventually, serve_app
from wja_platform import opsmetrics
from wja_platform.app import ServiceSpec, make_app
from wja_platform.lag import LagProbe

from .conftest import SQL, ProbeSettings, group_suffix, new_urn

SERVICE = "opsprobe"


class OpsProbeSettings(ProbeSettings):
    """A probe of its own name: its retry topic, where the test puts a poison record, is read by it alone
    (a poison record on the shared intake topic would reach the other probes' fresh groups too)."""

    service: ClassVar[str] = SERVICE


pytestmark = pytest.mark.integration


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples if s.name == name
    ]


async def test_lag_counts_records_the_group_has_not_committed(stack):
    topic = f"wja.lagtest{group_suffix()}.retry.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"x", partition=0 if i < 3 else 1)
    finally:
        await producer.stop()
    group = f"g-lag-{group_suffix()}"
    probe = LagProbe(stack.bootstrap, group)
    try:
        never = {(p.topic, p.partition): p for p in await probe.lag([topic])}
        assert {k: p.lag for k, p in never.items()} == {(topic, 0): 3, (topic, 1): 2}
        consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, 0)])
            await consumer.commit({TopicPartition(topic, 0): 2})
        finally:
            await consumer.stop()
        after = {(p.topic, p.partition): p for p in await probe.lag([topic])}
        assert after[(topic, 0)].committed == 2
        assert {k: p.lag for k, p in after.items()} == {(topic, 0): 1, (topic, 1): 2}
    finally:
        await probe.close()


async def test_outbox_state_is_the_backlog_and_its_oldest_row(stack, producer):
    assert await opsmetrics.outbox_state(producer.pool) == (0, 0.0)
    await producer.pool.execute(
        "INSERT INTO outbox (ce_id, urn, ce_type, topic, value, headers, created_at)"
        " VALUES ($1, 'u', 't', 'wja.intake.case.v1', '', '[]', now() - interval '90 seconds'),"
        "        ($2, 'u', 't', 'wja.intake.case.v1', '', '[]', now())",
        uuid.uuid4().hex,
        uuid.uuid4().hex,
    )
    backlog, age = await opsmetrics.outbox_state(producer.pool)
    assert backlog == 2
    assert 90 <= age < 120
    await producer.pool.execute("UPDATE outbox SET published_at = now()")
    assert await opsmetrics.outbox_state(producer.pool) == (0, 0.0)


async def test_gauges_follow_the_database_and_broker_without_readyz(stack, producer):
    settings = OpsProbeSettings(
        database_url=stack.new_database("probe"),
        kafka_bootstrap_servers=stack.bootstrap,
        state_dir=stack.state_dir(),
        consumer_group=f"g-{group_suffix()}",
        metrics_refresh_seconds=0.2,
    )

    async def handler(conn, env):
        return None

    app = make_app(ServiceSpec(settings=settings, migrations=SQL, handler=handler))
    urn = new_urn(900)
    headers = [("ce_id", b"ops-1"), ("ce_type", b"wja.intake.crime.reported.v1"), ("ce_subject", urn.encode())]
    async with serve_app(app) as client:
        pool = app.state.runtime.pool
        await producer.kafka.send_and_wait(f"wja.{SERVICE}.retry.v1", b"{not json", key=urn.encode(), headers=headers)

        async def poison_counted():
            text = (await client.get("/metrics")).text
            stored = await pool.fetchval(
                "SELECT count(*) FROM dead_letters WHERE status = 'open' AND kind = 'poison' AND urn IS NULL"
                ' AND "offset" >= 0'
            )
            gauge = {s[0]["kind"]: s[1] for s in samples(text, "wja_dead_letters_open") if s[0]["service"] == SERVICE}
            return text if stored == 1 and gauge.get("poison") == 1 else None

        text = await eventually(poison_counted)
        by_kind = {s[0]["kind"]: s[1] for s in samples(text, "wja_dead_letters_open") if s[0]["service"] == SERVICE}
        assert by_kind["failed"] == 0 and by_kind["parked"] == 0
        mine = await pool.fetchval("SELECT kind FROM dead_letters WHERE headers::text LIKE '%ops-1%'")
        assert mine == "poison"

        async def caught_up():
            text = (await client.get("/metrics")).text
            lag = [s for s in samples(text, "wja_consumer_lag_records") if s[0]["group"] == settings.group_id]
            topics = {s[0]["topic"] for s in lag}
            ready = samples(text, "wja_service_ready")
            ok = topics == {"wja.intake.case.v1", f"wja.{SERVICE}.retry.v1"} and all(s[1] == 0 for s in lag)
            return text if ok and any(s[0]["service"] == SERVICE and s[1] == 1 for s in ready) else None

        text = await eventually(caught_up)
        checks = {s[0]["check"]: s[1] for s in samples(text, "wja_ready_check") if s[0]["service"] == SERVICE}
        assert checks == {"database": 1, "broker": 1, "relay": 1, "subscribers": 1}
        backlog = [s[1] for s in samples(text, "wja_outbox_backlog") if s[0]["service"] == SERVICE]
        assert backlog == [await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")]
