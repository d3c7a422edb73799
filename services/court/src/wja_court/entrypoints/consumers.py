"""Events court consumes: charges and discontinuances (charging), special measures and visits (support)."""

from __future__ import annotations

import asyncpg
from wja_platform.consumer import NotReady
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import support as sp

from wja_court.service_layer import handlers


def make_handler(deps_ref: dict):
    async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
        deps: handlers.Deps = deps_ref["deps"]
        event = envelope.payload
        match event:
            case ch.DecisionMade(decision="charge"):
                await handlers.charged(conn, deps, event, envelope.id)
                return
            case ch.ProceedingsDiscontinued() | sp.SpecialMeasuresRequested() | sp.FamiliarisationRequested():
                pass
            case _:
                return
        if not await conn.fetchval("SELECT 1 FROM cases WHERE urn = $1", event.urn):
            raise NotReady("the case is not before the court yet")
        if isinstance(event, ch.ProceedingsDiscontinued):
            await handlers.discontinued(conn, deps, event, envelope.id)
        elif isinstance(event, sp.SpecialMeasuresRequested):
            await handlers.special_measures_requested(conn, event)
        else:
            await handlers.familiarisation_requested(conn, event)

    return handle
