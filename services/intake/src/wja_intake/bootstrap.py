"""Composition root of the intake service."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from wja_platform.app import Runtime, ServiceSpec, make_app, periodic, rewrap_job
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring, pseudonym_key
from wja_platform.uow import OneStatementUnitOfWork, PgUnitOfWork

from wja_intake.adapters.repository import Repository, allocate_sequence
from wja_intake.adapters.unit_of_work import one_connection
from wja_intake.config import IntakeSettings
from wja_intake.entrypoints import consumers, http
from wja_intake.service_layer import handlers

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: IntakeSettings, *, clock: Clock | None = None) -> ServiceSpec:
    clock = clock or Clock()
    keyring = Keyring.from_settings(settings.data_key, settings.data_key_file, settings.state_dir, settings.env)
    pseudonyms = pseudonym_key(settings.pseudonym_key, settings.pseudonym_key_file, settings.state_dir, settings.env)
    spec = ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router()],
        handler=consumers.handle,
        handles=consumers.HANDLES,
        extra_state={"clock": clock},
        title="Whole Justice intake (police)",
        description="Crime reports, risk, arrest, bail, protective notices, charging requests, the claim check.",
    )

    async def on_start(runtime: Runtime) -> None:
        spec.extra_state["deps"] = handlers.Deps(
            pool=runtime.pool,
            uow=lambda: PgUnitOfWork(runtime.pool, Repository),  # traced as one intake.transaction span
            new_case_uow=lambda: OneStatementUnitOfWork(runtime.pool, Repository),  # the same span, one statement
            clock=clock,
            keyring=keyring,
            default_units=settings.default_units,
            pseudonym_key=pseudonyms,
            next_urn=lambda force, unit, year: allocate_sequence(runtime.pool, force, unit, year),
            one_connection=lambda: one_connection(runtime.pool),
        )

    async def purge(_: Runtime) -> None:
        """Erase contact details of cases closed longer ago than the retention period."""
        erased = await handlers.purge_closed(spec.extra_state["deps"], settings.retention_days)
        if erased:
            log.info("erased the contact details of %s closed cases", erased)

    spec.on_start = on_start
    spec.background = [
        periodic("contact purge", settings.purge_check_seconds, purge),
        rewrap_job(keyring, "victims", settings.rewrap_check_seconds),
    ]
    return spec


def create_app(settings: IntakeSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or IntakeSettings(), clock=clock))
