"""Every agency's events become the victim's timeline, stage and Victims' Code obligations."""

from __future__ import annotations

from typing import Any

import asyncpg
from wja_platform import workdays
from wja_schemas import Envelope, Event
from wja_schemas import court as co
from wja_schemas import intake as it
from wja_schemas import support as sp

from wja_support.adapters import repository as repo
from wja_support.domain import model
from wja_support.service_layer import referrals


async def apply(conn: asyncpg.Connection, env: Envelope[Event], rules: dict[str, list]) -> None:
    """Add the event to its case's timeline (any order, idempotent by ce_id) and react to referrals."""
    payload: dict[str, Any] = env.payload.model_dump(mode="json")
    case = await repo.ensure_case(conn, env.subject)
    at = model.event_time(dict(env.payload), env.time)
    entry: dict[str, Any] = {
        "id": env.id,
        "urn": env.subject,
        "at": at,
        "agency": model.AGENCY[env.payload.producer],
        "event_type": env.type,
        "summary": model.summary(env.type, payload),
    }
    steps, due = [], at
    for holder, days in model.obligation(env.type, payload, rules):
        due = workdays.deadline_after(due, days)
        steps.append({"duty_holder": holder, "by": due.isoformat().replace("+00:00", "Z")})
    if steps:
        entry["duty_holder"], entry["tell_victim_by"] = steps[-1]["duty_holder"], due
        entry["steps"] = steps
    await repo.add_entry(conn, entry)
    changes: dict[str, Any] = {}
    stage = model.stage_after(case["stage"], env.type, payload)
    if stage != case["stage"]:
        changes["stage"] = stage
    event = env.payload
    if isinstance(event, it.CrimeReported):
        changes.update(force_code=event.force_code, victim_ref=event.victim_ref)
    if hasattr(event, "custody_months") and getattr(event, "custody_months", None):
        changes["custody_months"] = event.custody_months
    if isinstance(event, co.SentenceImposed):
        changes["vcs_eligible"] = model.vcs_due(payload)
    if changes:
        await repo.update_case(conn, env.subject, **changes)
    if isinstance(event, it.VictimReferred):
        await referrals.refer(conn, event, env.id)
    elif isinstance(event, it.ConsentWithdrawn):
        await referrals.purge_contact(conn, env.subject)
    elif isinstance(event, sp.IdvaAssigned):
        await repo.update_case(conn, env.subject, idva=event.idva_id, team=event.team)
