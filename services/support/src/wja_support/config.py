"""Settings of the support service (environment prefix `SUPPORT_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from wja_platform.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    """The support service's settings; defaults are the embedded stack's."""

    service: ClassVar[str] = "support"
    default_port: ClassVar[int] = 8104
    consumes: ClassVar[tuple[str, ...]] = (
        "intake",
        "charging",
        "court",
        "support",
    )
    idva_roster: list[dict] = [
        {"sub": "idva-1", "team": "default", "forces": ["01"]},
        {"sub": "idva-2", "team": "default", "forces": ["01"]},
    ]
    """The IDVAs: their token ``sub``, team and the forces they serve (more via ``POST /v1/idvas``)."""
    notice_working_days: dict[str, list] = {
        "wja.intake.suspect.arrested.v1": ["police", 1],
        "wja.intake.suspect.interviewed.v1": ["police", 1],
        "wja.intake.bail.decided.v1": ["police", 1],
        "wja.intake.protective_notice.issued.v1": ["police", 1],
        "wja.charging.decision.made.v1": ["cps", 1],
        "wja.charging.review.decided.v1": ["cps", 1],
        "wja.charging.proceedings.discontinued.v1": ["cps", 1],
        "wja.court.hearing.listed.v1": ["wcu", 1],
        "wja.court.hearing.vacated.v1": ["wcu", 1],
        "wja.court.bail.decided.v1": ["wcu", 1],
        "wja.court.special_measures.decided.v1": ["wcu", 1],
        "wja.court.hearing.resulted.v1:guilty_plea": [["court", 5], ["wcu", 1]],
        "wja.court.verdict.recorded.v1": [["court", 5], ["wcu", 1]],
        "wja.court.sentence.imposed.v1": [["court", 5], ["wcu", 1]],
        "wja.court.restraining_order.made.v1": ["wcu", 1],
    }
    """Event type → [duty holder, working days to tell the victim], or a chain of such steps, each counted
    from the previous step's deadline. An outcome (conviction by guilty plea, verdict, sentence): the court
    tells the WCU within 5 working days, the WCU tells the victim 1 working day after receiving it
    (Victims' Code Right 9). A hearing result creates a duty only as ``…resulted.v1:guilty_plea``."""
    contact_retention_days: int = Field(default=90, ge=0)
    """Support's copy of a victim's contact details is deleted this long after support closed."""
    retention_days: int = Field(default=2190, ge=0)
    """A case's timeline, obligations and record here are deleted this long after it finished:
    support closed, or (never assigned to an IDVA) the police closed it; counted from the later
    of that and the case's last timeline entry (6 years: our default, see the README)."""
    purge_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the purges (contact copy, then whole cases past retention) run."""
    contact_retry_max_seconds: float = 300.0
    contact_poll_seconds: float = 1.0
    claim_check_timeout_seconds: float = 5.0
