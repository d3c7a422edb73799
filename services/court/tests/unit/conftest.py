"""An in-memory court repository and a unit of work over it: the service layer without servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from wja_court.domain import model
from wja_court.domain.model import Case, Hearing, MeasuresRequest, Session, Waiting
from wja_court.service_layer import handlers
from wja_court.service_layer.listing import Listing
from wja_platform.clock import FixedClock
from wja_platform.uow import FakeUnitOfWork

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)


class FakeRepository:
    """The court's tables as dictionaries (no locks: one use case at a time). It checks the listing lock's rule
    (``Repository.hold_listing``): a use case that takes or frees capacity or locks hearings holds it, taken before
    any row lock; :class:`Uow` lets it go when the use case ends."""

    def __init__(self) -> None:
        self.held = False
        self.rows_locked = False
        self.sessions: dict[str, Session] = {}
        self.cases: dict[str, Case] = {}
        self.hearings: dict[str, Hearing] = {}
        self.created: dict[str, int] = {}
        self.measures: dict[str, MeasuresRequest] = {}
        self.decisions: dict[str, tuple[bool, list[str], str | None]] = {}
        self.orders: list[tuple[str, str, date | None, list[str]]] = []
        self.sentences: dict[str, dict] = {}
        self.finished: dict[str, datetime] = {}
        self.visits: dict[str, dict[str, str]] = {}
        self._order = count()

    # the listing lock
    async def hold_listing(self):
        assert not self.rows_locked, "the listing lock taken after a row lock: two use cases could deadlock"
        self.held = True

    def _listing(self):
        assert self.held, "capacity taken or freed, or hearings locked, without the listing lock first"

    def _row_lock(self, lock=True):
        self.rows_locked = self.rows_locked or lock

    def ended(self):
        self.held = self.rows_locked = False

    # sessions
    async def add_session(self, session_id, court_code, starts_at, capacity):
        self.sessions[session_id] = Session(session_id, court_code, starts_at, capacity)

    async def get_session(self, session_id, *, lock=True):
        self._row_lock(lock)
        return self.sessions.get(session_id)

    async def set_capacity(self, session_id, capacity):
        self._listing()
        self.sessions[session_id] = replace(self.sessions[session_id], capacity=capacity)

    async def close_session(self, session_id):
        self._listing()
        self.sessions[session_id] = replace(self.sessions[session_id], closed=True)

    def _slots(self, start, weight, courts):
        return sorted(
            (
                s
                for s in self.sessions.values()
                if not s.closed
                and s.starts_at >= start
                and s.free >= weight
                and (courts is None or s.court_code in courts)
            ),
            key=lambda s: (s.starts_at, s.session_id),
        )

    async def lock_first_slot(self, start, weight, courts):
        self._listing()
        return next(iter(self._slots(start, weight, courts)), None)

    async def any_slot(self, start, weight, courts):
        return bool(self._slots(start, weight, courts))

    async def take_units(self, session_id, weight):
        self._listing()
        s = self.sessions[session_id]
        self.sessions[session_id] = replace(s, used=s.used + weight)

    async def free_units(self, session_id, weight):
        self._listing()
        s = self.sessions[session_id]
        self.sessions[session_id] = replace(s, used=s.used - weight)

    # cases
    async def get_case(self, urn, *, lock=True):
        self._row_lock(lock)
        return self.cases.get(urn)

    async def case_exists(self, urn):
        return urn in self.cases

    async def add_case(self, case):
        self.cases[case.urn] = case

    async def restart_case(self, case):
        self.cases[case.urn] = case
        self.sentences.pop(case.urn, None)

    async def set_offences(self, urn, offences):
        self.cases[urn] = replace(self.cases[urn], offences=tuple(offences))

    async def mark_discontinued(self, urn, at):
        self.cases[urn] = replace(self.cases[urn], discontinued=True)
        self.finished.setdefault(urn, at)

    async def record_plea(self, urn, *, guilty):
        flag = "guilty_plea" if guilty else "not_guilty_plea"
        self.cases[urn] = replace(self.cases[urn], **{flag: True})

    async def set_remanded(self, urn, remanded):
        self.cases[urn] = replace(self.cases[urn], remanded=remanded)

    async def set_verdict(self, urn, verdict, finished_at):
        self.cases[urn] = replace(self.cases[urn], verdict=verdict)
        if finished_at is not None:
            self.finished[urn] = finished_at

    async def set_sentence(self, urn, record, at):
        self.cases[urn] = replace(self.cases[urn], sentenced=True)
        self.sentences[urn] = record
        self.finished[urn] = at

    # hearings
    async def add_hearing(self, hearing_id, urn, kind, weight, target_at):
        self.hearings[hearing_id] = Hearing(hearing_id, urn, kind, "unlisted", weight, model.london_date(target_at))
        self.created[hearing_id] = next(self._order)

    async def get_hearing(self, hearing_id):
        self._row_lock()
        h = self.hearings.get(hearing_id)
        if h is None or h.session_id is None:
            return h
        return replace(h, starts_at=self.sessions[h.session_id].starts_at)

    async def mark_listed(self, hearing_id, session_id):
        s = self.sessions[session_id]
        self.hearings[hearing_id] = replace(
            self.hearings[hearing_id],
            status="listed",
            session_id=session_id,
            starts_at=s.starts_at,
            court_code=s.court_code,
        )

    async def lock_waiting(self):
        self._listing()
        waiting = sorted(
            (h for h in self.hearings.values() if h.status == "unlisted"), key=lambda h: self.created[h.hearing_id]
        )
        return [
            Waiting(
                h,
                self.cases[h.urn].force_code,
                self.cases[h.urn].remanded,
                self.cases[h.urn].risk_level,
                NOW + timedelta(seconds=self.created[h.hearing_id]),
            )
            for h in waiting
        ]

    async def lock_pending(self, urn):
        self._listing()
        return [h for h in self.of(urn) if h.status in ("listed", "unlisted")]

    async def lock_pending_sentencing(self, urn):
        return [h.hearing_id for h in await self.lock_pending(urn) if h.type == "sentencing"]

    async def vacate(self, hearing_id):
        self.hearings[hearing_id] = replace(self.hearings[hearing_id], status="vacated")

    async def result_hearing(self, hearing_id, result, reason_code, at):
        self.hearings[hearing_id] = replace(
            self.hearings[hearing_id], status="resulted", result=result, reason_code=reason_code
        )

    async def set_familiarisation(self, urn, visit):
        self._listing()
        trials = [h for h in self.of(urn) if h.type == "trial"]
        if trials:
            self.hearings[trials[-1].hearing_id] = replace(trials[-1], familiarisation_requested=True)
            self.visits[trials[-1].hearing_id] = visit

    # special measures, orders
    async def add_measures_request(self, request_id, urn, measures, at):
        self.measures.setdefault(request_id, MeasuresRequest(request_id, urn, tuple(measures)))

    async def get_measures_request(self, request_id, urn):
        found = self.measures.get(request_id)
        return found if found is not None and found.urn == urn else None

    async def decide_measures(self, request_id, granted, measures, refusal_reason, at):
        self.measures[request_id] = replace(self.measures[request_id], decided=True)
        self.decisions[request_id] = (granted, measures, refusal_reason)

    async def add_order(self, urn, basis, until, conditions, at):
        self.orders.append((urn, basis, until, conditions))

    # for the tests
    def of(self, urn: str) -> list[Hearing]:
        return sorted((h for h in self.hearings.values() if h.urn == urn), key=lambda h: self.created[h.hearing_id])


class Uow(FakeUnitOfWork[FakeRepository]):
    """A use case's end lets its locks go (a transaction's end)."""

    async def __aexit__(self, kind, exc, tb):
        await super().__aexit__(kind, exc, tb)
        self.repo.ended()


class Court:
    """The service layer over the fakes: ``deps`` for the handlers, ``uow`` and ``repo`` to look inside."""

    def __init__(self, force_courts: dict[str, list[str]] | None = None) -> None:
        self.repo = FakeRepository()
        self.uow = Uow(self.repo)
        self.clock = FixedClock(NOW)
        listing = Listing(model.ListingRules(), force_courts if force_courts is not None else {"01": ["C1"]})
        self.deps = handlers.Deps(None, self.clock, listing, unit_of_work=lambda: self.uow)

    def published(self) -> list[str]:
        return [e.ce_type for e in self.uow.published]

    async def session(self, days: float, capacity: int = 5, code: str = "C1") -> str:
        from wja_court.service_layer import commands as cmd

        created = await handlers.create_session(
            self.deps, cmd.CreateSession(code, NOW + timedelta(days=days), capacity)
        )
        return created["session_id"]


@pytest.fixture
def court() -> Court:
    return Court()
