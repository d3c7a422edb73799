"""Settings of the charging service (environment prefix `CHARGING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from wja_platform.settings import ServiceSettings


class ChargingSettings(ServiceSettings):
    """The charging service's settings; defaults are the embedded stack's."""

    service: ClassVar[str] = "charging"
    default_port: ClassVar[int] = 8102
    consumes: ClassVar[tuple[str, ...]] = ("intake", "support")
    threshold_review_days: int = 28
    """Days after a Threshold Test charge by which the Full Code Test must be applied."""
    finalisation_check_seconds: float = 60.0
    """How often overdue action plans are looked for."""
    retention_days: int = Field(default=2555, ge=0)
    """A file is deleted this long after the CPS last acted on it (decision, discontinuance,
    review), once it is decided or administratively finalised with no review open (7 years:
    our default, see the README)."""
    purge_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the purge of files past retention runs."""
