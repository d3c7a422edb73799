"""Composition root of the IDVA support service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from wja_platform import auth, web
from wja_platform.app import BackgroundJob, Runtime, ServiceSpec, make_app, periodic, purge_job, rewrap_job
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring

from wja_support import views
from wja_support.adapters import metrics
from wja_support.adapters.repository import Repository
from wja_support.config import SupportSettings
from wja_support.domain import model
from wja_support.entrypoints import consumers, http, ui
from wja_support.service_layer import handlers, referrals, retention
from wja_support.service_layer.referrals import ClaimCheck

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: SupportSettings, *, clock: Clock | None = None) -> ServiceSpec:
    clock = clock or Clock()
    keyring = Keyring.from_settings(settings.data_key, settings.data_key_file, settings.state_dir, settings.env)
    state: dict[str, Any] = {"clock": clock}
    spec = ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router(), web.signin_router("IDVA", ui.signin_page), ui.build_router()],
        handler=consumers.make_handler(settings.notice_working_days),
        batched=consumers.make_batched(settings.notice_working_days),
        extra_state=state,
        title="Whole Justice support (CJ IDVA)",
        description="Referral, caseload, the case timeline and the Victims' Code deadlines.",
    )

    async def on_start(runtime: Runtime) -> None:
        async with runtime.pool.acquire() as conn:
            for idva in settings.idva_roster:
                await Repository(conn).upsert_idva(idva["sub"], idva.get("team", "default"), idva.get("forces", []))
        deps = state["deps"] = handlers.Deps(runtime.pool, clock, keyring)
        state["claim_check"] = claim_check(settings, deps)

    spec.on_start = on_start
    spec.background = background_jobs(settings, state, keyring)
    return spec


def claim_check(settings: SupportSettings, deps: handlers.Deps) -> ClaimCheck:
    """Intake's claim check, asked with a short-lived service token of support's own."""
    key = auth.signing_key(settings)
    return ClaimCheck(
        deps.uow,
        deps.keyring,
        settings.intake_url,
        lambda: auth.mint(
            key,
            sub="wja-support",
            agency="idva",
            role="service",
            ttl_seconds=300,
            algorithm=settings.jwt_algorithm,
        ),
        timeout=settings.claim_check_timeout_seconds,
        max_backoff=settings.contact_retry_max_seconds,
    )


def background_jobs(settings: SupportSettings, state: dict[str, Any], keyring: Keyring) -> list[BackgroundJob]:
    clock: Clock = state["clock"]

    async def fetch_contacts(_: Runtime) -> None:
        """Fetch referred victims' contact details from intake; failures retry with backoff."""
        await state["claim_check"].run_due(clock.now())

    async def purge(_: Runtime) -> None:
        """Delete support's copy of contact details a retention period after support closed."""
        erased = await referrals.purge_closed(state["deps"].uow(), clock.now(), settings.contact_retention_days)
        if erased:
            log.info("erased the contact details of %s cases whose support closed", erased)

    async def purge_cases(runtime: Runtime) -> int:
        """Delete whole cases (timeline, contact copy, record) finished longer ago than retention."""
        return await retention.purge(runtime.pool, clock.now(), settings.retention_days, settings.purge_batch_size)

    duty_holders = model.victim_tellers(settings.notice_working_days)

    async def obligation_metrics(runtime: Runtime) -> None:
        """The wja_obligations_due / _overdue gauges, by duty holder."""
        async with runtime.pool.acquire() as conn:
            metrics.record(await views.obligation_counts(conn, clock.now()), duty_holders)

    return [
        periodic("claim check round", settings.contact_poll_seconds, fetch_contacts),
        periodic("contact purge", settings.purge_check_seconds, purge),
        purge_job("case purge", settings.purge_check_seconds, purge_cases),
        rewrap_job(keyring, "contacts", settings.rewrap_check_seconds),
        periodic("obligation metrics", settings.metrics_refresh_seconds, obligation_metrics),
    ]


def create_app(settings: SupportSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or SupportSettings(), clock=clock))
