"""Composition root of the insights projection (read-only)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from wja_platform import web
from wja_platform.app import Runtime, ServiceSpec, make_app, purge_job
from wja_platform.clock import Clock

from wja_insights.config import InsightsSettings
from wja_insights.entrypoints import consumers, http
from wja_insights.service_layer import handlers, retention

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: InsightsSettings, *, clock: Clock | None = None) -> ServiceSpec:
    clock = clock or Clock()

    async def purge(runtime: Runtime) -> int:
        """Replace per-case rows past retention by the counts they add to."""
        return await retention.purge(runtime.pool, clock.now(), settings.retention_days, settings.purge_batch_size)

    spec = ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router(), web.signin_router("insights")],
        handler=consumers.handle,
        batched=consumers.BATCHED,
        background=[purge_job("per-case purge", settings.purge_check_seconds, purge)],
        extra_state={"clock": clock},
        title="Whole Justice insights",
        description="Outcome measures computed from the event log.",
    )

    async def on_start(runtime: Runtime) -> None:
        spec.extra_state["deps"] = handlers.Deps(runtime.pool, clock, settings.group_id)

    spec.on_start = on_start
    return spec


def create_app(settings: InsightsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or InsightsSettings(), clock=clock))
