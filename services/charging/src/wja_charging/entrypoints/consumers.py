"""Events charging consumes: charging requests and further material from intake; IDVA assignments
from support (who may ask for a Victims' Right to Review)."""

from __future__ import annotations

import asyncpg
from wja_platform.consumer import NotReady
from wja_schemas import Envelope, Event
from wja_schemas import intake as it
from wja_schemas import support as sp

from wja_charging.adapters import repository as repo
from wja_charging.service_layer import handlers


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    event = envelope.payload
    match event:
        case it.ChargingRequested():
            await handlers.open_file(conn, event)
        case it.FurtherMaterialSubmitted():
            if await repo.find_file(conn, event.urn) is None:
                raise NotReady("no charging file yet")
            await handlers.material_returned(conn, event)
        case it.VictimSupportChanged():
            if await repo.find_file(conn, event.urn) is not None:
                await repo.update_file(conn, event.urn, victim_support=event.status)
        case sp.IdvaAssigned():
            await repo.record_assignment(conn, event.urn, event.idva_id, event.team, event.assigned_at)
        case _:
            return
