"""Composition root of the insights projection (read-only)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from wja_platform import web
from wja_platform.app import ServiceSpec, make_app
from wja_platform.clock import Clock

from wja_insights.config import InsightsSettings
from wja_insights.entrypoints import consumers, http

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: InsightsSettings, *, clock: Clock | None = None) -> ServiceSpec:
    return ServiceSpec(
        settings=settings,
        migrations=MIGRATIONS,
        routers=[http.build_router(), web.signin_router("insights")],
        handler=consumers.handle,
        extra_state={"clock": clock or Clock()},
        title="Whole Justice insights",
        description="Outcome measures computed from the event log.",
    )


def create_app(settings: InsightsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return make_app(build(settings or InsightsSettings(), clock=clock))
