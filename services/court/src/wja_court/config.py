"""Settings of the court service (environment prefix `COURT_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from wja_platform.settings import ServiceSettings


class CourtSettings(ServiceSettings):
    """The court service's settings; defaults are the embedded stack's."""

    service: ClassVar[str] = "court"
    default_port: ClassVar[int] = 8103
    consumes: ClassVar[tuple[str, ...]] = ("charging", "support")
    force_courts: dict[str, list[str]] = {}
    """Force code → courts serving it. With no map, every court with sessions serves every force;
    with a map, a force it does not name has no court (its hearings wait unlisted)."""
    guilty_plea_days: int = 14
    not_guilty_days: int = 28
    trial_after_plea_days: int = 7
    sentencing_after_plea_days: int = 21
    adjourn_days: int = 14
    hearing_weights: dict[str, int] = {"first_hearing": 1, "trial": 3, "sentencing": 1, "other": 1}
    retention_days: int = Field(default=2555, ge=0)
    """A case is deleted this long after it ended at court (sentence, acquittal or dismissal,
    discontinuance), and never while a restraining order is in force or within this long of its
    end (7 years: our default, see the README)."""
    purge_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the purge of cases past retention runs."""
