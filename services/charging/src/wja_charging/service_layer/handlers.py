"""CPS use cases: each one transaction, state change and events together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from wja_platform import db, outbox, problems, telemetry, workdays
from wja_platform.auth import Principal
from wja_platform.clock import Clock
from wja_platform.problems import Conflict, Forbidden, NotFound
from wja_schemas import charging as ev

from wja_charging.adapters import repository as repo
from wja_charging.domain import model


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    threshold_review_days: int = 28


async def open_file(conn: asyncpg.Connection, event: Any) -> None:
    """A charging request opens the file (or reopens a decided one for a fresh decision)."""
    file = await repo.find_file(conn, event.urn, lock=True)
    fields = {
        "force_code": event.force_code,
        "risk_level": event.risk_level,
        "suspect": event.suspect.model_dump(mode="json"),
        "offence_codes": list(event.offence_codes),
        "evidence": list(event.evidence),
        "requested_test": event.requested_test,
        "anticipated_plea": event.anticipated_plea,
        "remanded": event.remanded,
        "victim_support": event.victim_support,
        "offences_occurred_at": [
            {"code": code, "occurred_at": at.isoformat()}
            for code, at in zip(event.offence_codes, event.offences_occurred_at, strict=False)
        ],
    }
    if event.first_statement_at and not (file and file["first_statement_at"]):
        fields["first_statement_at"] = event.first_statement_at
    if file is None:
        await repo.insert_file(
            conn,
            {
                "urn": event.urn,
                **fields,
                "status": "awaiting_decision",
                "received_at": event.requested_at,
            },
        )
    elif file["status"] in ("decided", "finalised"):
        await repo.update_file(conn, event.urn, **fields, status="awaiting_decision", due_date=None)


async def material_returned(conn: asyncpg.Connection, event: Any) -> None:
    file = await repo.get_file(conn, event.urn, lock=True)
    if file["status"] == "further_material_required":
        evidence = sorted({*file["evidence"], *event.evidence})
        statement_at = file["first_statement_at"] or event.first_statement_at
        await repo.update_file(
            conn,
            event.urn,
            status="awaiting_decision",
            evidence=evidence,
            due_date=None,
            first_statement_at=statement_at,
        )


async def decide(deps: Deps, prosecutor: str, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    today = workdays.london_date(now)
    problems.refuse(model.decision_problems(body, today))
    async with db.transaction(deps.pool) as conn:
        file = await repo.get_file(conn, urn, lock=True)
        offences = model.offence_dates(file["offences_occurred_at"])
        problems.refuse(model.commencement_problems(body.get("charges", []), offences))
        model.require_status(file["status"], ("awaiting_decision",), "decide")
        statement_on = workdays.london_date(file["first_statement_at"]) if file["first_statement_at"] else None
        warnings = model.check_time_limits(model.time_limits(body.get("charges", []), offences, statement_on), today)
        decision = body["decision"]
        charges = [
            {
                "offence_code": c["offence_code"],
                "statute": model.CHARGES[c["offence_code"]].statute,
                "mode_of_trial": model.CHARGES[c["offence_code"]].mode_of_trial,
            }
            for c in body.get("charges", [])
        ]
        await repo.insert_decision(conn, urn, {**body, "charges": charges}, prosecutor, now)
        final = decision != "further_material_required"
        days = (now.date() - file["received_at"].date()).days if final else None
        review_by = (now + timedelta(days=deps.threshold_review_days)).date() if body["test"] == "threshold" else None
        suggested = (
            model.suggested_outcome_code(body.get("basis"), file["victim_support"])
            if decision == "no_further_action"
            else None
        )
        summary = {
            "decision": decision,
            "test": body["test"],
            "basis": body.get("basis"),
            "charges": charges,
            "decided_at": now.isoformat(),
            "suggested_outcome_code": suggested,
        }
        await repo.update_file(
            conn,
            urn,
            status="decided" if final else "further_material_required",
            last_decision=summary,
            due_date=body.get("due_date"),
            review_by=review_by,
            decided_at=now if final else file["decided_at"],
            days_to_decision=days if final else file["days_to_decision"],
        )
        await outbox.publish(
            conn,
            ev.DecisionMade(
                urn=urn,
                decision=decision,
                test=body["test"],
                charges=charges,
                basis=body.get("basis"),
                due_date=body.get("due_date"),
                review_by=review_by,
                suggested_outcome_code=suggested,
                force_code=file["force_code"],
                risk_level=file["risk_level"],
                remanded=file["remanded"],
                anticipated_plea=file["anticipated_plea"],
                days_to_decision=days,
                decided_at=now,
            ),
        )
    return {
        "urn": urn,
        "status": "decided" if final else "further_material_required",
        **summary,
        "review_by": review_by.isoformat() if review_by else None,
        "days_to_decision": days,
        "warnings": warnings,
    }


async def finalise_overdue(deps: Deps) -> list[str]:
    """Files whose further material was not returned by the due date are administratively finalised."""
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        urns = await repo.overdue_action_plans(conn, now.date())
        for urn in urns:
            await repo.update_file(conn, urn, status="finalised")
            await outbox.publish(conn, ev.FileFinalised(urn=urn, finalised_at=now))
    return urns


def _qualifying(file: dict[str, Any]) -> str:
    if file["discontinued_at"] is not None:
        return "discontinuance"
    last = file["last_decision"] or {}
    if file["status"] == "decided" and last.get("decision") == "no_further_action":
        return "no_further_action"
    raise Conflict("a review needs a decision not to charge or a discontinuance")


async def request_review(
    deps: Deps,
    caller: Principal,
    urn: str,
    requested_at: datetime,
    exceptional: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    """A VRR request: refused (403) before anything else to an IDVA who is not the case's nor its team's."""
    requester = f"{caller.agency}:{caller.sub}"
    async with db.transaction(deps.pool) as conn:
        assigned = await repo.assignment(conn, urn) if caller.agency == "idva" else None
        if not model.may_request_review(caller.agency, caller.role, caller.sub, caller.team, assigned):
            raise Forbidden("only the IDVA assigned to this case or a manager of their team may ask for a review")
        file = await repo.get_file(conn, urn, lock=True)
        kind = _qualifying(file)
        decided = file["discontinued_at"] or datetime.fromisoformat(file["last_decision"]["decided_at"])
        exceptional = model.review_window(decided, requested_at, exceptional, reason)
        open_review = await conn.fetchval("SELECT 1 FROM reviews WHERE urn = $1 AND outcome IS NULL", urn)
        if open_review:
            raise Conflict("a review of this decision is already under way")
        late = (
            workdays.working_days_between(workdays.london_date(decided), workdays.london_date(requested_at))
            > model.VRR_LATE_AFTER_WORKING_DAYS
        )
        review_id = f"vrr-{uuid.uuid4().hex[:12]}"
        await conn.execute(
            "INSERT INTO reviews (review_id, urn, decision_type, requested_at, requested_by, late, exceptional,"
            " exceptional_reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            review_id,
            urn,
            kind,
            requested_at,
            requester,
            late,
            exceptional,
            reason if exceptional else None,
        )
        await outbox.publish(
            conn,
            ev.ReviewRequested(
                urn=urn,
                review_id=review_id,
                decision_type=kind,
                requested_at=requested_at,
                late=late,
                exceptional=exceptional,
            ),
        )
    return {"review_id": review_id, "urn": urn, "decision_type": kind, "late": late, "exceptional": exceptional}


async def decide_review(deps: Deps, review_id: str, outcome: str, reason: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        review = await conn.fetchrow("SELECT * FROM reviews WHERE review_id = $1 FOR UPDATE", review_id)
        if review is None:
            raise NotFound(f"no review {review_id}")
        telemetry.set_case_urn(review["urn"])  # the path names the review, not the case: tag the spans here
        if review["outcome"] is not None:
            raise Conflict("this review is already decided")
        await conn.execute(
            "UPDATE reviews SET outcome = $2, reason = $3, decided_at = $4 WHERE review_id = $1",
            review_id,
            outcome,
            reason,
            now,
        )
        urn = review["urn"]
        await repo.get_file(conn, urn, lock=True)
        if outcome == "overturned":
            await repo.update_file(conn, urn, status="awaiting_decision", discontinued_at=None)
        await outbox.publish(conn, ev.ReviewDecided(urn=urn, review_id=review_id, outcome=outcome, decided_at=now))
    return {"review_id": review_id, "urn": urn, "outcome": outcome}


async def discontinue(deps: Deps, urn: str, reason: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        file = await repo.get_file(conn, urn, lock=True)
        last = file["last_decision"] or {}
        if file["status"] != "decided" or last.get("decision") != "charge" or file["discontinued_at"]:
            raise Conflict("only charged proceedings can be discontinued")
        await repo.update_file(conn, urn, discontinued_at=now)
        await outbox.publish(conn, ev.ProceedingsDiscontinued(urn=urn, reason=reason, discontinued_at=now))
    return {"urn": urn, "discontinued": True, "reason": reason}
