"""What the IDVA asks support to do: the API's request bodies, which the pages check their forms with too."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from wja_platform.api import Body, IsoDatetime, StrictBool
from wja_schemas.types import Channel, ConditionCode, SpecialMeasure, Teller


class Contact(Body):
    about: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=100, description="The ids of the timeline entries the victim was told about."
    )
    channel: Channel
    at: IsoDatetime
    told_by: Teller | None = Field(
        default=None, description="Who told the victim (default: your agency). An entry is recorded as told once."
    )


class Measures(Body):
    measures: list[SpecialMeasure] = Field(min_length=1)


class Wishes(Body):
    restraining_order_sought: StrictBool
    conditions_sought: list[ConditionCode] = Field(default_factory=list)
    wishes_to_pursue: StrictBool | None = None


class Statement(Body):
    will_read_in_court: StrictBool | None = None


CloseReason = Literal["post_trial", "victim_choice", "no_contact", "moved_area", "other"]
"""Why support closed (support's own codes; the event carries them as a ``Code``)."""


class Closure(Body):
    reason: CloseReason
    vcs_opt_in: StrictBool = False


class IdvaIn(Body):
    sub: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    team: str = Field(default="default", pattern=r"^[A-Za-z0-9_\-]{1,40}$")
    forces: list[Annotated[str, Field(pattern=r"^[0-9]{2}$")]] = Field(min_length=1)


class Assignment(Body):
    idva: str = Field(max_length=64)
