"""Composition root of the court listing service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from wja_platform.app import Runtime, ServiceSpec, make_app, purge_job
from wja_platform.clock import Clock

from wja_court.config import CourtSettings
from wja_court.domain.model import ListingRules
from wja_court.entrypoints import consumers, http
from wja_court.service_layer import handlers, retention
from wja_court.service_layer.listing import Listing

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def rules(settings: CourtSettings) -> ListingRules:
    return ListingRules(
        settings.guilty_plea_days,
        settings.not_guilty_days,
        settings.trial_after_plea_days,
        settings.sentencing_after_plea_days,
        settings.adjourn_days,
        dict(settings.hearing_weights),
    )


def build(settings: CourtSettings, *, clock: Clock | None = None) -> ServiceSpec:
    clock = clock or Clock()
    state: dict = {"clock": clock}
    spec = ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router()],
        handler=consumers.make_handler(state),
        handles=consumers.HANDLES,
        extra_state=state,
        title="Whole Justice court (SDAC listing)",
        description="Sessions with capacity, hearings, results, verdicts, sentences, orders.",
    )

    async def on_start(runtime: Runtime) -> None:
        state["deps"] = handlers.Deps(runtime.pool, clock, Listing(rules(settings), settings.force_courts))

    async def purge(runtime: Runtime) -> int:
        """Delete cases that ended at court longer ago than the retention period."""
        return await retention.purge(runtime.pool, clock.now(), settings.retention_days, settings.purge_batch_size)

    spec.on_start = on_start
    spec.background = [purge_job("case purge", settings.purge_check_seconds, purge)]
    return spec


def create_app(settings: CourtSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or CourtSettings(), clock=clock))
