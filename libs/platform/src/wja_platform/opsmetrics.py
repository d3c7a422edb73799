"""The operational gauges of :mod:`wja_platform.metrics`, refreshed by a background task.

Every ``<SVC>_METRICS_REFRESH_SECONDS`` each service reads its own database (outbox backlog and
the age of its oldest unpublished row, open dead letters by kind, parked events), the broker
(its consumer group's lag per partition) and its readiness checks (the same as ``/readyz``).
Nobody has to poll ``/readyz`` for the gauges to be right. Each part fails on its own: a
failure is counted in ``wja_metrics_refresh_errors_total`` (by part) and logged by type only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
from wja_schemas.topics import case_topic, retry_topic

from wja_platform import deadletters, metrics
from wja_platform.lag import LagProbe

if TYPE_CHECKING:
    from wja_platform.app import Runtime

log = logging.getLogger(__name__)


async def outbox_state(pool: asyncpg.Pool) -> tuple[int, float]:
    """Unpublished outbox rows, and the age in seconds of the oldest of them (0 when none)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,"
            " (SELECT extract(epoch FROM now() - created_at) FROM outbox WHERE published_at IS NULL"
            "  ORDER BY id LIMIT 1) AS age"
        )
    return int(row["backlog"]), max(0.0, float(row["age"] or 0.0))


async def parked_depth(pool: asyncpg.Pool, consumer: str) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM parked WHERE consumer = $1", consumer))


class OpsMetrics:
    """Refreshes one service's gauges; ``run()`` is the background task."""

    def __init__(
        self,
        runtime: Runtime,
        readiness: Callable[[Runtime], Awaitable[dict[str, Any]]],
        seconds: float,
    ) -> None:
        self.runtime = runtime
        self.readiness = readiness
        self.seconds = seconds
        settings = runtime.settings
        self.service = settings.service
        self.topics = [case_topic(p) for p in settings.consumes] + [retry_topic(self.service)]
        self.probe = LagProbe(settings.kafka_bootstrap_servers, settings.group_id, client_id=f"wja-{self.service}-lag")
        self._lag_labels: set[tuple[str, str, str, str]] = set()
        metrics.init_service(self.service)

    async def refresh(self) -> None:
        """One refresh of every part."""
        parts: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("outbox", self._outbox),
            ("dead_letters", self._dead_letters),
            ("readiness", self._readiness),
        ]
        if self.runtime.consumer is not None:
            parts += [("parked", self._parked), ("lag", self._lag)]
        for part, step in parts:
            try:
                await step()
            except Exception as exc:
                metrics.REFRESH_ERRORS.labels(self.service, part).inc()
                log.warning("metrics refresh (%s) failed: %s", part, type(exc).__name__)
        metrics.REFRESHED_AT.labels(self.service).set(time.time())

    async def run(self) -> None:
        try:
            while True:
                await self.refresh()
                await asyncio.sleep(self.seconds)
        finally:
            await self.probe.close()

    async def _outbox(self) -> None:
        backlog, age = await outbox_state(self.runtime.pool)
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def _dead_letters(self) -> None:
        by_kind = await deadletters.open_by_kind(self.runtime.pool, self.service)
        for kind in {*metrics.DEAD_LETTER_KINDS, *by_kind}:
            metrics.DEAD_LETTERS_OPEN.labels(self.service, kind).set(by_kind.get(kind, 0))
        metrics.DLQ_DEPTH.labels(self.service).set(sum(by_kind.values()))

    async def _parked(self) -> None:
        metrics.PARKED_DEPTH.labels(self.service).set(await parked_depth(self.runtime.pool, self.service))

    async def _lag(self) -> None:
        group = self.runtime.settings.group_id
        seen: set[tuple[str, str, str, str]] = set()
        for p in await self.probe.lag(self.topics):
            labels = (self.service, group, p.topic, str(p.partition))
            metrics.CONSUMER_LAG.labels(*labels).set(p.lag)
            seen.add(labels)
        for gone in self._lag_labels - seen:
            metrics.CONSUMER_LAG.remove(*gone)
        self._lag_labels = seen

    async def _readiness(self) -> None:
        result = await self.readiness(self.runtime)
        metrics.SERVICE_READY.labels(self.service).set(1 if result["status"] == "ready" else 0)
        for check, value in result["checks"].items():
            metrics.READY_CHECK.labels(self.service, check).set(1 if value == "ok" else 0)
