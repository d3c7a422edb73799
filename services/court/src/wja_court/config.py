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
    consumes: ClassVar[tuple[str, ...]] = (
        "charging",
        "support",
    )
    force_courts: dict[str, list[str]] = {}
    """Force code → courts serving it. With no map, every court with sessions serves every force;
    with a map, a force it does not name has no court (its hearings wait unlisted)."""
    guilty_plea_days: int = 14
    not_guilty_days: int = 28
    trial_after_plea_days: int = 7
    sentencing_after_plea_days: int = 21
    adjourn_days: int = 14
    hearing_weights: dict[str, int] = {"first_hearing": 1, "trial": 3, "sentencing": 1, "other": 1}
