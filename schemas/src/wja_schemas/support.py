"""Events produced by the support (CJ IDVA) service on topic ``wja.support.case.v1``.

Key: the case URN. Consumers: intake (IDVA assigned: may use the claim check), court
(special-measures and familiarisation requests), insights (notifications within deadline).
Add fields; never rename or remove; a breaking change is a new ``.v2`` type published alongside.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from wja_schemas.base import Event, register
from wja_schemas.types import Channel, Code, ConditionCode, ForceCode, SpecialMeasure, UtcDatetime


class SupportEvent(Event):
    """Base of the events support produces."""

    producer: ClassVar[str] = "support"


@register
class IdvaAssigned(SupportEvent):
    """Emitted when an IDVA is assigned (or reassigned) to a referred victim's case.

    ``idva_id`` is the IDVA's roster id (the ``sub`` of their token), not a person's name.
    Consumers: intake (the assigned IDVA may read the claim check), insights.
    """

    ce_type: ClassVar[str] = "wja.support.idva.assigned.v1"

    idva_id: str = Field(max_length=64)
    team: Code = "default"
    force_code: ForceCode | None = None
    assigned_at: UtcDatetime


@register
class VictimInformed(SupportEvent):
    """Emitted when an IDVA records that the victim was told about timeline entries.

    ``about`` lists the ce_ids of the entries; ``on_time``/``late`` count them against their
    Victims' Code deadlines. Consumers: insights (share told within the deadline).
    """

    ce_type: ClassVar[str] = "wja.support.victim.informed.v1"

    about: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1)
    channel: Channel
    told_at: UtcDatetime
    told_by: Code = "idva"
    on_time: int = Field(default=0, ge=0)
    late: int = Field(default=0, ge=0)


@register
class SpecialMeasuresRequested(SupportEvent):
    """Emitted when the IDVA asks for special measures for the victim. Consumers: court, insights."""

    ce_type: ClassVar[str] = "wja.support.special_measures.requested.v1"

    request_id: str = Field(max_length=64)
    measures: list[SpecialMeasure] = Field(min_length=1)
    requested_at: UtcDatetime


@register
class FamiliarisationRequested(SupportEvent):
    """Emitted when the IDVA asks for a pre-trial familiarisation visit. Consumers: court, insights."""

    ce_type: ClassVar[str] = "wja.support.familiarisation.requested.v1"

    request_id: str = Field(max_length=64)
    hearing_id: str | None = Field(default=None, max_length=64)
    requested_at: UtcDatetime


@register
class WishesRecorded(SupportEvent):
    """Emitted when the victim's wishes are recorded (e.g. a restraining order sought, as codes).

    Consumers: charging, court, insights.
    """

    ce_type: ClassVar[str] = "wja.support.wishes.recorded.v1"

    restraining_order_sought: bool
    conditions_sought: list[ConditionCode] = Field(default_factory=list)
    wishes_to_pursue: bool | None = None
    recorded_at: UtcDatetime


@register
class PersonalStatementRecorded(SupportEvent):
    """Emitted when a Victim Personal Statement has been made (its content never travels).

    Consumers: court, insights.
    """

    ce_type: ClassVar[str] = "wja.support.personal_statement.recorded.v1"

    will_read_in_court: bool | None = None
    recorded_at: UtcDatetime


@register
class SupportClosed(SupportEvent):
    """Emitted when IDVA support closes (post-trial, or earlier); says whether the VCS was offered.

    Consumers: insights.
    """

    ce_type: ClassVar[str] = "wja.support.support.closed.v1"

    reason: Code
    vcs_offered: bool = False
    closed_at: UtcDatetime
