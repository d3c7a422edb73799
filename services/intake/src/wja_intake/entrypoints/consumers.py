"""Events intake consumes (charging decisions, file finalisation, discontinuance, IDVA assignment):
parsed by the platform's consumer, applied by the service layer in the consumer's transaction, so the
processed-event record commits with the effect."""

from __future__ import annotations

import asyncpg
from wja_platform.consumer import NotReady
from wja_platform.problems import NotFound
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import support as sp

from wja_intake.adapters.repository import CaseRepository, Repository
from wja_intake.service_layer import handlers

HANDLES = frozenset(t.ce_type for t in (ch.DecisionMade, ch.FileFinalised, ch.ProceedingsDiscontinued, sp.IdvaAssigned))
"""The events :func:`handle` acts on: the consumer does not apply the others of its topics (no transaction,
inbox row or span for them; ``tests/arch/test_handled_events.py`` checks the handler does nothing with them)."""


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    """Apply one event in the consumer's transaction; an event for a case not reported here yet is parked."""
    event = envelope.payload
    uow = PgUnitOfWork[CaseRepository].joining(conn, Repository)
    try:
        match event:
            case ch.DecisionMade():
                await handlers.record_decision(uow, event)
            case ch.FileFinalised() | ch.ProceedingsDiscontinued():
                await handlers.end_proceedings(uow, event)
            case sp.IdvaAssigned():
                await handlers.assign_idva(uow, event)
    except NotFound as exc:
        raise NotReady("case not reported here yet") from exc
