"""Events intake consumes: charging decisions, file finalisation, discontinuance, IDVA assignment."""

from __future__ import annotations

import asyncpg
from wja_platform.consumer import NotReady
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import support as sp

from wja_intake.adapters import repository as repo

AFTER_DECISION = {
    "charge": "charged",
    "no_further_action": "awaiting_closure",
    "out_of_court_disposal": "awaiting_closure",
    "further_material_required": "further_material_required",
}


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    """Apply one event in the consumer's transaction."""
    event = envelope.payload
    if not isinstance(event, ch.DecisionMade | ch.FileFinalised | ch.ProceedingsDiscontinued | sp.IdvaAssigned):
        return
    case = await repo.find_case(conn, event.urn, lock=True)
    if case is None:
        raise NotReady("case not reported here yet")
    match event:
        case ch.DecisionMade():
            decision = {
                "decision": event.decision,
                "test": event.test,
                "basis": event.basis,
                "charges": [c.offence_code for c in event.charges],
                "suggested_outcome_code": event.suggested_outcome_code,
                "decided_at": event.decided_at.isoformat(),
            }
            changes: dict = {"cps_decision": decision}
            if case["status"] != "closed":
                changes["status"] = AFTER_DECISION[event.decision]
            if event.decision == "further_material_required":
                changes["action_plan"] = {
                    "due_date": event.due_date.isoformat() if event.due_date else None,
                    "set_at": event.decided_at.isoformat(),
                }
            await repo.update_case(conn, event.urn, **changes)
        case ch.FileFinalised() | ch.ProceedingsDiscontinued():
            if case["status"] != "closed":
                what = "administratively finalised" if isinstance(event, ch.FileFinalised) else "discontinued"
                decision = {**(case["cps_decision"] or {}), "ended": what}
                await repo.update_case(conn, event.urn, status="awaiting_closure", cps_decision=decision)
        case sp.IdvaAssigned():
            await repo.update_case(conn, event.urn, assigned_idva=event.idva_id, assigned_idva_forces=event.idva_forces)
