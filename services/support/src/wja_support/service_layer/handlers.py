"""Support's use cases for IDVAs and managers (HTTP and pages): contacts, requests, wishes, closure,
assignment, the roster and reads of the victim's contact details.

Each runs in one unit of work (``uow.repo`` is the :class:`Repository`; events go to the outbox in the
same transaction), so it runs unchanged against PostgreSQL and against the in-memory fakes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform.clock import Clock
from wja_platform.crypto import Keyring
from wja_platform.problems import Forbidden, Invalid, NotFound, ServiceError
from wja_platform.uow import PgUnitOfWork, UnitOfWork
from wja_schemas import support as sp

from wja_support.adapters.repository import Repository
from wja_support.domain import model
from wja_support.domain.access import Caller
from wja_support.service_layer import commands, referrals

Uow = UnitOfWork[Repository]


@dataclass
class Deps:
    """What the use cases need from the running service."""

    pool: asyncpg.Pool
    clock: Clock
    keyring: Keyring

    def uow(self) -> Uow:
        """A unit of work: its own transaction (a savepoint inside a request's ambient one)."""
        return PgUnitOfWork(self.pool, Repository)


async def record_contact(uow: Uow, caller: Caller, urn: str, cmd: commands.Contact) -> dict[str, Any]:
    """Record that the victim was told about timeline entries, and by whom (default: the caller's agency)."""
    teller = cmd.told_by or caller.agency
    async with uow:
        await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        notices = await uow.repo.notices(urn, cmd.about)
        on_time, late = model.timeliness(cmd.about, notices, cmd.at)
        await uow.repo.mark_told(urn, cmd.about, cmd.at, teller, cmd.channel)
        await uow.publish(
            sp.VictimInformed(
                urn=urn,
                about=cmd.about,
                channel=cmd.channel,
                told_at=cmd.at,
                told_by=teller,
                on_time=on_time,
                late=late,
            )
        )
    return {"urn": urn, "told": len(cmd.about), "told_by": teller, "on_time": on_time, "late": late}


async def request_measures(uow: Uow, caller: Caller, urn: str, cmd: commands.Measures, now: datetime) -> dict[str, Any]:
    request_id = f"sm-{uuid.uuid4().hex[:10]}"
    async with uow:
        await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        await uow.publish(
            sp.SpecialMeasuresRequested(urn=urn, request_id=request_id, measures=cmd.measures, requested_at=now)
        )
    return {"request_id": request_id, "measures": cmd.measures}


async def request_visit(uow: Uow, caller: Caller, urn: str, now: datetime) -> dict[str, Any]:
    request_id = f"fv-{uuid.uuid4().hex[:10]}"
    async with uow:
        await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        await uow.publish(sp.FamiliarisationRequested(urn=urn, request_id=request_id, requested_at=now))
    return {"request_id": request_id}


async def record_wishes(uow: Uow, caller: Caller, urn: str, cmd: commands.Wishes, now: datetime) -> dict[str, Any]:
    wishes = cmd.model_dump()
    async with uow:
        await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        await uow.publish(sp.WishesRecorded(urn=urn, recorded_at=now, **wishes))
    return {"urn": urn, **wishes}


async def record_statement(
    uow: Uow, caller: Caller, urn: str, cmd: commands.Statement, now: datetime
) -> dict[str, Any]:
    async with uow:
        await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        await uow.publish(
            sp.PersonalStatementRecorded(urn=urn, will_read_in_court=cmd.will_read_in_court, recorded_at=now)
        )
    return {"urn": urn, "recorded": True}


async def close_support(uow: Uow, caller: Caller, urn: str, cmd: commands.Closure, now: datetime) -> dict[str, Any]:
    async with uow:
        case = await uow.repo.case_for(caller, urn, lock=True, assigned_only=True)
        case.check_may_close()
        vcs = case.vcs_offered(cmd.vcs_opt_in)
        await uow.repo.update_case(urn, support_closed=True, support_closed_at=now)
        await uow.publish(sp.SupportClosed(urn=urn, reason=cmd.reason, vcs_offered=vcs, closed_at=now))
    return {"urn": urn, "vcs_offered": vcs}


async def reassign(uow: Uow, caller: Caller, urn: str, cmd: commands.Assignment, now: datetime) -> dict[str, Any]:
    """Assign the case to an IDVA on the roster who serves its force (422 otherwise)."""
    async with uow:
        case = await uow.repo.case_for(caller, urn, lock=True)
        idva = await uow.repo.on_roster(cmd.idva)
        if idva is None:
            raise Invalid("not an IDVA on the roster", field="idva")
        if not model.serves(idva, case.force_code):
            raise Invalid("this IDVA does not serve the case's force (see their roster entry)", field="idva")
        await referrals.assign(uow, urn, idva, case.force_code, now)
    return {"urn": urn, "idva": cmd.idva}


async def add_idva(uow: Uow, cmd: commands.IdvaIn) -> dict[str, Any]:
    """Add an IDVA to the roster (or change their team and forces)."""
    async with uow:
        await uow.repo.upsert_idva(cmd.sub, cmd.team, cmd.forces)
    return cmd.model_dump()


async def contact_details(
    uow: Uow, keyring: Keyring, caller: Caller, urn: str, purpose: str, now: datetime
) -> dict[str, Any]:
    """The victim's contact details, decrypted, for the assigned IDVA; every attempt on a known case is
    audited (who, purpose, when, outcome ``read``, ``refused`` or ``not_held``), committed before any
    refusal is raised."""
    failure: ServiceError | None = None
    sealed = None
    async with uow:
        case = await uow.repo.get_case(urn)
        if case is None:
            raise NotFound(f"no case {urn}")
        try:
            await uow.repo.case_for(caller, urn, assigned_only=True)
        except Forbidden as refused:
            failure = refused
        if failure is None:
            sealed = await uow.repo.sealed_contact(urn)
            if sealed is None:
                failure = NotFound(f"no contact details held ({case.contact_status})")
        outcome = "read" if failure is None else "refused" if isinstance(failure, Forbidden) else "not_held"
        await uow.repo.audit_contact_read(urn, caller, purpose, outcome, now)
    if failure is not None:
        raise failure
    assert sealed is not None
    return keyring.open(sealed, aad=urn)
