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

The same watchdog heals a consumer that lost its group's coordinator and never found it again
(:func:`coordinator_lost`): once, in a full test run, support's consumer logged "Marking the coordinator
dead" after the broker was killed and replaced, then never discovered the new broker's coordinator nor
rejoined, while the other services rejoined within a second; it kept its old assignment, so ``/readyz``
said ready (docs/reliability.md). Now ``/readyz`` says so, and after ``lost_after_seconds`` with the broker
answering, the consumer is restarted: its stuck coordination routine is cancelled first, as aiokafka's
``stop()`` would wait for it.
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


def coordinator_lost(consumer: Any) -> bool:
    """True when a started consumer has no coordinator for its group: aiokafka marked it dead and has not
    discovered one since, or its coordination routine ended (then nothing would ever rejoin). aiokafka has no
    public flag for either, so this reads its ``GroupCoordinator``; a consumer not started (None) is not lost."""
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "coordinator_id"):
        return False  # not started, or not in a group
    routine = getattr(coordinator, "_coordination_task", None)
    return coordinator.coordinator_id is None or (routine is not None and routine.done())


def lost_state(consumer: Any) -> str:
    """What aiokafka's insides show of a consumer without its coordinator, for the restart's log line: whether its
    coordination routine and its client's metadata task still run (and how each ended), and whether a coordinator
    lookup or a new connection is under way. The cause of the loss seen on 3 December was not found
    (docs/reliability.md, "Limits"): a lookup waiting on a metadata update whose task has ended, or on a connection
    that never opens, would wait for ever; this says which it was."""
    coordinator = getattr(consumer, "_coordinator", None)
    tasks = (
        ("coordination routine", getattr(coordinator, "_coordination_task", None)),
        ("metadata task", getattr(getattr(consumer, "_client", None), "_sync_task", None)),
    )
    parts = [f"{name} {_task_state(task)}" for name, task in tasks]
    lock = getattr(coordinator, "_coordinator_lookup_lock", None)
    if lock is not None:
        parts.append("a coordinator lookup under way" if lock.locked() else "no coordinator lookup under way")
    opening = getattr(getattr(consumer, "_client", None), "_get_conn_lock_value", None)  # made on first use
    if opening is not None and opening.locked():
        parts.append("a connection being opened")  # one that never opens holds up every new connection
    return ", ".join(parts)


def _task_state(task: asyncio.Task[Any] | None) -> str:
    if task is None:
        return "absent"
    if not task.done():
        return "running"
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    return "ended" if exc is None else f"ended with {exc!r:.200}"


def _consumers(broker: KafkaBroker) -> list[Any]:
    return [getattr(sub, "consumer", None) for sub in broker.subscribers]


def any_lost(broker: KafkaBroker) -> bool:
    """True when some subscriber's consumer has no coordinator for its group (:func:`coordinator_lost`)."""
    return any(coordinator_lost(consumer) for consumer in _consumers(broker))


class LostCoordinator:
    """How long some subscriber of a broker has been without its group's coordinator (:func:`coordinator_lost`)."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker
        self.since: float | None = None

    def lost_for(self) -> float:
        """Seconds since a subscriber was first seen without its coordinator (0: none is, now)."""
        if not any_lost(self.broker):
            self.since = None
            return 0.0
        now = time.monotonic()
        if self.since is None:
            self.since = now
        return now - self.since


STOP_SECONDS = 10.0
"""How long a subscriber may take to stop before the restart counts as failed (and is tried again)."""


async def end_lost_coordination(broker: KafkaBroker) -> None:
    """Cancel the coordination routine of every consumer without its coordinator (:func:`coordinator_lost`):
    aiokafka's ``stop()`` waits for that routine, and one stuck looking for the coordinator would keep it waiting.
    A client's metadata task that ended with an exception is let go too: closing the client awaits that task and
    raises its exception again, so the stop would fail (the restart's log line has already named it)."""
    for consumer in _consumers(broker):
        if coordinator_lost(consumer):
            routine = consumer._coordinator._coordination_task
            routine.cancel()
            await asyncio.wait([routine])  # not `await routine`: its cancellation must not read as this task's
            metadata = getattr(consumer._client, "_sync_task", None)
            if metadata is not None and metadata.done():
                if not metadata.cancelled():
                    metadata.exception()  # retrieved, so asyncio does not report it again when the task goes
                consumer._client._sync_task = None


async def restart_subscribers(broker: KafkaBroker) -> None:
    """Stop and start every subscriber: each leaves its group and joins as a new member."""
    await end_lost_coordination(broker)
    for sub in broker.subscribers:
        async with asyncio.timeout(STOP_SECONDS):
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
    lost_after_seconds: float = 15.0,
    broker_down: Callable[[], Awaitable[str | None]] | None = None,
) -> None:
    """Background task: restart the subscribers when the assignment has been stale for ``after_seconds``, or
    a subscriber has been without its group's coordinator for ``lost_after_seconds`` while the broker answers
    (``broker_down()`` is None; during an outage nobody finds a coordinator, and a restart would not help: the count
    starts again when the broker answers); a restart that failed (the broker away again) is tried again.

    ``ensure_topics`` (the relay's) runs first: a consumer starting waits for its topics to exist.
    """
    failed = False
    lost = LostCoordinator(broker)
    while True:
        await asyncio.sleep(min(1.0, after_seconds, lost_after_seconds))
        lost_for = lost.lost_for()
        if lost_for and broker_down is not None and await broker_down() is not None:
            lost.since, lost_for = None, 0.0  # nobody finds a coordinator while the broker is away: count from then
        if not failed:
            if assignor.stale_for() >= after_seconds:
                log.warning(
                    "consumer group %s: the broker assigned %s partitions where this leader computed %s for %.0f s;"
                    " restarting the consumer",
                    group,
                    assignor.received,
                    assignor.expected,
                    assignor.stale_for(),
                )
            elif lost_for >= lost_after_seconds:
                states = [lost_state(c) for c in _consumers(broker) if coordinator_lost(c)]
                log.warning(
                    "consumer group %s: no group coordinator for %.0f s while the broker answers (%s);"
                    " restarting the consumer",
                    group,
                    lost_for,
                    "; ".join(states),
                )
            else:
                continue
            metrics.CONSUMER_RESTARTS.labels(service).inc()
        assignor.reset()
        lost.since = None
        try:
            await ensure_topics()
            await restart_subscribers(broker)
            failed = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failed = True
            log.warning("consumer group %s: restart failed (%s); trying again", group, type(exc).__name__)
