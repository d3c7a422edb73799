"""Support use cases for IDVAs and managers: access rules, contacts, requests, wishes, closure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import db, outbox
from wja_platform.auth import Principal
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring, Sealed
from wja_platform.problems import Conflict, Forbidden, Invalid, NotFound
from wja_schemas import support as sp

from wja_support.adapters import repository as repo
from wja_support.service_layer import referrals


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    keyring: Keyring


def team_of(caller: Principal) -> str:
    return caller.team or "default"


async def visible(conn: asyncpg.Connection, caller: Principal, case: dict[str, Any]) -> bool:
    """The assigned IDVA (on the roster) or a manager of the case's team; a case no IDVA serves yet,
    the managers of the teams serving its force (so that they can assign one)."""
    if caller.agency != "idva":
        return False
    if caller.role == "manager":
        if case["idva"] is None:
            referred = case["referral_basis"] is not None
            return referred and case["force_code"] in await repo.team_forces(conn, team_of(caller))
        return case["team"] is not None and case["team"] == team_of(caller)
    if caller.role == "idva":
        return case["idva"] == caller.sub and await repo.on_roster(conn, caller.sub) is not None
    return False


async def case_for(
    conn: asyncpg.Connection,
    caller: Principal,
    urn: str,
    *,
    lock: bool = False,
    assigned_only: bool = False,
) -> dict[str, Any]:
    if caller.agency != "idva":
        raise Forbidden("only the IDVA service may see this")
    row = await conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    if row is None:
        raise NotFound(f"no case {urn}")
    case = dict(row)
    if not await visible(conn, caller, case):
        raise Forbidden("this case is not assigned to you or your team")
    if assigned_only and not (caller.role == "idva" and case["idva"] == caller.sub):
        raise Forbidden("only the assigned IDVA may do this")
    return case


TELLERS = ("idva", "police", "cps", "wcu", "court")
"""Who may have told the victim: the IDVA or a duty holder (journey.md)."""


async def record_contact(
    deps: Deps,
    caller: Principal,
    urn: str,
    about: list[str],
    channel: str,
    at: datetime,
    told_by: str | None = None,
) -> dict[str, Any]:
    """Record that the victim was told about timeline entries, and by whom (default: the caller's agency)."""
    teller = told_by or caller.agency
    async with db.transaction(deps.pool) as conn:
        await case_for(conn, caller, urn, lock=True, assigned_only=True)
        rows = await conn.fetch(
            "SELECT id, tell_victim_by, told_at FROM entries WHERE urn = $1 AND id = ANY($2::text[]) FOR UPDATE",
            urn,
            about,
        )
        known = {r["id"]: r for r in rows}
        unknown = [i for i in about if i not in known]
        if unknown:
            raise Invalid(f"{len(unknown)} entry id(s) are not on this case's timeline", field="about")
        told = [i for i in about if known[i]["told_at"] is not None]
        if told:
            raise Conflict(f"the victim was already told about {len(told)} of these entries: each is recorded once")
        await conn.execute(
            "UPDATE entries SET told_at = $3, told_by = $4, channel = $5 WHERE urn = $1 AND id = ANY($2::text[])",
            urn,
            about,
            at,
            teller,
            channel,
        )
        deadlines = [r["tell_victim_by"] for r in known.values() if r["tell_victim_by"] is not None]
        on_time = sum(1 for d in deadlines if at <= d)
        late = len(deadlines) - on_time
        await outbox.publish(
            conn,
            sp.VictimInformed(
                urn=urn,
                about=about,
                channel=channel,
                told_at=at,
                told_by=teller,
                on_time=on_time,
                late=late,
            ),
        )
    return {"urn": urn, "told": len(about), "told_by": teller, "on_time": on_time, "late": late}


async def request_measures(deps: Deps, caller: Principal, urn: str, measures: list[str]) -> dict[str, Any]:
    now, request_id = deps.clock.now(), f"sm-{uuid.uuid4().hex[:10]}"
    async with db.transaction(deps.pool) as conn:
        await case_for(conn, caller, urn, lock=True, assigned_only=True)
        await outbox.publish(
            conn,
            sp.SpecialMeasuresRequested(urn=urn, request_id=request_id, measures=measures, requested_at=now),
        )
    return {"request_id": request_id, "measures": measures}


async def request_visit(deps: Deps, caller: Principal, urn: str) -> dict[str, Any]:
    now, request_id = deps.clock.now(), f"fv-{uuid.uuid4().hex[:10]}"
    async with db.transaction(deps.pool) as conn:
        await case_for(conn, caller, urn, lock=True, assigned_only=True)
        await outbox.publish(conn, sp.FamiliarisationRequested(urn=urn, request_id=request_id, requested_at=now))
    return {"request_id": request_id}


async def record_wishes(deps: Deps, caller: Principal, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        await case_for(conn, caller, urn, lock=True, assigned_only=True)
        await outbox.publish(conn, sp.WishesRecorded(urn=urn, recorded_at=deps.clock.now(), **body))
    return {"urn": urn, **body}


async def record_statement(deps: Deps, caller: Principal, urn: str, read_in_court: bool | None) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        await case_for(conn, caller, urn, lock=True, assigned_only=True)
        await outbox.publish(
            conn,
            sp.PersonalStatementRecorded(urn=urn, will_read_in_court=read_in_court, recorded_at=deps.clock.now()),
        )
    return {"urn": urn, "recorded": True}


async def close_support(deps: Deps, caller: Principal, urn: str, reason: str, vcs_opt_in: bool) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        case = await case_for(conn, caller, urn, lock=True, assigned_only=True)
        if case["support_closed"]:
            raise Conflict("support is already closed")
        # statutory (DVCVA 2004 s35, decided by court from the sentence) or offered at the IDVA's discretion
        vcs = vcs_opt_in or bool(case["vcs_eligible"])
        await repo.update_case(conn, urn, support_closed=True, support_closed_at=deps.clock.now())
        await outbox.publish(
            conn,
            sp.SupportClosed(urn=urn, reason=reason, vcs_offered=vcs, closed_at=deps.clock.now()),
        )
    return {"urn": urn, "vcs_offered": vcs}


async def reassign(deps: Deps, caller: Principal, urn: str, sub: str) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        case = await case_for(conn, caller, urn, lock=True)
        idva = await repo.on_roster(conn, sub)
        if idva is None:
            raise Invalid("not an IDVA on the roster", field="idva")
        if not referrals.serves(idva, case["force_code"]):
            raise Invalid("this IDVA does not serve the case's force (see their roster entry)", field="idva")
        await referrals.assign(conn, urn, idva, case["force_code"], deps.clock.now())
    return {"urn": urn, "idva": sub}


async def contact_details(deps: Deps, caller: Principal, urn: str, purpose: str) -> dict[str, Any]:
    """The victim's contact details, decrypted, for the assigned IDVA; every attempt on a known case is
    audited (who, purpose, when, outcome ``read``, ``refused`` or ``not_held``), committed before any
    refusal is raised."""
    failure: Exception | None = None
    row = None
    async with db.transaction(deps.pool) as conn:
        case = await repo.get_case(conn, urn)
        try:
            await case_for(conn, caller, urn, assigned_only=True)
        except Forbidden as refused:
            failure = refused
        if failure is None:
            row = await conn.fetchrow("SELECT key_id, wrapped_key, ciphertext FROM contacts WHERE urn = $1", urn)
            if row is None:
                failure = NotFound(f"no contact details held ({case['contact_status']})")
        outcome = "read" if failure is None else "refused" if isinstance(failure, Forbidden) else "not_held"
        await repo.audit_contact_read(conn, urn, caller, purpose, outcome, deps.clock.now())
    if failure is not None:
        raise failure
    assert row is not None
    return deps.keyring.open(Sealed(row["key_id"], row["wrapped_key"], row["ciphertext"]), aad=urn)
