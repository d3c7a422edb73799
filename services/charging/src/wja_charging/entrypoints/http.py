"""The CPS HTTP API: the decision queue, decisions, reviews, discontinuance."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from wja_platform import auth
from wja_platform.api import Body, CaseUrn, IsoDate, IsoDatetime, app_deps
from wja_platform.app import RuntimeDep
from wja_platform.auth import Principal
from wja_platform.uow import read
from wja_schemas.types import ChargingTest, DecisionBasis, DecisionKind, DiscontinuanceReason, OffenceCode

from wja_charging import views
from wja_charging.service_layer import handlers
from wja_charging.service_layer.commands import Decide, DecideReview, Discontinue, RequestReview, ReviewOutcome

READ = "charging.read"
"""The span of a read view: one for the whole read, not one per statement."""

Cps = Annotated[Principal, Depends(auth.require("cps"))]
"""journey.md section 3, "cps": every CPS role but analyst (prosecutors and CPS systems)."""
Reviewer = Annotated[Principal, Depends(auth.require("cps", "idva"))]
"""A VRR request; of IDVA staff only the assigned IDVA or their manager (checked in the handler)."""


class ChargeIn(Body):
    offence_code: OffenceCode


class Decision(Body):
    decision: DecisionKind
    test: ChargingTest
    charges: list[ChargeIn] = Field(default_factory=list, max_length=20)
    basis: DecisionBasis | None = None
    due_date: IsoDate | None = None
    bail_risk_justification: str | None = Field(default=None, max_length=4000)
    reason: str = Field(min_length=1, max_length=4000)

    def command(self, urn: str, prosecutor: str) -> Decide:
        return Decide(
            urn=urn,
            prosecutor=prosecutor,
            decision=self.decision,
            test=self.test,
            reason=self.reason,
            charges=tuple(c.offence_code for c in self.charges),
            basis=self.basis,
            due_date=self.due_date,
            bail_risk_justification=self.bail_risk_justification,
        )


class ReviewRequest(Body):
    requested_at: IsoDatetime
    exceptional: bool = Field(
        default=False,
        description="A request more than 3 months after the decision is accepted only in exceptional "
        "circumstances (CPS VRR guidance): say so here, with the reason.",
    )
    reason: str | None = Field(default=None, max_length=4000, description="Why a late request is exceptional.")

    def command(self, urn: str, caller: Principal) -> RequestReview:
        who = (caller.agency, caller.role, caller.sub, caller.team)
        return RequestReview(urn, *who, self.requested_at, self.exceptional, self.reason)


class ReviewDecision(Body):
    outcome: ReviewOutcome
    reason: str = Field(min_length=1, max_length=4000)


class Discontinuance(Body):
    reason: DiscontinuanceReason


Deps = Annotated[handlers.Deps, Depends(app_deps)]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cps"])

    @router.get("/cases")
    async def queue(
        d: Deps,
        runtime: RuntimeDep,
        _: Cps,
        status: Literal["awaiting_decision", "further_material_required", "decided"] = Query("awaiting_decision"),
    ) -> list[dict[str, Any]]:
        """The decision queue: highest risk first, then the oldest."""
        async with read(runtime.pool, READ) as conn:
            return await views.queue(conn, status, d.clock.now())

    @router.get("/cases/{urn}")
    async def get_file(urn: CaseUrn, d: Deps, runtime: RuntimeDep, _: Cps) -> dict[str, Any]:
        async with read(runtime.pool, READ) as conn:
            return await views.file_view(conn, urn, d.clock.now())

    @router.post("/cases/{urn}/decisions")
    async def decide(urn: CaseUrn, body: Decision, d: Deps, caller: Cps) -> dict[str, Any]:
        """Charge, no further action, out-of-court disposal, or ask for further material."""
        return await handlers.decide(d, body.command(urn, caller.sub))

    @router.post("/cases/{urn}/reviews", status_code=201)
    async def request_review(urn: CaseUrn, body: ReviewRequest, d: Deps, caller: Reviewer) -> dict[str, Any]:
        """Victims' Right to Review request (by the victim's IDVA or the CPS)."""
        return await handlers.request_review(d, body.command(urn, caller))

    @router.post("/reviews/{review_id}/decision")
    async def decide_review(
        review_id: Annotated[str, Field(max_length=64)],
        body: ReviewDecision,
        d: Deps,
        _: Cps,
    ) -> dict[str, Any]:
        return await handlers.decide_review(d, DecideReview(review_id, body.outcome, body.reason))

    @router.post("/cases/{urn}/discontinuance")
    async def discontinue(urn: CaseUrn, body: Discontinuance, d: Deps, _: Cps) -> dict[str, Any]:
        return await handlers.discontinue(d, Discontinue(urn, body.reason))

    return router
