"""Settings of the support service (environment prefix `SUPPORT_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from wja_platform.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    """The support service's settings; defaults are the embedded stack's."""

    model_config = SettingsConfigDict(env_prefix="SUPPORT_", extra="ignore")

    service: ClassVar[str] = "support"
    default_port: ClassVar[int] = 8104
    consumes: ClassVar[tuple[str, ...]] = ("intake", "charging", "court", "support",)
