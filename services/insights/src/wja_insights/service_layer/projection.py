"""Every agency's events become dated facts per case. Each fact is set by its own event, so
late and out-of-order arrivals (a verdict before its hearing result) cannot corrupt a figure;
the final charging decision is the latest by decision time, not by arrival."""

from __future__ import annotations

from typing import Any

import asyncpg
from wja_schemas import Envelope, Event
from wja_schemas import charging as ch
from wja_schemas import court as co
from wja_schemas import intake as it
from wja_schemas import support as sp

FINAL_DECISIONS = ("charge", "no_further_action", "out_of_court_disposal")


async def _set(conn: asyncpg.Connection, urn: str, sql: str, *args: Any) -> None:
    await conn.execute("INSERT INTO facts (urn) VALUES ($1) ON CONFLICT (urn) DO NOTHING", urn)
    await conn.execute(f"UPDATE facts SET {sql} WHERE urn = $1", urn, *args)


async def apply(conn: asyncpg.Connection, env: Envelope[Event]) -> None:
    e, urn = env.payload, env.subject
    match e:
        case it.CrimeReported():
            await _set(conn, urn, "force_code = $2, reported_at = $3", e.force_code, e.reported_at)
        case it.SuspectArrested():
            await _set(conn, urn, "arrested_at = LEAST(arrested_at, $2)", e.arrested_at)  # LEAST skips NULL
        case it.ChargingRequested():
            await _set(
                conn,
                urn,
                "requested_at = LEAST(requested_at, $2), force_code = COALESCE(force_code, $3)",
                e.requested_at,
                e.force_code,
            )
        case it.CaseClosed():
            await _set(conn, urn, "closure_code = $2, closed_at = $3", e.outcome_code, e.closed_at)
        case ch.DecisionMade() if e.decision in FINAL_DECISIONS:
            await _set(
                conn,
                urn,
                "decision = CASE WHEN decided_at IS NULL OR decided_at <= $3 THEN $2 ELSE decision END,"
                " days_to_decision = CASE WHEN decided_at IS NULL OR decided_at <= $3 THEN $4"
                " ELSE days_to_decision END, decided_at = GREATEST(decided_at, $3)",
                e.decision,
                e.decided_at,
                e.days_to_decision,
            )
        case ch.FileFinalised():
            await _set(conn, urn, "finalised_at = $2", e.finalised_at)
        case ch.ProceedingsDiscontinued():
            await _set(
                conn,
                urn,
                "discontinued = CASE WHEN discontinued_at IS NULL OR discontinued_at <= $3 THEN $2"
                " ELSE discontinued END, discontinued_at = GREATEST(discontinued_at, $3)",
                e.reason,
                e.discontinued_at,
            )
        case co.HearingResulted(result="guilty_plea"):
            await _set(conn, urn, "guilty_plea_at = COALESCE(guilty_plea_at, $2)", e.resulted_at)
        case co.VerdictRecorded():
            await _set(conn, urn, "verdict = $2, verdict_at = $3", e.verdict, e.recorded_at)
        case co.RestrainingOrderMade():
            await conn.execute(
                "INSERT INTO orders (event_id, urn, made_at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                env.id,
                urn,
                e.made_at,
            )
        case sp.VictimInformed():
            await conn.execute(
                "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1,$2,$3,$4,$5)"
                " ON CONFLICT DO NOTHING",
                env.id,
                urn,
                e.told_at,
                e.on_time,
                e.late,
            )
        case _:
            return
