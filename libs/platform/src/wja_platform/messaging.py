"""Kafka plumbing: the broker factory (with FastStream telemetry) and topic creation.

The embedded broker does not auto-create topics, so every service creates, at start-up, the
case topics it reads or writes and its own retry and dead-letter topics.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from wja_schemas import topics as t

log = logging.getLogger(__name__)


def make_broker(bootstrap_servers: str, *, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker with OpenTelemetry middleware (no aiokafka instrumentation)."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        metadata_max_age_ms=5000,  # see topics recreated on a new (empty) broker within seconds
        middlewares=[KafkaTelemetryMiddleware()],
        logger=logging.getLogger(f"wja.{client_id}.kafka"),
    )


def service_topics(service: str, consumes: Iterable[str]) -> list[str]:
    """The topics a service needs: its own, those it reads, its retry and dead-letter topics."""
    names = {t.case_topic(service)} if service in t.PRODUCERS else set()
    names |= {t.case_topic(p) for p in consumes}
    names |= {t.retry_topic(service), t.dlq_topic(service)}
    return sorted(names)


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int, replication: int = 1
) -> list[str]:
    """Create the missing topics; return the ones created. Safe to call concurrently."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="wja-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if not missing:
            return []
        try:
            await admin.create_topics(
                [NewTopic(n, num_partitions=partitions, replication_factor=replication) for n in missing]
            )
        except TopicAlreadyExistsError:
            log.info("topics created concurrently by another service: %s", missing)
        return missing
    finally:
        await admin.close()


async def cluster_id(bootstrap_servers: str) -> str:
    """The broker cluster's id: a new id means a new (empty) broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="wja-admin")
    await admin.start()
    try:
        return str((await admin.describe_cluster())["cluster_id"])
    finally:
        await admin.close()
