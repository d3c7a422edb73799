"""Settings of the insights service (environment prefix `INSIGHTS_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict
from wja_platform.settings import ServiceSettings


class InsightsSettings(ServiceSettings):
    """The insights service's settings; defaults are the embedded stack's."""

    model_config = SettingsConfigDict(env_prefix="INSIGHTS_", extra="ignore")

    service: ClassVar[str] = "insights"
    default_port: ClassVar[int] = 8105
    consumes: ClassVar[tuple[str, ...]] = (
        "intake",
        "charging",
        "court",
        "support",
    )
