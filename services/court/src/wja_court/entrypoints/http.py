"""The court HTTP API: sessions, hearings, results, verdicts, sentences, orders, special measures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from wja_platform import api, auth
from wja_platform.api import Body, CaseUrn, IsoDate, IsoDatetime, StrictBool, StrictInt, app_deps
from wja_platform.auth import Principal
from wja_schemas.types import (
    ConditionCode,
    CourtBailKind,
    Disposal,
    HearingResult,
    SpecialMeasure,
    Verdict,
)

from wja_court import views
from wja_court.service_layer import commands as cmd
from wja_court.service_layer import handlers

Court = Annotated[Principal, Depends(auth.require("court"))]
"""journey.md section 3, "court": every court role but analyst (staff and court systems)."""
Reader = Annotated[Principal, Depends(auth.require("court", "cps"))]
Id = Annotated[str, Field(max_length=64)]


CAPACITY = (
    "Listing units the session can take (not a count of hearings). Each hearing takes units by its type"
    " (setting COURT_HEARING_WEIGHTS; default: trial 3, first_hearing 1, sentencing 1, other 1), so a"
    " capacity of 6 holds six first hearings, or two trials, or one trial and three first hearings."
    " A hearing is listed in the earliest session with at least its units free."
)


class SessionIn(Body):
    court_code: str = Field(pattern=r"^[A-Z0-9]{2,10}$", description="The court sitting the session.")
    starts_at: IsoDatetime = Field(description="When the session sits (RFC 3339 with offset).")
    capacity: StrictInt = Field(ge=0, le=1000, description=CAPACITY)


class SessionChange(Body):
    capacity: StrictInt = Field(ge=0, le=1000, description=CAPACITY + " It cannot drop below the units already taken.")


class SessionCreated(BaseModel):
    session_id: str
    listed_from_queue: int = Field(description="Unlisted hearings this session's capacity listed at once.")


class HearingOut(BaseModel):
    hearing_id: str
    urn: str
    type: str = Field(description="first_hearing, trial, sentencing or other.")
    status: str = Field(description="listed, unlisted, vacated or resulted.")
    weight: int = Field(description="Listing units this hearing takes from its session's capacity (by type).")
    session_id: str | None = None
    starts_at: str | None = None
    court_code: str | None = None
    result: str | None = None
    reason_code: str | None = None
    familiarisation_requested: bool = False


class SessionOut(BaseModel):
    session_id: str
    court_code: str
    starts_at: str
    capacity: int = Field(description=CAPACITY)
    used: int = Field(description="Listing units taken by the hearings listed in the session.")
    free: int = Field(description="capacity - used: the units still free; a trial needs its weight (default 3).")
    closed: bool


class SessionDetail(SessionOut):
    hearings: list[HearingOut] = Field(default_factory=list, description="The hearings listed in the session.")


class Bail(Body):
    kind: CourtBailKind
    conditions: list[ConditionCode] = Field(default_factory=list)


class Result(Body):
    result: HearingResult
    reason_code: str | None = Field(default=None, max_length=4)
    bail: Bail | None = None


class VerdictIn(Body):
    verdict: Verdict


class SentenceIn(Body):
    disposal: Disposal
    custody_months: StrictInt | None = Field(
        default=None, ge=1, le=600, description="The custodial term in calendar months (custody, suspended sentence)."
    )
    custody_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=36600,
        description="Or the term in days, for a term the court gives in days or weeks (e.g. 14 days; 51 weeks = 357"
        " days). Suspended: 14 days to 2 years (SA 2020 s277); never above the charged offences' statutory maximum.",
    )


class OrderIn(Body):
    basis: cmd.OrderBasis
    until: IsoDate | None
    conditions: list[ConditionCode] = Field(min_length=1)


class MeasuresDecision(Body):
    granted: StrictBool
    measures: list[SpecialMeasure] = Field(default_factory=list)
    refusal_reason: str | None = Field(default=None, max_length=2000)


Deps = Annotated[handlers.Deps, Depends(app_deps)]


def build_router() -> APIRouter:
    return api.router("court", _session_routes, _case_routes)


def _session_routes(router: APIRouter) -> None:
    @router.post("/sessions", status_code=201, response_model=SessionCreated)
    async def create_session(body: SessionIn, d: Deps, _: Court) -> dict[str, Any]:
        """A clustered DA session with its capacity; waiting hearings are listed into it."""
        return await handlers.create_session(d, cmd.CreateSession(body.court_code, body.starts_at, body.capacity))

    @router.get("/sessions", response_model=list[SessionOut])
    async def list_sessions(
        d: Deps,
        _: Reader,
        court_code: str | None = Query(None, max_length=10),
        start: IsoDatetime | None = Query(None, alias="from"),
        end: IsoDatetime | None = Query(None, alias="to"),
    ) -> list[dict[str, Any]]:
        return await views.sessions(d.pool, court_code, start, end)

    @router.get("/sessions/{session_id}", response_model=SessionDetail)
    async def get_session(session_id: Id, d: Deps, _: Reader) -> dict[str, Any]:
        """The listing of one session."""
        return await views.session(d.pool, session_id)

    @router.patch("/sessions/{session_id}", response_model=SessionCreated)
    async def change_session(session_id: Id, body: SessionChange, d: Deps, _: Court) -> dict[str, Any]:
        return await handlers.change_session(d, cmd.ChangeSession(session_id, capacity=body.capacity))

    @router.post("/sessions/{session_id}/close", response_model=SessionCreated)
    async def close_session(session_id: Id, d: Deps, _: Court) -> dict[str, Any]:
        return await handlers.change_session(d, cmd.ChangeSession(session_id, close=True))

    @router.get("/unlisted")
    async def unlisted(d: Deps, _: Reader) -> list[dict[str, Any]]:
        """Hearings waiting for capacity."""
        return await views.unlisted(d.pool)


def _case_routes(router: APIRouter) -> None:
    @router.get("/cases/{urn}/hearings")
    async def hearings(urn: CaseUrn, d: Deps, _: Reader) -> list[dict[str, Any]]:
        return await views.case_hearings(d.pool, urn)

    @router.post("/hearings/{hearing_id}/result")
    async def result(hearing_id: Id, body: Result, d: Deps, _: Court) -> dict[str, Any]:
        bail = cmd.BailDecision(body.bail.kind, list(body.bail.conditions)) if body.bail else None
        return await handlers.record_result(d, cmd.RecordResult(hearing_id, body.result, body.reason_code, bail))

    @router.post("/cases/{urn}/verdict")
    async def verdict(urn: CaseUrn, body: VerdictIn, d: Deps, _: Court) -> dict[str, Any]:
        return await handlers.verdict(d, cmd.RecordVerdict(urn, body.verdict))

    @router.post("/cases/{urn}/sentence")
    async def sentence(urn: CaseUrn, body: SentenceIn, d: Deps, _: Court) -> dict[str, Any]:
        command = cmd.ImposeSentence(urn, body.disposal, body.custody_months, body.custody_days)
        return await handlers.sentence(d, command)

    @router.post("/cases/{urn}/restraining-orders")
    async def order(urn: CaseUrn, body: OrderIn, d: Deps, _: Court) -> dict[str, Any]:
        return await handlers.restraining_order(d, cmd.MakeOrder(urn, body.basis, body.until, list(body.conditions)))

    @router.post("/cases/{urn}/special-measures/{request_id}/decision")
    async def measures(urn: CaseUrn, request_id: Id, body: MeasuresDecision, d: Deps, _: Court) -> dict[str, Any]:
        command = cmd.DecideMeasures(urn, request_id, body.granted, list(body.measures), body.refusal_reason)
        return await handlers.decide_special_measures(d, command)
