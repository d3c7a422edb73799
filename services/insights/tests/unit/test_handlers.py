"""The service layer against an in-memory repository: events into facts, rebuild, retention roll-up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from wja_insights.domain import archive, measures
from wja_insights.entrypoints.http import period_of
from wja_insights.service_layer import handlers, retention
from wja_platform.problems import Invalid
from wja_platform.uow import FakeUnitOfWork
from wja_schemas import new_envelope
from wja_schemas.examples import example

URN = "01UT0000126"
AT = datetime(2026, 8, 3, 10, tzinfo=UTC)
DAY = timedelta(days=1)


class FakeRepository:
    """:class:`wja_insights.adapters.repository.Repository` in memory, with the same rules per fact."""

    def __init__(self) -> None:
        self.facts: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self.notes: dict[str, dict] = {}
        self.archive: Counter = Counter()
        self.inbox: set[tuple[str, str]] = set()

    def _fact(self, urn):
        return self.facts.setdefault(urn, {"urn": urn})

    async def report(self, urn, force_code, at):
        self._fact(urn).update(force_code=force_code, reported_at=at)

    async def arrest(self, urn, at):
        f = self._fact(urn)
        f["arrested_at"] = min(filter(None, (f.get("arrested_at"), at)))

    async def request_charging(self, urn, at, force_code):
        f = self._fact(urn)
        f["requested_at"] = min(filter(None, (f.get("requested_at"), at)))
        f["force_code"] = f.get("force_code") or force_code

    async def close(self, urn, outcome_code, at):
        self._fact(urn).update(closure_code=outcome_code, closed_at=at)

    async def decide(self, urn, decision, at, days_to_decision):
        f = self._fact(urn)
        if f.get("decided_at") is None or f["decided_at"] <= at:
            f.update(decision=decision, decided_at=at, days_to_decision=days_to_decision)

    async def finalise(self, urn, at):
        self._fact(urn)["finalised_at"] = at

    async def discontinue(self, urn, reason, at):
        f = self._fact(urn)
        if f.get("discontinued_at") is None or f["discontinued_at"] <= at:
            f.update(discontinued=reason, discontinued_at=at)

    async def plead_guilty(self, urn, at):
        f = self._fact(urn)
        f["guilty_plea_at"] = f.get("guilty_plea_at") or at

    async def record_verdict(self, urn, verdict, at):
        self._fact(urn).update(verdict=verdict, verdict_at=at)

    async def add_order(self, event_id, urn, made_at):
        self.orders.setdefault(event_id, {"urn": urn, "made_at": made_at})

    async def add_notification(self, event_id, urn, told_at, on_time, late):
        self.notes.setdefault(event_id, {"urn": urn, "told_at": told_at, "on_time": on_time, "late": late})

    async def due(self, cutoff, limit):
        latest: dict[str, datetime] = {}
        rows = [(u, at) for u, f in self.facts.items() for k, at in f.items() if k.endswith("_at") and at]
        rows += [(r["urn"], r[k]) for rs, k in ((self.orders, "made_at"), (self.notes, "told_at")) for r in rs.values()]
        for urn, at in rows:
            latest[urn] = max(latest.get(urn, at), at)
        return sorted(u for u, at in latest.items() if at < cutoff)[:limit]

    async def take(self, urns):
        facts = [self.facts.pop(u) for u in urns if u in self.facts]
        orders = [self.orders.pop(k) for k, r in list(self.orders.items()) if r["urn"] in urns]
        notes = [self.notes.pop(k) for k, r in list(self.notes.items()) if r["urn"] in urns]
        return facts, orders, notes

    async def add_to_archive(self, counts):
        self.archive.update(counts)

    async def empty(self, consumer):
        self.facts, self.orders, self.notes, self.archive = {}, {}, {}, Counter()
        self.inbox = {(c, key) for c, key in self.inbox if c != consumer}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeRepository())


def ev(ce_type, urn=URN, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def apply(uow, *envelopes):
    for env in envelopes:
        await handlers.apply(uow, env)
    return uow.repo.facts.get(URN)


async def test_events_of_every_agency_become_the_facts_of_their_case(uow):
    fact = await apply(
        uow,
        ev("wja.intake.crime.reported.v1", reported_at=AT, force_code="07"),
        ev("wja.intake.suspect.arrested.v1", arrested_at=AT + DAY),
        ev("wja.intake.charging.requested.v1", requested_at=AT + 2 * DAY, force_code="07"),
        ev("wja.charging.decision.made.v1", decision="charge", decided_at=AT + 3 * DAY, days_to_decision=1),
        ev("wja.court.hearing.resulted.v1", result="guilty_plea", resulted_at=AT + 9 * DAY),
        ev("wja.intake.case.closed.v1", outcome_code="1", closed_at=AT + 10 * DAY),
    )
    assert fact == {
        "urn": URN,
        "force_code": "07",
        "reported_at": AT,
        "arrested_at": AT + DAY,
        "requested_at": AT + 2 * DAY,
        "decision": "charge",
        "decided_at": AT + 3 * DAY,
        "days_to_decision": 1,
        "guilty_plea_at": AT + 9 * DAY,
        "closure_code": "1",
        "closed_at": AT + 10 * DAY,
    }
    assert uow.commits == 6 and uow.published == []  # a read-only projection publishes nothing


async def test_the_final_decision_is_the_latest_by_decision_time_not_by_arrival(uow):
    later = ev("wja.charging.decision.made.v1", decision="charge", decided_at=AT + DAY, days_to_decision=4)
    earlier = ev("wja.charging.decision.made.v1", decision="no_further_action", decided_at=AT, days_to_decision=2)
    fact = await apply(uow, later, earlier)
    assert (fact["decision"], fact["decided_at"], fact["days_to_decision"]) == ("charge", AT + DAY, 4)


async def test_a_request_for_further_material_is_not_a_final_decision(uow):
    await apply(uow, ev("wja.charging.decision.made.v1", decision="further_material_required", decided_at=AT))
    assert uow.repo.facts == {}
    fact = await apply(uow, ev("wja.charging.decision.made.v1", decision="out_of_court_disposal", decided_at=AT))
    assert fact["decision"] == "out_of_court_disposal"


async def test_a_recharged_case_stops_counting_as_discontinued_and_a_later_discontinuance_counts_again(uow):
    fact = await apply(
        uow,
        ev("wja.charging.decision.made.v1", decision="charge", decided_at=AT),
        ev("wja.charging.proceedings.discontinued.v1", reason="victim_retraction", discontinued_at=AT + DAY),
    )
    assert measures.outcome(fact) == ("victim_retraction", AT + DAY)
    fact = await apply(uow, ev("wja.charging.decision.made.v1", decision="charge", decided_at=AT + 2 * DAY))
    assert measures.outcome(fact) == (None, None)
    older = ev("wja.charging.proceedings.discontinued.v1", reason="public_interest", discontinued_at=AT)
    fact = await apply(uow, older)  # arrives late: the latest discontinuance stays
    assert fact["discontinued"] == "victim_retraction"


async def test_first_times_are_kept_and_a_known_force_is_not_overwritten_by_a_request(uow):
    fact = await apply(
        uow,
        ev("wja.intake.suspect.arrested.v1", arrested_at=AT + DAY),
        ev("wja.intake.suspect.arrested.v1", arrested_at=AT),
        ev("wja.intake.crime.reported.v1", reported_at=AT, force_code="07"),
        ev("wja.intake.charging.requested.v1", requested_at=AT, force_code="44"),
        ev("wja.court.hearing.resulted.v1", result="guilty_plea", resulted_at=AT + DAY),
        ev("wja.court.hearing.resulted.v1", result="guilty_plea", resulted_at=AT),
    )
    assert (fact["arrested_at"], fact["force_code"], fact["guilty_plea_at"]) == (AT, "07", AT + DAY)


async def test_a_hearing_result_other_than_a_guilty_plea_and_other_events_change_nothing(uow):
    await apply(
        uow,
        ev("wja.court.hearing.resulted.v1", result="not_guilty_plea", resulted_at=AT),
        ev("wja.court.hearing.listed.v1"),
        ev("wja.intake.risk.assessed.v1"),
    )
    assert uow.repo.facts == {} and uow.repo.orders == {} and uow.repo.notes == {}


async def test_orders_and_notifications_are_counted_once_per_event(uow):
    order = ev("wja.court.restraining_order.made.v1", made_at=AT)
    told = ev("wja.support.victim.informed.v1", told_at=AT, on_time=2, late=1)
    verdict = ev("wja.court.verdict.recorded.v1", verdict="acquitted", recorded_at=AT)
    await apply(uow, order, order, told, told, verdict)
    assert list(uow.repo.orders.values()) == [{"urn": URN, "made_at": AT}]
    assert list(uow.repo.notes.values()) == [{"urn": URN, "told_at": AT, "on_time": 2, "late": 1}]
    assert measures.outcome(uow.repo.facts[URN]) == ("acquitted", AT)


async def test_a_rebuild_empties_the_projection_and_forgets_only_its_own_consumers_events(uow):
    await apply(uow, ev("wja.intake.crime.reported.v1", reported_at=AT), ev("wja.court.restraining_order.made.v1"))
    uow.repo.archive[("07", AT.date(), "reported", "")] = 3
    uow.repo.inbox = {("wja-insights", "a"), ("wja-insights", "b"), ("wja-insights-other", "a")}
    await handlers.rebuild(uow, "wja-insights")
    assert (uow.repo.facts, uow.repo.orders, uow.repo.archive) == ({}, {}, Counter())
    assert uow.repo.inbox == {("wja-insights-other", "a")}


async def test_a_roll_up_replaces_the_rows_by_their_counts_once(uow):
    old = "01UT0000226"
    await apply(
        uow,
        ev("wja.intake.crime.reported.v1", reported_at=AT, force_code="07"),
        ev("wja.intake.crime.reported.v1", urn=old, reported_at=AT - 400 * DAY, force_code="07"),
        ev("wja.support.victim.informed.v1", urn=old, told_at=AT - 399 * DAY, on_time=1, late=0),
    )
    due = await uow.repo.due(AT - 365 * DAY, 10)
    assert due == [old]
    await retention.roll_up(uow, due)
    await retention.roll_up(uow, due)  # a second round finds nothing left to count
    assert list(uow.repo.facts) == [URN] and uow.repo.notes == {}
    day = archive.day_of(AT - 400 * DAY)
    assert uow.repo.archive == {("07", day, "reported", ""): 1, ("07", day + DAY, "told_on_time", ""): 1}


@pytest.mark.parametrize(
    ("quarter", "start", "end", "field"),
    [("2026-27Q9", None, None, "quarter"), (None, None, None, "quarter"), (None, AT.date(), AT.date(), "to")],
)
def test_a_period_is_refused_with_the_field_at_fault(quarter, start, end, field):
    with pytest.raises(Invalid) as refused:
        period_of(quarter, start, end)
    assert refused.value.problems == [(field, refused.value.message)]
    assert "Q9" not in refused.value.message  # the submitted value is never echoed
