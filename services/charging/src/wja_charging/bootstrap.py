"""Composition root of the charging service."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from wja_platform.app import Runtime, ServiceSpec, make_app, periodic, purge_job
from wja_platform.clock import Clock
from wja_platform.uow import PgUnitOfWork

from wja_charging.adapters.repository import Repository
from wja_charging.config import ChargingSettings
from wja_charging.entrypoints import consumers, http
from wja_charging.service_layer import handlers, retention

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def build(settings: ChargingSettings, *, clock: Clock | None = None) -> ServiceSpec:
    clock = clock or Clock()
    spec = ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router()],
        handler=consumers.handle,
        handles=consumers.HANDLES,
        extra_state={"clock": clock},
        title="Whole Justice charging (CPS)",
        description="Charging decisions, action plans, Victims' Right to Review, discontinuance.",
    )

    async def on_start(runtime: Runtime) -> None:
        pool = runtime.pool
        spec.extra_state["deps"] = handlers.Deps(
            lambda: PgUnitOfWork(pool, Repository), clock, settings.threshold_review_days
        )

    async def finalise(_: Runtime) -> None:
        """Administratively finalise files whose further material is overdue."""
        done = await handlers.finalise_overdue(spec.extra_state["deps"])
        if done:
            log.info("administratively finalised %s files", len(done))

    async def purge(runtime: Runtime) -> int:
        """Delete files finished longer ago than the retention period."""
        return await retention.purge(runtime.pool, clock.now(), settings.retention_days, settings.purge_batch_size)

    spec.on_start = on_start
    spec.background = [
        periodic("finalisation check", settings.finalisation_check_seconds, finalise),
        purge_job("file purge", settings.purge_check_seconds, purge),
    ]
    return spec


def create_app(settings: ChargingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or ChargingSettings(), clock=clock))
