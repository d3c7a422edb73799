"""Partition assignment that notices a stale answer from the broker, and the watchdog that heals it.

A consumer group's leader computes every member's partitions and sends them to the broker in its
SyncGroup request; the broker hands each member its share. The embedded broker (Tansu) keeps the
group's generation when the same members join again, and answers a later SyncGroup of that
generation with the assignment of the *first* one. aiokafka's leader rejoins whenever the
partitions of its topics change (a topic created, partitions added), computes the new
assignment, and is handed back the old one: a consumer that joined while a topic was missing
(after a new, empty broker, before the relays re-created it) never reads that topic, and one that
joined before any of its topics existed holds no partitions for good, its ``/readyz`` "waiting
for partitions" (found in the fault suite's broker case; ``libs/platform/tests/integration/
test_assignment.py`` reproduces it).

:class:`CheckedRoundRobin` is aiokafka's round robin, remembering what it computed as leader; on
the answer it compares. :func:`watch` restarts the subscribers (a new member: the broker starts a
new generation) when the answer has stayed different for ``after_seconds``; it logs a warning and
counts ``wja_consumer_restarts_total``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment, ConsumerProtocolMemberMetadata
from faststream.kafka import KafkaBroker

from wja_platform import metrics

log = logging.getLogger(__name__)


class CheckedRoundRobin(RoundRobinPartitionAssignor):
    """Round robin (same protocol name, so replicas mix) that checks the broker's answer to its leader."""

    def __init__(self) -> None:
        self._computed: list[frozenset[Any]] | None = None
        self.stale_since: float | None = None
        """When the broker's answer first differed from what this member computed as leader (None: it did not)."""
        self.received = 0
        self.expected = 0

    def assign(  # type: ignore[override]
        self, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        result = super().assign(cluster, members)
        self._computed = [frozenset(a.partitions()) for a in result.values()]
        return result

    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:  # type: ignore[override]
        computed, self._computed = self._computed, None
        if computed is None:
            return  # a follower: only the leader knows what it should be, and checks it
        got = frozenset(assignment.partitions())
        if got in computed:
            self.stale_since = None
            return
        self.received, self.expected = len(got), max(len(c) for c in computed)
        if self.stale_since is None:
            self.stale_since = time.monotonic()

    def reset(self) -> None:
        self._computed, self.stale_since = None, None

    def stale_for(self) -> float:
        """Seconds the answer has differed from the computed assignment (0: it does not)."""
        return 0.0 if self.stale_since is None else time.monotonic() - self.stale_since


async def restart_subscribers(broker: KafkaBroker) -> None:
    """Stop and start every subscriber: each leaves its group and joins as a new member."""
    for sub in broker.subscribers:
        await sub.stop()
        await sub.start()


async def watch(
    broker: KafkaBroker,
    assignor: CheckedRoundRobin,
    *,
    service: str,
    group: str,
    after_seconds: float,
    ensure_topics: Callable[[], Awaitable[Any]],
) -> None:
    """Background task: restart the subscribers when the assignment has been stale for ``after_seconds``;
    a restart that failed (the broker away again) is tried again.

    ``ensure_topics`` (the relay's) runs first: a consumer starting waits for its topics to exist.
    """
    failed = False
    while True:
        await asyncio.sleep(min(1.0, after_seconds))
        if not failed and assignor.stale_for() < after_seconds:
            continue
        if not failed:
            log.warning(
                "consumer group %s: the broker assigned %s partitions where this leader computed %s for %.0f s;"
                " restarting the consumer",
                group,
                assignor.received,
                assignor.expected,
                assignor.stale_for(),
            )
            metrics.CONSUMER_RESTARTS.labels(service).inc()
        assignor.reset()
        try:
            await ensure_topics()
            await restart_subscribers(broker)
            failed = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failed = True
            log.warning("consumer group %s: restart failed (%s); trying again", group, type(exc).__name__)
