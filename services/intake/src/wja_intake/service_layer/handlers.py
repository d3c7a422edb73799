"""Intake use cases: each one transaction, state change and events together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import db, errors, workdays
from wja_platform.auth import Principal
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring, Sealed
from wja_schemas import intake as ev

from wja_intake.adapters import metrics
from wja_intake.adapters import repository as repo
from wja_intake.domain import model
from wja_intake.domain.errors import DomainError, Forbidden, Gone, IllegalTransition
from wja_intake.service_layer import publishing as pub


@dataclass
class Deps:
    """What the use cases need: the pool, the clock, the keyring and configuration."""

    pool: asyncpg.Pool
    clock: Clock
    keyring: Keyring
    default_units: dict[str, str]
    pseudonym_key: bytes


def check_force(caller: Principal, case: dict[str, Any]) -> None:
    """A police token limited to a force sees only that force's cases."""
    if caller.force and caller.force != case["force_code"]:
        raise Forbidden("this case belongs to another force")


async def report(deps: Deps, caller: Principal, body: dict[str, Any]) -> dict[str, Any]:
    if caller.force and caller.force != body["force_code"]:
        raise Forbidden("you may report only for your own force")
    errors.refuse(model.check_offences(body["offences"]))
    risk = body["risk"]
    level = model.risk_level(risk["tool"], risk.get("score"), risk.get("level"))
    victim = body["victim"]
    force = body["force_code"]
    unit = body.get("unit") or deps.default_units.get(force, "YE")
    reported_at: datetime = body["reported_at"]
    seq = await repo.allocate_sequence(deps.pool, force, unit, reported_at.year)
    urn = model.format_urn(force, unit, seq, reported_at.year)
    async with db.transaction(deps.pool) as conn:
        case = {
            "urn": urn,
            "force_code": force,
            "unit": unit,
            "status": "reported",
            "reported_at": reported_at,
            "victim_ref": model.victim_ref(deps.pseudonym_key, force, victim["name"], victim["date_of_birth"]),
            "offences": [
                {"code": o["code"], "occurred_at": o["occurred_at"].isoformat(), "da_flag": True}
                for o in body["offences"]
            ],
            "suspect": {
                **body["suspect"],
                "date_of_birth": body["suspect"]["date_of_birth"].isoformat()
                if body["suspect"].get("date_of_birth")
                else None,
            },
            "risk": {
                "tool": risk["tool"],
                "version": risk.get("version") or ("2009" if risk["tool"] == "DASH" else "2022"),
                "score": risk.get("score"),
                "level": level,
                "marac": level == "high",
            },
            "referral_basis": body["referral_basis"],
            "first_statement_at": reported_at if STATEMENT in body.get("evidence", ()) else None,
        }
        await repo.insert_case(conn, case)
        contact = {**victim, "date_of_birth": victim["date_of_birth"].isoformat()}
        sealed = deps.keyring.seal(contact, aad=urn)
        await repo.insert_victim(conn, urn, sealed.key_id, sealed.wrapped_key, sealed.ciphertext)
        await pub.publish(conn, pub.crime_reported(case))
        await pub.publish(conn, pub.risk_assessed(case))
        if case["referral_basis"] != "none":
            await pub.publish(conn, pub.victim_referred(case))
    return {"urn": urn, "risk_level": level, "victim_ref": case["victim_ref"]}


STATEMENT = "victim_statement"
"""The evidence code of the victim's formal witness statement (or video-recorded interview)."""


def _statement_at(case: dict[str, Any], evidence: list[str], now: datetime) -> datetime | None:
    """The first time the victim gave a formal statement: s39A's clock starts then and never moves."""
    return case.get("first_statement_at") or (now if STATEMENT in evidence else None)


async def _locked(conn: asyncpg.Connection, caller: Principal, urn: str) -> dict[str, Any]:
    case = await repo.get_case(conn, urn, lock=True)
    check_force(caller, case)
    return case


async def arrest(deps: Deps, caller: Principal, urn: str, at: datetime) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN[:-1], "record an arrest")
        status = "under_investigation" if case["status"] == "reported" else case["status"]
        await repo.update_case(conn, urn, arrested_at=at, status=status)
        await pub.publish(conn, ev.SuspectArrested(urn=urn, arrested_at=at))
    return {"urn": urn, "status": status}


async def interview(deps: Deps, caller: Principal, urn: str, at: datetime) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN[:-1], "record an interview")
        status = "under_investigation" if case["status"] == "reported" else case["status"]
        await repo.update_case(conn, urn, interviewed_at=at, status=status)
        await pub.publish(conn, ev.SuspectInterviewed(urn=urn, interviewed_at=at))
    return {"urn": urn, "status": status}


async def bail(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    decided_on = workdays.london_date(now)
    until = body.get("until") if body["kind"] == "pre_charge_bail" else None
    problems = []
    if body["kind"] == "released_under_investigation" and body.get("conditions"):
        problems.append(("conditions", "release under investigation has no conditions"))
    if until is not None and until < decided_on:
        problems.append(("until", "bail cannot end before the day it is decided"))
    errors.refuse(problems)
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN[:-2], "decide bail")
        arrested_on = workdays.london_date(case["arrested_at"]) if case["arrested_at"] else None
        start = model.bail_start(arrested_on, decided_on)
        extensions = model.bail_extensions(case.get("bail") or {}, until)
        flagged = body["kind"] == "pre_charge_bail" and model.bail_exceeds_authority(start, until, extensions)
        record = {
            "kind": body["kind"],
            "conditions": body.get("conditions", []),
            "until": until.isoformat() if until else None,
            "decided_at": now.isoformat(),
            "bail_start": start.isoformat() if body["kind"] == "pre_charge_bail" else None,
            "extensions": extensions,
            "authorised_until": model.bail_limit(start, extensions).isoformat()
            if body["kind"] == "pre_charge_bail"
            else None,
            "authorised_period_exceeded": flagged,
        }
        status = "under_investigation" if case["status"] == "reported" else case["status"]
        await repo.update_case(conn, urn, bail=record, status=status)
        await pub.publish(
            conn,
            ev.BailDecided(
                urn=urn,
                kind=body["kind"],
                conditions=record["conditions"],
                until=until,
                authorised_period_exceeded=flagged,
                decided_at=now,
            ),
        )
    return {"urn": urn, "bail": record}


async def protective_notice(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN, "issue a protective notice")
        issued: datetime = body["issued_at"]
        due = model.dvpo_deadline(issued)
        item = {
            "kind": body["kind"],
            "conditions": body.get("conditions", []),
            "issued_at": issued.isoformat(),
            "order_hearing_by": due.isoformat(),
            "order": None,
        }
        await repo.update_case(conn, urn, protective=[*case["protective"], item])
        await pub.publish(
            conn,
            ev.ProtectiveNoticeIssued(
                urn=urn,
                kind=body["kind"],
                conditions=item["conditions"],
                issued_at=issued,
                order_hearing_by=due,
            ),
        )
    return {"urn": urn, "notice": item}


async def protective_order(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    notice_for = {"DVPO": "DVPN", "DAPO": "DAPN"}[body["kind"]]
    now = body.get("decided_at") or deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        notices = [n for n in case["protective"] if n["kind"] == notice_for and n["order"] is None]
        if not notices:
            raise IllegalTransition(f"a {body['kind']} needs an open {notice_for} first")
        errors.refuse(model.order_problems(body["kind"], body["granted"], workdays.london_date(now), body["until"]))
        notices[-1]["order"] = {
            "kind": body["kind"],
            "granted": body["granted"],
            "until": body["until"].isoformat() if body.get("until") else None,
        }
        await repo.update_case(conn, urn, protective=case["protective"])
        await pub.publish(
            conn,
            ev.ProtectiveOrderDecided(
                urn=urn,
                kind=body["kind"],
                granted=body["granted"],
                conditions=body.get("conditions", []),
                until=body.get("until"),
                decided_at=now,
            ),
        )
    return {"urn": urn, "order": notices[-1]["order"]}


async def charging_request(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], ("reported", "under_investigation"), "request a charging decision")
        case["first_statement_at"] = _statement_at(case, body["evidence"], now)
        await repo.update_case(
            conn, urn, status="awaiting_charging_decision", first_statement_at=case["first_statement_at"]
        )
        await pub.publish(conn, pub.charging_requested(case, body, now))
    return {"urn": urn, "status": "awaiting_charging_decision"}


async def further_material(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], ("further_material_required",), "submit further material")
        plan = {
            **(case["action_plan"] or {}),
            "answered_at": now.isoformat(),
            "note": body.get("note"),
        }
        statement_at = _statement_at(case, body["evidence"], now)
        await repo.update_case(
            conn, urn, status="awaiting_charging_decision", action_plan=plan, first_statement_at=statement_at
        )
        await pub.publish(
            conn,
            ev.FurtherMaterialSubmitted(
                urn=urn, evidence=body["evidence"], submitted_at=now, first_statement_at=statement_at
            ),
        )
    return {"urn": urn, "status": "awaiting_charging_decision"}


async def victim_support(deps: Deps, caller: Principal, urn: str, status: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN, "record the victim's support")
        await repo.update_case(conn, urn, victim_support=status)
        await pub.publish(conn, ev.VictimSupportChanged(urn=urn, status=status, changed_at=now))
    return {"urn": urn, "victim_support": status}


async def withdraw_consent(deps: Deps, caller: Principal, urn: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        if case["referral_basis"] != "consent" or case["consent_withdrawn"]:
            raise IllegalTransition("there is no consent to withdraw")
        await repo.update_case(conn, urn, consent_withdrawn=True)
        await pub.publish(conn, ev.ConsentWithdrawn(urn=urn, victim_ref=case["victim_ref"], withdrawn_at=now))
    return {"urn": urn, "consent_withdrawn": True}


async def close(deps: Deps, caller: Principal, urn: str, code: str, reason: str | None) -> dict[str, Any]:
    model.check_closure(code, reason)
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await _locked(conn, caller, urn)
        model.require_status(case["status"], model.OPEN, "close the case")
        await repo.update_case(
            conn,
            urn,
            status="closed",
            closure={"outcome_code": code, "reason": reason, "closed_at": now.isoformat()},
        )
        await pub.publish(conn, ev.CaseClosed(urn=urn, outcome_code=code, closed_at=now))
    return {"urn": urn, "status": "closed", "outcome_code": code}


def may_read_referral(caller: Principal, case: dict[str, Any]) -> bool:
    """IDVA managers, the support service, or the IDVA assigned to the case, and that IDVA only when
    the case's force is one of the forces on their roster entry (as the assignment event said)."""
    if caller.agency != "idva":
        return False
    if caller.role in ("manager", "service"):
        return True
    forces = case.get("assigned_idva_forces") or []
    return caller.role == "idva" and caller.sub == case["assigned_idva"] and case["force_code"] in forces


def referral_refusal(caller: Principal, case: dict[str, Any]) -> tuple[str, DomainError] | None:
    """Why this caller may not have the contact details now, as (metric reason, error); None: they may."""
    if not may_read_referral(caller, case):
        return "not_permitted", Forbidden(
            "only the assigned IDVA (within the forces of their roster entry), an IDVA manager"
            " or the support service may read this"
        )
    if case["referral_basis"] == "none" or case["consent_withdrawn"]:
        return "no_basis", Forbidden("there is no basis for this referral (none given, or consent withdrawn)")
    if case["contact_purged_at"] is not None:
        return "gone", Gone("the victim's contact details were purged after the retention period; ask the police")
    return None


async def read_referral(deps: Deps, caller: Principal, urn: str, purpose: str) -> dict[str, Any]:
    """The claim check: contact details for the IDVA, only with a referral basis; every read audited
    (outcome ``read``, ``refused``, or ``gone`` once the details were purged), the audit committed
    before any refusal is raised."""
    async with db.transaction(deps.pool) as conn:
        case = await repo.get_case(conn, urn)
        refusal = referral_refusal(caller, case)
        row = None if refusal else await repo.get_victim(conn, urn)
        if refusal is None:
            outcome = "read" if row is not None else "missing"  # missing, never purged: a bug (500)
        else:
            outcome = "gone" if refusal[0] == "gone" else "refused"
        await repo.audit(conn, urn, caller.sub, caller.agency, caller.role, purpose, outcome)
    if refusal is not None:
        metrics.CLAIM_CHECK_REFUSALS.labels(refusal[0]).inc()
        raise refusal[1]
    if row is None:
        msg = "a case's contact details are missing without a purge"
        raise RuntimeError(msg)
    metrics.CLAIM_CHECK_READS.inc()
    contact = deps.keyring.open(Sealed(row["key_id"], row["wrapped_key"], row["ciphertext"]), aad=urn)
    return {
        "urn": urn,
        "victim_ref": case["victim_ref"],
        "referral_basis": case["referral_basis"],
        "contact": contact,
    }


async def purge_closed(deps: Deps, retention_days: int) -> int:
    """Erase contact details of cases closed longer ago than the retention period, and mark each case
    ``contact_purged_at`` in the same transaction (the claim check then answers 410, not 500)."""
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        rows = await conn.fetch(
            "DELETE FROM victims v USING cases c WHERE v.urn = c.urn AND c.status = 'closed'"
            " AND (c.closure->>'closed_at')::timestamptz < $1::timestamptz - make_interval(days => $2)"
            " RETURNING v.urn",
            now,
            retention_days,
        )
        await conn.execute(
            "UPDATE cases SET contact_purged_at = $2, updated_at = $2 WHERE urn = ANY($1::text[])",
            [r["urn"] for r in rows],
            now,
        )
    return len(rows)
