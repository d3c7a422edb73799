"""Events charging consumes: charging requests and further material from intake; IDVA assignments
from support (who may ask for a Victims' Right to Review). Thin: each event goes to its use case in
the consumer's transaction, so the processed-event record commits with the effect."""

from __future__ import annotations

import asyncpg
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event
from wja_schemas import intake as it
from wja_schemas import support as sp

from wja_charging.adapters.repository import Repository
from wja_charging.service_layer import handlers

HANDLES = frozenset(
    t.ce_type for t in (it.ChargingRequested, it.FurtherMaterialSubmitted, it.VictimSupportChanged, sp.IdvaAssigned)
)
"""The events :func:`handle` acts on: the consumer does not apply the others of its topics (no transaction,
inbox row or span for them; ``tests/arch/test_handled_events.py`` checks the handler does nothing with them)."""


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    event = envelope.payload
    uow: handlers.Uow = PgUnitOfWork.joining(conn, Repository)
    match event:
        case it.ChargingRequested():
            await handlers.open_file(uow, event)
        case it.FurtherMaterialSubmitted():
            await handlers.material_returned(uow, event)
        case it.VictimSupportChanged():
            await handlers.victim_support_changed(uow, event)
        case sp.IdvaAssigned():
            await handlers.idva_assigned(uow, event)
        case _:
            return
