"""Kafka plumbing: the broker factory (with FastStream telemetry) and topic creation.

Topics are created only here, with the configured partition count: every service creates, at
start-up, the case topics it reads or writes and its own retry and dead-letter topics, and its
relay re-creates them whenever they are missing (a new, empty broker).

No client of ours creates a topic by asking about it. Kafka's metadata request carries
``allow_auto_topic_creation``; aiokafka always sends ``true`` and has no setting for it (the
Java client's ``allow.auto.create.topics``, KIP-361). The embedded Tansu broker honours the flag
and, when it is true, creates the topic with its own default of 4 partitions: after a broker
reset a consumer's metadata refresh then raced the relay and a retry topic came back with a
partition nobody consumed (found by the full poison run). Importing this module makes every
aiokafka client send ``false``, as Apache Kafka in docker-compose (``auto.create.topics.enable``
false) would enforce anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiokafka.admin.client
import aiokafka.client
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest
from faststream.kafka import KafkaBroker
from wja_schemas import topics as t

log = logging.getLogger(__name__)


class MetadataRequestNoAutoCreate(MetadataRequest):
    """A metadata request that never asks the broker to create the topics it names."""

    def __init__(self, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = False) -> None:
        super().__init__(topics, allow_auto_topic_creation)


def forbid_auto_topic_creation() -> None:
    """Make every aiokafka client (producers, consumers, admin) send ``allow_auto_topic_creation=false``."""
    aiokafka.client.MetadataRequest = MetadataRequestNoAutoCreate  # type: ignore[misc]
    aiokafka.admin.client.MetadataRequest = MetadataRequestNoAutoCreate  # type: ignore[misc]


forbid_auto_topic_creation()


def make_broker(bootstrap_servers: str, *, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker, without FastStream's telemetry middleware.

    The consumer makes the spans that matter (:mod:`wja_platform.consumer`): one per batch transaction and
    one per event in the event's own trace. The middleware added two more per batch ("create" and "process",
    a trace of their own): while journeys run, batches hold an event or two, so that was two spans more per
    event to make and export (issue 20).
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        metadata_max_age_ms=5000,  # see topics recreated on a new (empty) broker within seconds
        logger=logging.getLogger(f"wja.{client_id}.kafka"),
        apply_types=False,  # the subscriber takes the records as they are: no per-batch dependency injection,
        # whose synchronous context field FastDepends ran in a worker thread (a thread hop per batch)
    )


def service_topics(service: str, consumes: Iterable[str]) -> list[str]:
    """The topics a service needs: its own, those it reads, its retry and dead-letter topics."""
    names = {t.case_topic(service)} if service in t.PRODUCERS else set()
    names |= {t.case_topic(p) for p in consumes}
    names |= {t.retry_topic(service), t.dlq_topic(service)}
    return sorted(names)


@dataclass
class Topics:
    """What :func:`ensure_topics` found and did."""

    created: list[str] = field(default_factory=list)
    partitions: dict[str, int] = field(default_factory=dict)
    """Topics whose partition count differs from the configured one (name: actual count)."""


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int, replication: int = 1
) -> Topics:
    """Create the missing topics; report those with another partition count. Safe to call concurrently.

    A topic with another partition count is left as it is (adding partitions would move keys,
    and so break per-case order; Kafka cannot remove them): the caller reports it.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="wja-admin")
    await admin.start()
    try:
        existing = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics() if t["error_code"] == 0}
        wanted = list(dict.fromkeys(names))
        result = Topics(
            created=[n for n in wanted if n not in existing],
            partitions={n: existing[n] for n in wanted if n in existing and existing[n] != partitions},
        )
        if result.created:
            try:
                await admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=replication) for n in result.created]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another service: %s", result.created)
        return result
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
