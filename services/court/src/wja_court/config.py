"""Settings of the court service (environment prefix `COURT_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from wja_platform.settings import ServiceSettings


class CourtSettings(ServiceSettings):
    """The court service's settings; defaults are the embedded stack's."""

    model_config = SettingsConfigDict(env_prefix="COURT_", extra="ignore")

    service: ClassVar[str] = "court"
    default_port: ClassVar[int] = 8103
    consumes: ClassVar[tuple[str, ...]] = ("charging", "support",)
