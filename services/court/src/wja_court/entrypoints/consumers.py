"""Events court consumes: charges and discontinuances (charging), special measures and visits (support).

Thin: each event goes to its use case, in a unit of work joining the consumer's transaction (so the
processed-event record commits with the effect, or neither does).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from wja_platform.consumer import Handler
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import support as sp

from wja_court.adapters.repository import Repository
from wja_court.service_layer import handlers

HANDLES = frozenset(
    t.ce_type
    for t in (ch.DecisionMade, ch.ProceedingsDiscontinued, sp.SpecialMeasuresRequested, sp.FamiliarisationRequested)
)
"""The events the handler acts on: the consumer does not apply the others of its topics (no transaction,
inbox row or span for them; ``tests/arch/test_handled_events.py`` checks the handler does nothing with them)."""


def make_handler(deps_ref: dict[str, Any]) -> Handler:
    async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
        deps: handlers.Deps = deps_ref["deps"]
        uow = PgUnitOfWork.joining(conn, Repository)
        match envelope.payload:
            case ch.DecisionMade(decision="charge") as event:
                await handlers.charged(uow, deps, event, envelope.id)
            case ch.ProceedingsDiscontinued() as event:
                await handlers.discontinued(uow, deps, event, envelope.id)
            case sp.SpecialMeasuresRequested() as event:
                await handlers.special_measures_requested(uow, event)
            case sp.FamiliarisationRequested() as event:
                await handlers.familiarisation_requested(uow, event)

    return handle
