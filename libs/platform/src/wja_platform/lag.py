"""Consumer lag: how far a consumer group's committed offsets are behind the end of each partition.

Read from the broker (the group's committed offsets and each partition's end offset), so it is
right even when the consuming service is stopped or hung. A partition the group has never
committed on counts from its first retained offset (the consumers start at the earliest).
The committed offsets of every partition are read in one request of the admin client, which never
joins the group (no rebalance of the real consumers); the partitions' first and end offsets by a
consumer with no group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class PartitionLag:
    """One partition of one group: its committed offset (None: never committed), first and end offsets."""

    group: str
    topic: str
    partition: int
    committed: int | None
    start: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - (self.start if self.committed is None else max(self.committed, self.start)))


class LagProbe:
    """Measures one group's lag; keeps its broker clients open between calls (``close()`` ends them)."""

    def __init__(self, bootstrap_servers: str, group: str, *, client_id: str = "wja-lag") -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group = group
        self.client_id = client_id
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._reader is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id=self.client_id)
            reader = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                enable_auto_commit=False,
            )
            try:
                await admin.start()
                await reader.start()
            except BaseException:
                await _quietly_close(admin, reader)
                raise
            self._admin, self._reader = admin, reader
        return self._admin, self._reader

    async def close(self) -> None:
        admin, reader, self._admin, self._reader = self._admin, self._reader, None, None
        await _quietly_close(admin, reader)

    async def lag(self, topics: Iterable[str]) -> list[PartitionLag]:
        """The group's lag on every partition of ``topics`` (those that exist).

        A failure closes the clients (the next call opens new ones) and is raised.
        """
        try:
            admin, reader = await self._clients()
            wanted = sorted(set(topics))
            described = await admin.describe_topics(wanted) if wanted else []
            partitions = [
                TopicPartition(t["topic"], p["partition"])
                for t in sorted(described, key=lambda t: t["topic"])
                if t["error_code"] == 0
                for p in sorted(t["partitions"], key=lambda p: p["partition"])
            ]
            if not partitions:
                return []
            ends = await reader.end_offsets(partitions)
            starts = await reader.beginning_offsets(partitions)
            found = await admin.list_consumer_group_offsets(self.group, partitions=partitions)  # one request
            committed = {tp: found[tp].offset if tp in found and found[tp].offset >= 0 else None for tp in partitions}
        except BaseException:
            await self.close()
            raise
        return [
            PartitionLag(self.group, tp.topic, tp.partition, committed[tp], starts[tp], ends[tp]) for tp in partitions
        ]


async def _quietly_close(admin: AIOKafkaAdminClient | None, reader: AIOKafkaConsumer | None) -> None:
    """Close what was opened; a client that fails to close is dropped (nothing more can be done)."""
    for step in (admin.close() if admin else None, reader.stop() if reader else None):
        if step is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(step, 5)
