"""Events produced by the support (CJ IDVA) service on topic ``wja.support.case.v1``.

Key: the case URN. Consumers: intake (IDVA assigned: may use the claim check), charging (IDVA
assigned: may ask for a VRR), court (special-measures and familiarisation requests), support
itself (its projection reads every topic, its own included), insights (everything). Add fields;
never rename or remove; a breaking change is a new ``.v2`` type published alongside. IDVA notes
never leave support.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from wja_schemas.base import Event, register
from wja_schemas.types import Channel, Code, ConditionCode, ForceCode, OpaqueId, SpecialMeasure, UtcDatetime


class SupportEvent(Event):
    """Base of the events support produces."""

    producer: ClassVar[str] = "support"


@register
class IdvaAssigned(SupportEvent):
    """Emitted when an IDVA is assigned (or reassigned) to a referred victim's case.

    ``idva_id`` is the IDVA's roster id (the ``sub`` of their token), not a person's name.

    Key: the case URN. Consumers: intake (the assigned IDVA may read the claim check, within
    ``idva_forces``), charging (who may ask for a Victims' Right to Review), support (caseload),
    insights.
    """

    ce_type: ClassVar[str] = "wja.support.idva.assigned.v1"

    idva_id: OpaqueId = Field(description="The IDVA's roster id (their token's sub), never a name.")
    team: Code = Field(default="default", description="The IDVA's team (a manager sees their team's cases).")
    force_code: ForceCode | None = None
    idva_forces: list[ForceCode] | None = Field(
        default=None,
        description="The forces on the IDVA's roster entry: the claim check admits the IDVA only for a case of"
        " one of them (absent in events from before this field: such an assignment admits nobody).",
    )
    assigned_at: UtcDatetime


@register
class VictimInformed(SupportEvent):
    """Emitted when an IDVA records that the victim was told about timeline entries.

    ``about`` lists the ce_ids of the entries; ``on_time``/``late`` count them against their
    Victims' Code deadlines. ``told_by`` is a duty holder (police, cps, wcu, court) or ``idva``.

    Key: the case URN. Consumers: support (timeline), insights (share told within the deadline).
    """

    ce_type: ClassVar[str] = "wja.support.victim.informed.v1"

    about: list[OpaqueId] = Field(min_length=1, description="The ce_ids of the timeline entries the victim was told.")
    channel: Channel
    told_at: UtcDatetime
    told_by: Code = Field(default="idva", description="Who told the victim: police, cps, wcu, court or idva.")
    on_time: int = Field(default=0, ge=0, description="How many of the entries were told by their deadline.")
    late: int = Field(default=0, ge=0, description="How many were told after their deadline.")


@register
class SpecialMeasuresRequested(SupportEvent):
    """Emitted when the IDVA asks for special measures for the victim.

    Key: the case URN. Consumers: court (decides the application), support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.support.special_measures.requested.v1"

    request_id: OpaqueId = Field(description="The request's id, minted by support (echoed by court's decision).")
    measures: list[SpecialMeasure] = Field(min_length=1, description="The measures asked for.")
    requested_at: UtcDatetime


@register
class FamiliarisationRequested(SupportEvent):
    """Emitted when the IDVA asks for a pre-trial familiarisation visit to the court.

    Key: the case URN. Consumers: court (arranges the visit), support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.support.familiarisation.requested.v1"

    request_id: OpaqueId = Field(description="The request's id, minted by support.")
    hearing_id: OpaqueId | None = Field(default=None, description="The hearing the visit prepares for.")
    requested_at: UtcDatetime


@register
class WishesRecorded(SupportEvent):
    """Emitted when the victim's wishes are recorded (e.g. a restraining order sought, as codes).

    Key: the case URN. Consumers: support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.support.wishes.recorded.v1"

    restraining_order_sought: bool
    conditions_sought: list[ConditionCode] = Field(
        default_factory=list, description="Conditions the victim wants in an order, as codes."
    )
    wishes_to_pursue: bool | None = Field(default=None, description="Whether the victim wishes the case to go ahead.")
    recorded_at: UtcDatetime


@register
class PersonalStatementRecorded(SupportEvent):
    """Emitted when a Victim Personal Statement has been made (its content never travels).

    Key: the case URN. Consumers: support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.support.personal_statement.recorded.v1"

    will_read_in_court: bool | None = Field(default=None, description="Whether the victim wishes to read it aloud.")
    recorded_at: UtcDatetime


@register
class SupportClosed(SupportEvent):
    """Emitted when IDVA support closes (post-trial, or earlier); says whether the VCS was offered.

    Key: the case URN. Consumers: support (stage closed), insights.
    """

    ce_type: ClassVar[str] = "wja.support.support.closed.v1"

    reason: Code = Field(description="Why support closed, as a code (e.g. post_trial, victim_declined).")
    vcs_offered: bool = Field(default=False, description="Whether the Victim Contact Scheme was offered.")
    closed_at: UtcDatetime
