"""Request-model building blocks shared by the services' HTTP APIs.

Request bodies refuse what they do not document: unknown fields (``extra="forbid"``), numbers or
booleans given as another type (``false`` is not a capacity, ``"3"`` is not a count), times
or dates given as anything but ISO 8601 text (a bare number is not a timestamp), and times or dates
outside the years 1900 to 2999.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt
from wja_schemas.types import URN_PATTERN

from wja_platform import telemetry

__all__ = ["Body", "CaseUrn", "IsoDate", "IsoDatetime", "StrictBool", "StrictInt", "app_deps"]


class Body(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _iso_text(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        raise ValueError("must be ISO 8601 text, e.g. 2026-09-14 or 2026-09-14T10:00:00Z")
    return value


YEARS = range(1900, 3000)
"""The years a time or date may fall in. Python's dates end with 9999-12-31: a notice issued on that day had its
48-hour deadline computed past it, an OverflowError and a 500 (found by schemathesis in `make faults`, 3 December
2026). Every deadline and period the services compute from a given time stays far inside Python's range from here."""


def _in_years(value: Any) -> Any:
    if value.year not in YEARS:
        raise ValueError(f"must be in the years {YEARS.start} to {YEARS.stop - 1}")
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_years)]
"""A time with its UTC offset, as RFC 3339 text, in the years 1900 to 2999."""
IsoDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_years)]
"""A calendar date, as ISO 8601 text (YYYY-MM-DD), in the years 1900 to 2999."""


async def _case_urn(urn: Annotated[str, Path(pattern=URN_PATTERN)]) -> str:
    telemetry.set_case_urn(urn)
    return urn


Purpose = Annotated[str, Query(min_length=3, max_length=80, pattern=r"^[a-z_ ]+$")]
"""Why a caller reads a victim's contact details (``?purpose=``): audited with the read, so a short plain
phrase (``safety_planning``), never free text that could carry personal data."""

CaseUrn = Annotated[str, Depends(_case_urn)]
"""The ``{urn}`` path parameter: checked against the URN pattern, and the request's spans tagged with it."""


async def app_deps(request: Request) -> Any:
    """The service's ``Deps`` (set on ``app.state.deps`` at start-up), for a typed dependency::

        Deps = Annotated[handlers.Deps, Depends(app_deps)]

    ``async`` so that FastAPI does not run it in a worker thread (as it does a plain ``def``).
    """
    return request.app.state.deps


def router(tag: str, *groups: Callable[[APIRouter], None]) -> APIRouter:
    """A service's ``/v1`` API, its routes added group by group (each group a function of the router)."""
    api = APIRouter(prefix="/v1", tags=[tag])
    for add_routes in groups:
        add_routes(api)
    return api
