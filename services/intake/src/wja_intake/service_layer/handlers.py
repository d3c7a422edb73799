"""Intake's use cases, HTTP or event: each one unit of work, state change and events together."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import telemetry, workdays
from wja_platform.auth import Principal
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring, Sealed
from wja_platform.problems import Conflict, Forbidden, Gone, ServiceError, refuse
from wja_platform.uow import UnitOfWork
from wja_schemas import charging as ch
from wja_schemas import intake as ev
from wja_schemas import support as sp
from wja_schemas.types import SupportStatus

from wja_intake.adapters import metrics
from wja_intake.adapters.repository import CaseRepository
from wja_intake.domain import model
from wja_intake.domain.model import Case
from wja_intake.service_layer import commands
from wja_intake.service_layer import publishing as pub

Uow = UnitOfWork[CaseRepository]


@dataclass
class Deps:
    """What the use cases need: units of work, the pool (read side), the clock, the keyring and configuration."""

    pool: asyncpg.Pool
    uow: Callable[[], Uow]
    clock: Clock
    keyring: Keyring
    default_units: dict[str, str]
    pseudonym_key: bytes
    next_urn: Callable[[str, str, int], Awaitable[int]]
    """The next URN sequence of a force, unit and year, taken BEFORE the report's transaction (its counter row
    would otherwise stay locked for the whole report and serialise every report of the force: issue 20)."""
    new_case_uow: Callable[[], Uow] | None = None
    """The report's unit of work, which only writes (:class:`wja_platform.uow.OneStatementUnitOfWork`: the case,
    its victim row and its events in one statement); ``uow`` when not given."""
    one_connection: Callable[[], AbstractAsyncContextManager[object]] = contextlib.nullcontext
    """Within it, ``next_urn`` and the units of work use one pooled connection (a report: the counter's
    statement, then its transaction), so it is taken from the pool, and reset, once, not twice."""


def check_force(caller: Principal, force_code: str) -> None:
    """A police token limited to a force sees only that force's cases."""
    if caller.force and caller.force != force_code:
        raise Forbidden("this case belongs to another force")


async def _locked(uow: Uow, caller: Principal, urn: str) -> Case:
    case = await uow.repo.get(urn, lock=True)
    check_force(caller, case.force_code)
    return case


# ---------------------------------------------------------------- the report


async def report(deps: Deps, caller: Principal, cmd: commands.Report) -> dict[str, Any]:
    """Record a crime report: mint the URN, seal the contact details, publish references only."""
    if caller.force and caller.force != cmd.force_code:
        raise Forbidden("you may report only for your own force")
    refuse(model.check_offences([asdict(o) for o in cmd.offences]))
    risk = model.assess_risk(cmd.risk.tool, cmd.risk.score, cmd.risk.level, cmd.risk.version)
    unit = cmd.unit or deps.default_units.get(cmd.force_code, "YE")
    year = cmd.reported_at.year
    async with deps.one_connection():
        seq = await deps.next_urn(cmd.force_code, unit, year)
        case = _new_case(deps, cmd, model.format_urn(cmd.force_code, unit, seq, year), unit, risk)
        telemetry.set_case_urn(case.urn)  # the report's transaction and its events' spans carry it
        sealed = deps.keyring.seal(_contact(cmd.victim), aad=case.urn)
        async with (deps.new_case_uow or deps.uow)() as uow:
            await uow.repo.add(case, sealed)
            await uow.publish(pub.crime_reported(case))
            await uow.publish(pub.risk_assessed(case))
            if case.referral_basis != "none":
                await uow.publish(pub.victim_referred(case))
    return {"urn": case.urn, "risk_level": risk["level"], "victim_ref": case.victim_ref}


def _new_case(deps: Deps, cmd: commands.Report, urn: str, unit: str, risk: dict[str, Any]) -> Case:
    suspect = asdict(cmd.suspect)
    dob = cmd.suspect.date_of_birth
    return Case(
        urn=urn,
        force_code=cmd.force_code,
        unit=unit,
        status="reported",
        reported_at=cmd.reported_at,
        victim_ref=model.victim_ref(deps.pseudonym_key, cmd.force_code, cmd.victim.name, cmd.victim.date_of_birth),
        offences=[{"code": o.code, "occurred_at": o.occurred_at.isoformat(), "da_flag": True} for o in cmd.offences],
        suspect={**suspect, "date_of_birth": dob.isoformat() if dob else None},
        risk=risk,
        referral_basis=cmd.referral_basis,
        first_statement_at=model.statement_at(None, cmd.evidence, cmd.reported_at),
    )


def _contact(victim: commands.Victim) -> dict[str, Any]:
    return {**asdict(victim), "date_of_birth": victim.date_of_birth.isoformat()}


# ---------------------------------------------------------------- the suspect


async def arrest(deps: Deps, caller: Principal, urn: str, at: datetime) -> dict[str, Any]:
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.SUSPECT_ACTIONS, "record an arrest")
        status = model.investigating(case.status)
        await uow.repo.update(urn, arrested_at=at, status=status)
        await uow.publish(ev.SuspectArrested(urn=urn, arrested_at=at))
    return {"urn": urn, "status": status}


async def interview(deps: Deps, caller: Principal, urn: str, at: datetime) -> dict[str, Any]:
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.SUSPECT_ACTIONS, "record an interview")
        status = model.investigating(case.status)
        await uow.repo.update(urn, interviewed_at=at, status=status)
        await uow.publish(ev.SuspectInterviewed(urn=urn, interviewed_at=at))
    return {"urn": urn, "status": status}


async def bail(deps: Deps, caller: Principal, urn: str, cmd: commands.Bail) -> dict[str, Any]:
    now = deps.clock.now()
    until = cmd.until if cmd.kind == "pre_charge_bail" else None
    refuse(model.bail_problems(cmd.kind, cmd.conditions, until, workdays.london_date(now)))
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.PRE_CHARGE, "decide bail")
        arrested_on = workdays.london_date(case.arrested_at) if case.arrested_at else None
        record = model.bail_record(case.bail, cmd.kind, cmd.conditions, until, arrested_on, now)
        status = model.investigating(case.status)
        await uow.repo.update(urn, bail=record, status=status)
        await uow.publish(
            ev.BailDecided(
                urn=urn,
                kind=cmd.kind,
                conditions=record["conditions"],
                until=until,
                authorised_period_exceeded=record["authorised_period_exceeded"],
                decided_at=now,
            )
        )
    return {"urn": urn, "bail": record}


# ---------------------------------------------------------------- protective notices and orders


async def protective_notice(deps: Deps, caller: Principal, urn: str, cmd: commands.Notice) -> dict[str, Any]:
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.OPEN, "issue a protective notice")
        due = model.dvpo_deadline(cmd.issued_at)
        item = {
            "kind": cmd.kind,
            "conditions": list(cmd.conditions),
            "issued_at": cmd.issued_at.isoformat(),
            "order_hearing_by": due.isoformat(),
            "order": None,
        }
        await uow.repo.update(urn, protective=[*case.protective, item])
        await uow.publish(
            ev.ProtectiveNoticeIssued(
                urn=urn, kind=cmd.kind, conditions=cmd.conditions, issued_at=cmd.issued_at, order_hearing_by=due
            )
        )
    return {"urn": urn, "notice": item}


async def protective_order(deps: Deps, caller: Principal, urn: str, cmd: commands.Order) -> dict[str, Any]:
    now = cmd.decided_at or deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        notice = model.open_notice(case.protective, cmd.kind)
        refuse(model.order_problems(cmd.kind, cmd.granted, workdays.london_date(now), cmd.until))
        notice["order"] = {
            "kind": cmd.kind,
            "granted": cmd.granted,
            "until": cmd.until.isoformat() if cmd.until else None,
        }
        await uow.repo.update(urn, protective=case.protective)
        await uow.publish(
            ev.ProtectiveOrderDecided(
                urn=urn,
                kind=cmd.kind,
                granted=cmd.granted,
                conditions=cmd.conditions,
                until=cmd.until,
                decided_at=now,
            )
        )
    return {"urn": urn, "order": notice["order"]}


# ---------------------------------------------------------------- the CPS


async def charging_request(deps: Deps, caller: Principal, urn: str, cmd: commands.ChargingRequest) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.MAY_REQUEST_CHARGING, "request a charging decision")
        case.first_statement_at = model.statement_at(case.first_statement_at, cmd.evidence, now)
        await uow.repo.update(urn, status="awaiting_charging_decision", first_statement_at=case.first_statement_at)
        await uow.publish(pub.charging_requested(case, cmd, now))
    return {"urn": urn, "status": "awaiting_charging_decision"}


async def further_material(deps: Deps, caller: Principal, urn: str, cmd: commands.FurtherMaterial) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.AWAITING_MATERIAL, "submit further material")
        plan = {**(case.action_plan or {}), "answered_at": now.isoformat(), "note": cmd.note}
        statement_at = model.statement_at(case.first_statement_at, cmd.evidence, now)
        await uow.repo.update(
            urn, status="awaiting_charging_decision", action_plan=plan, first_statement_at=statement_at
        )
        await uow.publish(
            ev.FurtherMaterialSubmitted(
                urn=urn, evidence=cmd.evidence, submitted_at=now, first_statement_at=statement_at
            )
        )
    return {"urn": urn, "status": "awaiting_charging_decision"}


async def record_decision(uow: Uow, event: ch.DecisionMade) -> None:
    """A CPS decision moves the police case (a closed case keeps its status) and may open an action plan."""
    async with uow:
        case = await uow.repo.get(event.urn, lock=True)
        decision = {
            "decision": event.decision,
            "test": event.test,
            "basis": event.basis,
            "charges": [c.offence_code for c in event.charges],
            "suggested_outcome_code": event.suggested_outcome_code,
            "decided_at": event.decided_at.isoformat(),
        }
        changes: dict[str, Any] = {"cps_decision": decision}
        if not case.closed:
            changes["status"] = model.AFTER_DECISION[event.decision]
        if event.decision == "further_material_required":
            changes["action_plan"] = {
                "due_date": event.due_date.isoformat() if event.due_date else None,
                "set_at": event.decided_at.isoformat(),
            }
        await uow.repo.update(event.urn, **changes)


async def end_proceedings(uow: Uow, event: ch.FileFinalised | ch.ProceedingsDiscontinued) -> None:
    """A file finalised or proceedings discontinued: the police case awaits its closure."""
    async with uow:
        case = await uow.repo.get(event.urn, lock=True)
        if case.closed:
            return
        what = "administratively finalised" if isinstance(event, ch.FileFinalised) else "discontinued"
        decision = {**(case.cps_decision or {}), "ended": what}
        await uow.repo.update(event.urn, status="awaiting_closure", cps_decision=decision)


# ---------------------------------------------------------------- the victim and closure


async def victim_support(deps: Deps, caller: Principal, urn: str, status: SupportStatus) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.OPEN, "record the victim's support")
        await uow.repo.update(urn, victim_support=status)
        await uow.publish(ev.VictimSupportChanged(urn=urn, status=status, changed_at=now))
    return {"urn": urn, "victim_support": status}


async def withdraw_consent(deps: Deps, caller: Principal, urn: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        if case.referral_basis != "consent" or case.consent_withdrawn:
            raise Conflict("there is no consent to withdraw")
        await uow.repo.update(urn, consent_withdrawn=True)
        await uow.publish(ev.ConsentWithdrawn(urn=urn, victim_ref=case.victim_ref, withdrawn_at=now))
    return {"urn": urn, "consent_withdrawn": True}


async def close(deps: Deps, caller: Principal, urn: str, code: str, reason: str | None) -> dict[str, Any]:
    model.check_closure(code, reason)
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await _locked(uow, caller, urn)
        model.require_status(case.status, model.OPEN, "close the case")
        closure = {"outcome_code": code, "reason": reason, "closed_at": now.isoformat()}
        await uow.repo.update(urn, status=model.CLOSED, closure=closure)
        await uow.publish(ev.CaseClosed(urn=urn, outcome_code=code, closed_at=now))
    return {"urn": urn, "status": "closed", "outcome_code": code}


# ---------------------------------------------------------------- the claim check


async def assign_idva(uow: Uow, event: sp.IdvaAssigned) -> None:
    """The IDVA assigned to the case may use the claim check, within the forces of their roster entry."""
    async with uow:
        await uow.repo.get(event.urn, lock=True)
        await uow.repo.update(event.urn, assigned_idva=event.idva_id, assigned_idva_forces=event.idva_forces)


def may_read_referral(caller: Principal, case: Case) -> bool:
    """IDVA managers, the support service, or the IDVA assigned to the case, and that IDVA only when
    the case's force is one of the forces on their roster entry (as the assignment event said)."""
    if caller.agency != "idva":
        return False
    if caller.role in ("manager", "service"):
        return True
    forces = case.assigned_idva_forces or []
    return caller.role == "idva" and caller.sub == case.assigned_idva and case.force_code in forces


def referral_refusal(caller: Principal, case: Case) -> tuple[str, ServiceError] | None:
    """Why this caller may not have the contact details now, as (metric reason, error); None: they may."""
    if not may_read_referral(caller, case):
        return "not_permitted", Forbidden(
            "only the assigned IDVA (within the forces of their roster entry), an IDVA manager"
            " or the support service may read this"
        )
    if case.referral_basis == "none" or case.consent_withdrawn:
        return "no_basis", Forbidden("there is no basis for this referral (none given, or consent withdrawn)")
    if case.contact_purged_at is not None:
        return "gone", Gone("the victim's contact details were purged after the retention period; ask the police")
    return None


def _audit_outcome(refusal: tuple[str, ServiceError] | None, sealed: Sealed | None) -> str:
    if refusal is not None:
        return "gone" if refusal[0] == "gone" else "refused"
    return "read" if sealed is not None else "missing"  # missing, never purged: a bug (500)


async def read_referral(deps: Deps, caller: Principal, urn: str, purpose: str) -> dict[str, Any]:
    """The claim check: contact details for the IDVA, only with a referral basis; every read audited
    (outcome ``read``, ``refused``, or ``gone`` once the details were purged), the audit committed
    before any refusal is raised."""
    async with deps.uow() as uow:
        case = await uow.repo.get(urn)
        refusal = referral_refusal(caller, case)
        sealed = None if refusal else await uow.repo.victim(urn)
        await uow.repo.audit(urn, caller.sub, caller.agency, caller.role, purpose, _audit_outcome(refusal, sealed))
    if refusal is not None:
        metrics.CLAIM_CHECK_REFUSALS.labels(refusal[0]).inc()
        raise refusal[1]
    if sealed is None:
        msg = "a case's contact details are missing without a purge"
        raise RuntimeError(msg)
    metrics.CLAIM_CHECK_READS.inc()
    contact = deps.keyring.open(sealed, aad=urn)
    return {"urn": urn, "victim_ref": case.victim_ref, "referral_basis": case.referral_basis, "contact": contact}


async def purge_closed(deps: Deps, retention_days: int) -> int:
    """Erase contact details of cases closed longer ago than the retention period, and mark each case
    ``contact_purged_at`` in the same transaction (the claim check then answers 410, not 500)."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        return await uow.repo.purge_contacts(now, retention_days)
