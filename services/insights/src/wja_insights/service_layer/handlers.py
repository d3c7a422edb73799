"""Insights use cases: every one, HTTP or event, runs through here in a unit of work.

Every agency's events become dated facts per case (:func:`apply`); each fact is set by its own event
(see :mod:`wja_insights.adapters.repository`), so late and out-of-order arrivals (a verdict before its
hearing result) cannot corrupt a figure. An operator empties the projection before a replay
(:func:`rebuild`); retention rolls per-case rows up into counts (:mod:`.retention`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from wja_platform.clock import Clock
from wja_platform.uow import PgUnitOfWork, UnitOfWork
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import court as co
from wja_schemas import intake as it
from wja_schemas import support as sp
from wja_schemas.types import DecisionKind

from wja_insights.adapters.repository import Repository

FINAL_DECISIONS: frozenset[DecisionKind] = frozenset({"charge", "no_further_action", "out_of_court_disposal"})
"""The charging decisions that end a file's decision stage (every kind but ``further_material_required``):
the charge rate counts these."""
Uow = UnitOfWork[Repository]


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    group_id: str
    """The consumer group, whose inbox rows a rebuild forgets."""

    def uow(self) -> Uow:
        return PgUnitOfWork(self.pool, Repository)


async def apply(uow: Uow, env: Envelope[Event]) -> None:
    """One event of any agency into the facts of its case (other events change nothing)."""
    async with uow:
        await _apply(uow.repo, env)


async def apply_many(uow: Uow, envs: Sequence[Envelope[Event]]) -> None:
    """Events into facts as :func:`apply` does one by one, written together (``Repository.deferred``): a fact's
    rule does not depend on the order of arrival, so a batch's writes may be grouped by kind."""
    async with uow, uow.repo.deferred():
        for env in envs:
            await _apply(uow.repo, env)


async def _apply(repo: Repository, env: Envelope[Event]) -> None:
    match env.payload:
        case it.IntakeEvent() as e:
            await _intake(repo, env.subject, e)
        case ch.ChargingEvent() as e:
            await _charging(repo, env.subject, e)
        case co.CourtEvent() as e:
            await _court(repo, env.id, env.subject, e)
        case sp.VictimInformed() as e:
            await repo.add_notification(env.id, env.subject, e.told_at, e.on_time, e.late)


async def _intake(repo: Repository, urn: str, e: it.IntakeEvent) -> None:
    match e:
        case it.CrimeReported():
            await repo.report(urn, e.force_code, e.reported_at)
        case it.SuspectArrested():
            await repo.arrest(urn, e.arrested_at)
        case it.ChargingRequested():
            await repo.request_charging(urn, e.requested_at, e.force_code)
        case it.CaseClosed():
            await repo.close(urn, e.outcome_code, e.closed_at)


async def _charging(repo: Repository, urn: str, e: ch.ChargingEvent) -> None:
    match e:
        case ch.DecisionMade() if e.decision in FINAL_DECISIONS:
            await repo.decide(urn, e.decision, e.decided_at, e.days_to_decision)
        case ch.FileFinalised():
            await repo.finalise(urn, e.finalised_at)
        case ch.ProceedingsDiscontinued():
            await repo.discontinue(urn, e.reason, e.discontinued_at)


async def _court(repo: Repository, event_id: str, urn: str, e: co.CourtEvent) -> None:
    match e:
        case co.HearingResulted(result="guilty_plea"):
            await repo.plead_guilty(urn, e.resulted_at)
        case co.VerdictRecorded():
            await repo.record_verdict(urn, e.verdict, e.recorded_at)
        case co.RestrainingOrderMade():
            await repo.add_order(event_id, urn, e.made_at)


async def rebuild(uow: Uow, consumer: str) -> None:
    """Empty the projection (archived counts too) and forget the events ``consumer`` applied, so that a
    replay of the producers counts every event again."""
    async with uow:
        await uow.repo.empty(consumer)
