"""Settings of the insights service (environment prefix `INSIGHTS_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from wja_platform.settings import ServiceSettings


class InsightsSettings(ServiceSettings):
    """The insights service's settings; defaults are the embedded stack's."""

    service: ClassVar[str] = "insights"
    default_port: ClassVar[int] = 8105
    consumes: ClassVar[tuple[str, ...]] = ("intake", "charging", "court", "support")
    retention_days: int = Field(default=730, ge=0)
    """A case's per-case rows are replaced by counts once its latest fact is this old (2 years:
    our default, see the README)."""
    purge_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the purge of per-case rows past retention runs."""
