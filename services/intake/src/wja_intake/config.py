"""Settings of the intake service (environment prefix `INTAKE_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from wja_platform.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """The intake service's settings; defaults are the embedded stack's."""

    service: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8101
    consumes: ClassVar[tuple[str, ...]] = ("charging", "support")
    default_units: dict[str, str] = {}
    """Force code → its default unit (a report may name another); ``YE`` when a force has none."""
    pseudonym_key: str = ""
    """Key of the victim_ref pseudonym, a secret of its own (never derived from the data key, which
    rotates); must not change once cases exist. Dev mode: generated under the state directory."""
    pseudonym_key_file: Path | None = None
    """A file holding the pseudonym key (compose: ``/run/secrets/pseudonym_key``)."""
    retention_days: int = 2555
    """Contact details of cases closed this long ago are purged (7 years by default)."""
    purge_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the purge of contact details past retention runs."""
