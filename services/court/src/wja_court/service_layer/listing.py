"""Finding a slot: the earliest open session of a serving court with free capacity on or after a date.

Capacity is taken under a row lock, so two cases racing for the last slot cannot both win:
the loser re-reads and takes the next slot, or waits unlisted. Every use case that lists, vacates or frees
capacity first takes court's listing lock (``Repository.hold_listing``), so two transactions that each list
several hearings wait for one another rather than deadlock.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from wja_platform.uow import UnitOfWork
from wja_schemas import court as ev

from wja_court.adapters.repository import Repository
from wja_court.domain import model

Uow = UnitOfWork[Repository]


class Listing:
    """Listing with the configured rules and force → courts map."""

    def __init__(self, rules: model.ListingRules, force_courts: dict[str, list[str]]) -> None:
        self.rules = rules
        self.force_courts = force_courts

    def courts(self, force: str | None) -> list[str] | None:
        """The courts serving a force: with no map, every court (None); with one, those it names."""
        return self.force_courts.get(force or "", []) if self.force_courts else None

    async def take_slot(
        self, repo: Repository, force: str | None, target: date, weight: int, now: datetime
    ) -> model.Session | None:
        """The earliest open session from the target London date (any sitting that day, none already begun)
        with at least ``weight`` free units, its units taken."""
        courts = self.courts(force)
        start = model.earliest_sitting(target, now)
        for _ in range(5):
            session = await repo.lock_first_slot(start, weight, courts)
            if session is not None and session.free >= weight:
                await repo.take_units(session.session_id, weight)
                return session
            # after losing a race the locked row may be filtered out: look once more with fresh eyes
            if session is None and not await repo.any_slot(start, weight, courts):
                return None
        return None

    async def new_hearing(
        self,
        uow: Uow,
        case: model.Case,
        kind: str,
        target: date,
        now: datetime,
        causationid: str | None = None,
    ) -> model.Hearing:
        """Create a hearing and list it, or leave it unlisted (visible in the queue).

        ``target_at`` stores the start (London midnight) of the target date."""
        weight = self.rules.weight(kind)
        hearing = model.Hearing(f"h-{uuid.uuid4().hex[:12]}", case.urn, kind, "unlisted", weight, target)
        await uow.repo.add_hearing(hearing.hearing_id, case.urn, kind, weight, model.day_start(target))
        if not await self.list_hearing(uow, hearing, case.force_code, now, causationid):
            unlisted = ev.HearingUnlisted(urn=case.urn, hearing_id=hearing.hearing_id, type=kind, target_date=target)
            await uow.publish(unlisted, causationid=causationid)
        return hearing

    async def list_hearing(
        self,
        uow: Uow,
        hearing: model.Hearing,
        force: str | None,
        now: datetime,
        causationid: str | None = None,
    ) -> bool:
        session = await self.take_slot(uow.repo, force, hearing.target, hearing.weight, now)
        if session is None:
            return False
        await uow.repo.mark_listed(hearing.hearing_id, session.session_id)
        listed = ev.HearingListed(
            urn=hearing.urn,
            hearing_id=hearing.hearing_id,
            type=hearing.type,
            session_id=session.session_id,
            court_code=session.court_code,
            starts_at=session.starts_at,
            listed_at=now,
        )
        await uow.publish(listed, causationid=causationid)
        return True

    async def list_waiting(self, uow: Uow, now: datetime) -> int:
        """List unlisted hearings now that capacity appeared: remand and high risk first."""
        waiting = await uow.repo.lock_waiting()
        ordered = sorted(waiting, key=lambda w: (*model.priority(w.remanded, w.risk_level), w.created_at))
        listed = 0
        for w in ordered:
            if await self.list_hearing(uow, w.hearing, w.force_code, now):
                listed += 1
        return listed
