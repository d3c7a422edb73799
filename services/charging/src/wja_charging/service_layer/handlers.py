"""CPS use cases, HTTP or event: each one unit of work, state change and events together.

HTTP use cases open their own unit of work (``deps.uow()``); event use cases run in the one the
consumer gives them (its transaction, so the processed-event record commits with the effect).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, cast

from wja_platform import problems, telemetry, workdays
from wja_platform.clock import Clock
from wja_platform.consumer import NotReady
from wja_platform.problems import Conflict, Forbidden, NotFound
from wja_platform.uow import UnitOfWork
from wja_schemas import charging as ev
from wja_schemas import intake as it
from wja_schemas import support as sp
from wja_schemas.types import AnticipatedPlea, RiskLevel

from wja_charging.adapters.repository import FileRepository
from wja_charging.domain import model
from wja_charging.service_layer.commands import Decide, DecideReview, Discontinue, RequestReview, ReviewedDecision

Uow = UnitOfWork[FileRepository]


@dataclass
class Deps:
    """What the use cases need (built in ``bootstrap``; in unit tests, over an in-memory repository)."""

    uow: Callable[[], Uow]
    clock: Clock
    threshold_review_days: int = 28


# -- events --------------------------------------------------------------------------------------


def _submission(event: it.ChargingRequested) -> model.Submission:
    return model.Submission(
        force_code=event.force_code,
        risk_level=event.risk_level,
        suspect=event.suspect.model_dump(mode="json"),
        offence_codes=list(event.offence_codes),
        evidence=list(event.evidence),
        requested_test=event.requested_test,
        anticipated_plea=event.anticipated_plea,
        remanded=event.remanded,
        victim_support=event.victim_support,
        offences=[
            model.ReportedOffence(code, at)
            for code, at in zip(event.offence_codes, event.offences_occurred_at, strict=False)
        ],
        first_statement_at=event.first_statement_at,
    )


async def open_file(uow: Uow, event: it.ChargingRequested) -> None:
    """A charging request opens the file (or reopens a decided one for a fresh decision)."""
    async with uow:
        file = await uow.repo.find_file(event.urn, lock=True)
        if file is None:
            await uow.repo.add_file(model.File(event.urn, _submission(event), received_at=event.requested_at))
        elif model.reopen(file, _submission(event)):
            await uow.repo.save_file(file)


async def material_returned(uow: Uow, event: it.FurtherMaterialSubmitted) -> None:
    """Further material answers an action plan; before the file exists the event waits (parked)."""
    async with uow:
        file = await uow.repo.find_file(event.urn, lock=True)
        if file is None:
            raise NotReady("no charging file yet")
        if model.material_returned(file, event.evidence, event.first_statement_at):
            await uow.repo.save_file(file)


async def victim_support_changed(uow: Uow, event: it.VictimSupportChanged) -> None:
    """The victim's support for a prosecution (it sets the outcome an NFA suggests)."""
    async with uow:
        file = await uow.repo.find_file(event.urn, lock=True)
        if file is not None:
            file.submission.victim_support = event.status
            await uow.repo.save_file(file)


async def idva_assigned(uow: Uow, event: sp.IdvaAssigned) -> None:
    """Remember who may ask for a review on the victim's behalf (the latest assignment wins)."""
    async with uow:
        await uow.repo.record_assignment(event.urn, model.Assignment(event.idva_id, event.team), event.assigned_at)


# -- decisions -----------------------------------------------------------------------------------


def _check_charges(file: model.File, charges: Sequence[str], today: date) -> list[str]:
    """Refuse charges before their offence existed (422) or on a file not awaiting a decision, or past a
    time limit (409); return the warnings of limits close by."""
    offences = model.offence_dates(file.submission.offences)
    problems.refuse(model.commencement_problems(charges, offences))
    model.require_status(file.status, model.DECIDABLE, "decide")
    limits = model.time_limits(charges, offences, file.submission.statement_on())
    return model.check_time_limits(limits, today)


def _decision_made(file: model.File, cmd: Decide, days: int | None) -> ev.DecisionMade:
    summary = file.last_decision
    assert summary is not None
    return ev.DecisionMade(
        urn=file.urn,
        decision=cmd.decision,
        test=cmd.test,
        charges=[ev.Charge.model_validate(asdict(c)) for c in summary.charges],
        basis=cmd.basis,
        due_date=cmd.due_date,
        review_by=file.review_by,
        suggested_outcome_code=summary.suggested_outcome_code,
        force_code=file.submission.force_code,
        risk_level=cast(RiskLevel, file.submission.risk_level),
        remanded=file.submission.remanded,
        anticipated_plea=cast(AnticipatedPlea, file.submission.anticipated_plea),
        days_to_decision=days,
        decided_at=summary.decided_at,
    )


async def decide(deps: Deps, cmd: Decide) -> dict[str, Any]:
    """Charge, no further action, out-of-court disposal, or an action plan asking for further material."""
    now = deps.clock.now()
    today = workdays.london_date(now)
    request = cmd.rules()
    problems.refuse(model.decision_problems(request, today))
    async with deps.uow() as uow:
        file = await uow.repo.get_file(cmd.urn, lock=True)
        warnings = _check_charges(file, cmd.charges, today)
        charges = tuple(model.charge_of(code) for code in cmd.charges)
        await uow.repo.add_decision(cmd.urn, request, charges, cmd.reason, cmd.prosecutor, now)
        model.record_decision(file, request, charges, now, deps.threshold_review_days)
        await uow.repo.save_file(file)
        days = file.days_to_decision if request.is_final else None
        await uow.publish(_decision_made(file, cmd, days))
    assert file.last_decision is not None
    return {
        "urn": cmd.urn,
        "status": file.status,
        **file.last_decision.as_json(),
        "review_by": file.review_by.isoformat() if file.review_by else None,
        "days_to_decision": days,
        "warnings": warnings,
    }


async def finalise_overdue(deps: Deps) -> list[str]:
    """Files whose further material was not returned by the due date are administratively finalised."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        files = await uow.repo.overdue_action_plans(now.date())
        for file in files:
            model.finalise(file)
            await uow.repo.save_file(file)
            await uow.publish(ev.FileFinalised(urn=file.urn, finalised_at=now))
    return [file.urn for file in files]


# -- Victims' Right to Review, discontinuance ----------------------------------------------------


async def _may_request_review(uow: Uow, cmd: RequestReview) -> None:
    assigned = await uow.repo.assignment(cmd.urn) if cmd.agency == "idva" else None
    if not model.may_request_review(cmd.agency, cmd.role, cmd.sub, cmd.team, assigned):
        raise Forbidden("only the IDVA assigned to this case or a manager of their team may ask for a review")


async def request_review(deps: Deps, cmd: RequestReview) -> dict[str, Any]:
    """A VRR request: refused (403) before anything else to an IDVA who is not the case's nor its team's."""
    async with deps.uow() as uow:
        await _may_request_review(uow, cmd)
        file = await uow.repo.get_file(cmd.urn, lock=True)
        kind, decided = model.qualifying_decision(file)
        exceptional = model.review_window(decided, cmd.requested_at, cmd.exceptional, cmd.reason)
        if await uow.repo.has_open_review(cmd.urn):
            raise Conflict("a review of this decision is already under way")
        review = model.Review(
            review_id=f"vrr-{uuid.uuid4().hex[:12]}",
            urn=cmd.urn,
            decision_type=kind,
            requested_at=cmd.requested_at,
            requested_by=f"{cmd.agency}:{cmd.sub}",
            late=model.review_is_late(decided, cmd.requested_at),
            exceptional=exceptional,
            exceptional_reason=cmd.reason if exceptional else None,
        )
        await uow.repo.add_review(review)
        await uow.publish(
            ev.ReviewRequested(
                urn=cmd.urn,
                review_id=review.review_id,
                decision_type=cast(ReviewedDecision, kind),
                requested_at=review.requested_at,
                late=review.late,
                exceptional=exceptional,
            )
        )
    return {
        "review_id": review.review_id,
        "urn": cmd.urn,
        "decision_type": kind,
        "late": review.late,
        "exceptional": exceptional,
    }


async def decide_review(deps: Deps, cmd: DecideReview) -> dict[str, Any]:
    """Upheld, or overturned: the file goes back for a new decision."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        review = await uow.repo.find_review(cmd.review_id, lock=True)
        if review is None:
            raise NotFound(f"no review {cmd.review_id}")
        telemetry.set_case_urn(review.urn)  # the path names the review, not the case: tag the spans here
        if review.outcome is not None:
            raise Conflict("this review is already decided")
        review.outcome, review.reason, review.decided_at = cmd.outcome, cmd.reason, now
        await uow.repo.save_review_outcome(review)
        file = await uow.repo.get_file(review.urn, lock=True)
        if cmd.outcome == "overturned":
            model.overturn(file)
            await uow.repo.save_file(file)
        await uow.publish(ev.ReviewDecided(urn=file.urn, review_id=cmd.review_id, outcome=cmd.outcome, decided_at=now))
    return {"review_id": cmd.review_id, "urn": file.urn, "outcome": cmd.outcome}


async def discontinue(deps: Deps, cmd: Discontinue) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        file = await uow.repo.get_file(cmd.urn, lock=True)
        model.discontinue(file, now)
        await uow.repo.save_file(file)
        await uow.publish(ev.ProceedingsDiscontinued(urn=cmd.urn, reason=cmd.reason, discontinued_at=now))
    return {"urn": cmd.urn, "discontinued": True, "reason": cmd.reason}
