"""What these tests publish reaches the support service under test and no other service of the session.

The session's broker carries the whole system once an end-to-end test has started it (the ``system``
fixture: every service, until the session ends), and that system reacts: its court lists a hearing for
every charge decision it reads. Its listings then landed on these tests' timelines (see ``support_stack``).
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_schemas.topics import case_topic

pytestmark = pytest.mark.integration


async def event_ids(bootstrap: str, topic: str) -> set[bytes]:
    """The ``ce_id`` of every record on ``topic`` now: read up to the end offsets taken first (no timeout)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            return set()  # nobody created it there: nothing was published to it
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        ids: set[bytes] = set()
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(*parts, timeout_ms=1000)).values():
                ids |= {value for r in records for key, value in r.headers if key == "ce_id"}
        return ids
    finally:
        await consumer.stop()


async def test_a_charge_a_test_publishes_is_on_its_own_broker_and_not_on_the_one_the_system_reads(support, stack):
    decision = new_envelope(example("wja.charging.decision.made.v1", urn=support.urn(), decision="charge"))
    await support.send(decision)
    topic = case_topic("charging")
    assert decision.id.encode() in await event_ids(support.settings.kafka_bootstrap_servers, topic)
    assert decision.id.encode() not in await event_ids(stack.bootstrap, topic)
