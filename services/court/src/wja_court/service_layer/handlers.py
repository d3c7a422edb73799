"""Court use cases: sessions, charges listed, results, verdicts, sentences, orders, special measures.

Every use case runs here, asked over HTTP (a command, in a unit of work of its own) or by an event
(in the consumer's unit of work, so the processed-event record commits with the effect).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import telemetry
from wja_platform.clock import Clock
from wja_platform.consumer import NotReady
from wja_platform.uow import PgUnitOfWork, UnitOfWork
from wja_schemas import charging as ch
from wja_schemas import court as ev
from wja_schemas import support as sp

from wja_court.adapters.repository import Repository
from wja_court.domain import model, sentencing
from wja_court.service_layer import commands as cmd
from wja_court.service_layer.listing import Listing

Uow = UnitOfWork[Repository]


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    listing: Listing
    unit_of_work: Callable[[], Uow] | None = None
    """Where use cases run (default: a PostgreSQL transaction from ``pool``; unit tests give a fake)."""

    def uow(self) -> Uow:
        if self.unit_of_work is not None:
            return self.unit_of_work()
        return PgUnitOfWork(self.pool, Repository)


async def get_case(uow: Uow, urn: str, *, lock: bool = True) -> model.Case:
    return model.found(await uow.repo.get_case(urn, lock=lock), f"no court case {urn}")


async def before_the_court(uow: Uow, urn: str) -> None:
    """An event about a case court has not opened yet is parked until its charge arrives."""
    if not await uow.repo.case_exists(urn):
        raise NotReady("the case is not before the court yet")


# ------------------------------------------------------------------ sessions
async def create_session(deps: Deps, c: cmd.CreateSession) -> dict[str, Any]:
    session_id = f"s-{uuid.uuid4().hex[:12]}"
    async with deps.uow() as uow:
        await uow.repo.hold_listing()
        await uow.repo.add_session(session_id, c.court_code, c.starts_at, c.capacity)
        listed = await deps.listing.list_waiting(uow, deps.clock.now())
    return {"session_id": session_id, "listed_from_queue": listed}


async def change_session(deps: Deps, c: cmd.ChangeSession) -> dict[str, Any]:
    async with deps.uow() as uow:
        await uow.repo.hold_listing()
        session = model.found(await uow.repo.get_session(c.session_id), f"no session {c.session_id}")
        if c.capacity is not None:
            model.check_capacity(session, c.capacity)
            await uow.repo.set_capacity(c.session_id, c.capacity)
        if c.close:
            await uow.repo.close_session(c.session_id)
        listed = await deps.listing.list_waiting(uow, deps.clock.now()) if c.capacity is not None else 0
    return {"session_id": c.session_id, "listed_from_queue": listed}


# ------------------------------------------------------------------ consumed events
async def charged(uow: Uow, deps: Deps, event: ch.DecisionMade, causationid: str) -> None:
    """A charge decision: the court case opens (or, re-charged after a discontinuance, opens again) and the
    first hearing is listed."""
    case = model.Case(
        urn=event.urn,
        charged_at=event.decided_at,
        force_code=event.force_code,
        risk_level=event.risk_level,
        remanded=event.remanded,
        anticipated_plea=event.anticipated_plea,
        offences=tuple(c.offence_code for c in event.charges),
    )
    async with uow:
        await uow.repo.hold_listing()
        existing = await uow.repo.get_case(event.urn, lock=True)
        if existing is None:
            await uow.repo.add_case(case)
        elif model.starts_new_proceedings(existing):
            await uow.repo.restart_case(case)
        else:
            if model.amends_charges(existing, case.offences, event.decided_at):  # charges amended on live proceedings
                await uow.repo.set_offences(event.urn, case.offences)
            return
        target = deps.listing.rules.first_hearing_target(event.decided_at, event.remanded, event.anticipated_plea)
        await deps.listing.new_hearing(uow, case, "first_hearing", target, deps.clock.now(), causationid)


async def discontinued(uow: Uow, deps: Deps, event: ch.ProceedingsDiscontinued, causationid: str) -> None:
    """Proceedings discontinued: every future hearing is vacated and its capacity freed."""
    async with uow:
        await before_the_court(uow, event.urn)
        await uow.repo.hold_listing()
        case = await get_case(uow, event.urn)
        if case.discontinued:
            return
        await uow.repo.mark_discontinued(event.urn, event.discontinued_at)
        pending = await uow.repo.lock_pending(event.urn)
        for h in pending:
            if h.session_id and h.status == "listed":
                await uow.repo.free_units(h.session_id, h.weight)
            await uow.repo.vacate(h.hearing_id)
            vacated = ev.HearingVacated(
                urn=event.urn, hearing_id=h.hearing_id, reason="discontinued", vacated_at=event.discontinued_at
            )
            await uow.publish(vacated, causationid=causationid)
        if pending:
            await deps.listing.list_waiting(uow, deps.clock.now())


async def special_measures_requested(uow: Uow, event: sp.SpecialMeasuresRequested) -> None:
    async with uow:
        await before_the_court(uow, event.urn)
        await uow.repo.add_measures_request(event.request_id, event.urn, list(event.measures), event.requested_at)


async def familiarisation_requested(uow: Uow, event: sp.FamiliarisationRequested) -> None:
    async with uow:
        await before_the_court(uow, event.urn)
        await uow.repo.hold_listing()  # it locks a hearing: in a batch of charges, that must come after the lock
        visit = {"request_id": event.request_id, "requested_at": event.requested_at.isoformat()}
        await uow.repo.set_familiarisation(event.urn, visit)


# ------------------------------------------------------------------ results
async def record_result(deps: Deps, c: cmd.RecordResult) -> dict[str, Any]:
    """A hearing's result: its plea (once), the court's bail decision, and the hearing it leads to."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        await uow.repo.hold_listing()
        hearing = model.found(await uow.repo.get_hearing(c.hearing_id), f"no hearing {c.hearing_id}")
        telemetry.set_case_urn(hearing.urn)  # the path names the hearing, not the case: tag the spans here
        model.check_resultable(hearing)
        case = await get_case(uow, hearing.urn)
        model.check_result(case, hearing, c.result, c.reason_code)
        if deps.clock.simulated():
            model.check_not_before_sitting(now, hearing.starts_at, "a result")
        await uow.repo.result_hearing(c.hearing_id, c.result, c.reason_code, now)
        if c.result in model.PLEAS:
            await uow.repo.record_plea(case.urn, guilty=c.result == "guilty_plea")
        resulted = ev.HearingResulted(
            urn=case.urn,
            hearing_id=c.hearing_id,
            type=hearing.type,
            result=c.result,
            reason_code=c.reason_code,
            resulted_at=now,
        )
        await uow.publish(resulted)
        if c.bail:
            await _bail_decided(uow, case, c.hearing_id, c.bail, now)
        next_hearing = await _what_follows(uow, deps, case, hearing, c.result, now)
    return {
        "hearing_id": c.hearing_id,
        "status": "resulted",
        "result": c.result,
        "next_hearing_id": next_hearing.hearing_id if next_hearing else None,
    }


async def _bail_decided(uow: Uow, case: model.Case, hearing_id: str, bail: cmd.BailDecision, now: datetime) -> None:
    await uow.repo.set_remanded(case.urn, bail.kind == "remanded")
    decided = ev.CourtBailDecided(
        urn=case.urn, hearing_id=hearing_id, kind=bail.kind, conditions=list(bail.conditions), decided_at=now
    )
    await uow.publish(decided)


async def _what_follows(
    uow: Uow, deps: Deps, case: model.Case, hearing: model.Hearing, result: str, now: datetime
) -> model.Hearing | None:
    """The hearing a result leads to (sentencing after a guilty plea, a trial after a not-guilty plea, the same
    hearing again after an adjournment or an ineffective trial), listed from the date the hearing sat."""
    follow = deps.listing.rules.after_result(result, hearing.type, hearing.starts_at or now)
    if follow is None:
        return None
    kind, target = follow
    return await deps.listing.new_hearing(uow, case, kind, target, now)


# ------------------------------------------------------------------ outcomes
async def verdict(deps: Deps, c: cmd.RecordVerdict) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        model.check_verdict(await get_case(uow, c.urn))
        if deps.clock.simulated():
            model.check_not_before_sitting(now, await uow.repo.sits_at(c.urn, "trial"), "a verdict")
        await uow.repo.set_verdict(c.urn, c.verdict, now if model.ends_proceedings(c.verdict) else None)
        await uow.publish(ev.VerdictRecorded(urn=c.urn, verdict=c.verdict, recorded_at=now))
    return {"urn": c.urn, "verdict": c.verdict}


async def sentence(deps: Deps, c: cmd.ImposeSentence) -> dict[str, Any]:
    """The sentence, with whether the Victim Contact Scheme is due; it results a pending sentencing hearing."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        await uow.repo.hold_listing()
        case = await get_case(uow, c.urn)
        term = model.check_sentence(case, c.disposal, c.custody_months, c.custody_days)
        if deps.clock.simulated():
            model.check_not_before_sitting(now, await uow.repo.sits_at(c.urn, "sentencing"), "a sentence")
        vcs = sentencing.vcs_eligible(c.disposal, term, case.offences)
        record = {
            "disposal": c.disposal,
            "custody_months": c.custody_months,
            "custody_days": c.custody_days,
            "vcs_eligible": vcs,
            "imposed_at": now.isoformat(),
        }
        await uow.repo.set_sentence(c.urn, record, now)
        for hearing_id in await uow.repo.lock_pending_sentencing(c.urn):  # sentenced: this results the hearing
            await uow.repo.result_hearing(hearing_id, "effective", None, now)
        imposed = ev.SentenceImposed(
            urn=c.urn,
            disposal=c.disposal,
            custody_months=c.custody_months,
            custody_days=c.custody_days,
            vcs_eligible=vcs,
            imposed_at=now,
        )
        await uow.publish(imposed)
    return {"urn": c.urn, "sentence": record}


async def restraining_order(deps: Deps, c: cmd.MakeOrder) -> dict[str, Any]:
    now = deps.clock.now()
    async with deps.uow() as uow:
        model.check_restraining_order(await get_case(uow, c.urn), c.basis)
        await uow.repo.add_order(c.urn, c.basis, c.until, list(c.conditions), now)
        made = ev.RestrainingOrderMade(
            urn=c.urn, basis=c.basis, until=c.until, conditions=list(c.conditions), made_at=now
        )
        await uow.publish(made)
    return {"urn": c.urn, "basis": c.basis, "until": c.until}


async def decide_special_measures(deps: Deps, c: cmd.DecideMeasures) -> dict[str, Any]:
    model.check_refusal_reason(c.granted, c.refusal_reason)
    now = deps.clock.now()
    async with deps.uow() as uow:
        await get_case(uow, c.urn)
        request = model.found(
            await uow.repo.get_measures_request(c.request_id, c.urn),
            f"no special-measures request {c.request_id} on {c.urn}",
        )
        model.check_undecided(request)
        measures = list(c.measures) or list(request.measures)
        await uow.repo.decide_measures(c.request_id, c.granted, measures, c.refusal_reason, now)
        decided = ev.SpecialMeasuresDecided(
            urn=c.urn,
            request_id=c.request_id,
            measures=measures,
            granted=c.granted,
            refusal_reason_code=None if c.granted else "reasons_in_court_record",
            decided_at=now,
        )
        await uow.publish(decided)
    return {"request_id": c.request_id, "granted": c.granted, "measures": measures}
