"""Court use cases: sessions, charges listed, results, verdicts, sentences, orders, special measures."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import db, errors, outbox, telemetry
from wja_platform.clock import Clock
from wja_schemas import Event, new_envelope
from wja_schemas import court as ev

from wja_court.domain import model, sentencing
from wja_court.domain.errors import IllegalTransition, Invalid, NotFound
from wja_court.service_layer.listing import Listing


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    listing: Listing


async def publish(conn: asyncpg.Connection, event: Event, causationid: str | None = None) -> None:
    await outbox.add(conn, new_envelope(event, causationid=causationid))


async def sits_at(conn: asyncpg.Connection, urn: str, kind: str) -> datetime | None:
    """When the case's latest listed or resulted hearing of this type sits (None: none has a date)."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT max(s.starts_at) FROM hearings h JOIN sessions s USING (session_id)"
        " WHERE h.urn = $1 AND h.type = $2 AND h.status IN ('listed', 'resulted')",
        urn,
        kind,
    )


async def get_case(conn: asyncpg.Connection, urn: str, *, lock: bool = True) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    if row is None:
        raise NotFound(f"no court case {urn}")
    return dict(row)


# ------------------------------------------------------------------ sessions
async def create_session(deps: Deps, court_code: str, starts_at: datetime, capacity: int) -> dict[str, Any]:
    session_id = f"s-{uuid.uuid4().hex[:12]}"
    async with db.transaction(deps.pool) as conn:
        await conn.execute(
            "INSERT INTO sessions (session_id, court_code, starts_at, capacity) VALUES ($1,$2,$3,$4)",
            session_id,
            court_code,
            starts_at,
            capacity,
        )
        listed = await deps.listing.list_waiting(conn, deps.clock.now())
    return {"session_id": session_id, "listed_from_queue": listed}


async def change_session(deps: Deps, session_id: str, capacity: int | None, close: bool = False) -> dict[str, Any]:
    async with db.transaction(deps.pool) as conn:
        row = await conn.fetchrow("SELECT * FROM sessions WHERE session_id = $1 FOR UPDATE", session_id)
        if row is None:
            raise NotFound(f"no session {session_id}")
        if capacity is not None:
            if capacity < row["used"]:
                raise IllegalTransition(f"{row['used']} places are already taken in this session")
            await conn.execute("UPDATE sessions SET capacity = $2 WHERE session_id = $1", session_id, capacity)
        if close:
            await conn.execute("UPDATE sessions SET closed = true WHERE session_id = $1", session_id)
        listed = await deps.listing.list_waiting(conn, deps.clock.now()) if capacity is not None else 0
    return {"session_id": session_id, "listed_from_queue": listed}


# ------------------------------------------------------------------ consumed events
async def charged(conn: asyncpg.Connection, deps: Deps, event: Any, causationid: str) -> None:
    """A charge decision: the court case opens (or, re-charged after a discontinuance, opens again) and the
    first hearing is listed."""
    offences = [c.offence_code for c in event.charges]
    row = await conn.fetchrow("SELECT * FROM cases WHERE urn = $1 FOR UPDATE", event.urn)
    case = {
        "urn": event.urn,
        "force_code": event.force_code,
        "risk_level": event.risk_level,
        "remanded": event.remanded,
        "anticipated_plea": event.anticipated_plea,
        "charged_at": event.decided_at,
        "offences": offences,
    }
    if row is None:
        await conn.execute(
            "INSERT INTO cases (urn, force_code, risk_level, remanded, anticipated_plea, charged_at, offences)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7)",
            *case.values(),
        )
    elif model.starts_new_proceedings(dict(row)):
        await conn.execute(
            "UPDATE cases SET force_code = $2, risk_level = $3, remanded = $4, anticipated_plea = $5, charged_at = $6,"
            " offences = $7, discontinued = false, not_guilty_plea = false, guilty_plea = false, verdict = NULL,"
            " sentence = NULL WHERE urn = $1",
            *case.values(),
        )
    else:
        if offences and event.decided_at > row["charged_at"]:  # charges amended on live proceedings
            await conn.execute("UPDATE cases SET offences = $2 WHERE urn = $1", event.urn, offences)
        return
    target = deps.listing.rules.first_hearing_target(event.decided_at, event.remanded, event.anticipated_plea)
    await deps.listing.new_hearing(conn, case, "first_hearing", target, deps.clock.now(), causationid)


async def discontinued(conn: asyncpg.Connection, deps: Deps, event: Any, causationid: str) -> None:
    """Proceedings discontinued: every future hearing is vacated and its capacity freed."""
    case = await get_case(conn, event.urn)
    if case["discontinued"]:
        return
    await conn.execute(
        "UPDATE cases SET discontinued = true, finished_at = COALESCE(finished_at, $2) WHERE urn = $1",
        event.urn,
        event.discontinued_at,
    )
    rows = await conn.fetch(
        "SELECT * FROM hearings WHERE urn = $1 AND status IN ('listed', 'unlisted') FOR UPDATE",
        event.urn,
    )
    for h in rows:
        if h["session_id"] and h["status"] == "listed":
            await conn.execute(
                "UPDATE sessions SET used = used - $2 WHERE session_id = $1",
                h["session_id"],
                h["weight"],
            )
        await conn.execute("UPDATE hearings SET status = 'vacated' WHERE hearing_id = $1", h["hearing_id"])
        await publish(
            conn,
            ev.HearingVacated(
                urn=event.urn,
                hearing_id=h["hearing_id"],
                reason="discontinued",
                vacated_at=event.discontinued_at,
            ),
            causationid,
        )
    if rows:
        await deps.listing.list_waiting(conn, deps.clock.now())


async def special_measures_requested(conn: asyncpg.Connection, event: Any) -> None:
    await conn.execute(
        "INSERT INTO special_measures (request_id, urn, measures, requested_at) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (request_id) DO NOTHING",
        event.request_id,
        event.urn,
        list(event.measures),
        event.requested_at,
    )


async def familiarisation_requested(conn: asyncpg.Connection, event: Any) -> None:
    visit = {"request_id": event.request_id, "requested_at": event.requested_at.isoformat()}
    await conn.execute(
        "UPDATE hearings SET familiarisation = $2 WHERE hearing_id = (SELECT hearing_id FROM hearings WHERE urn = $1"
        " AND type = 'trial' ORDER BY created_at DESC LIMIT 1)",
        event.urn,
        visit,
    )


# ------------------------------------------------------------------ results and outcomes
async def record_result(deps: Deps, hearing_id: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        row = await conn.fetchrow(
            "SELECT h.*, s.starts_at FROM hearings h LEFT JOIN sessions s USING (session_id)"
            " WHERE hearing_id = $1 FOR UPDATE OF h",
            hearing_id,
        )
        if row is None:
            raise NotFound(f"no hearing {hearing_id}")
        telemetry.set_case_urn(row["urn"])  # the path names the hearing, not the case: tag the spans here
        if row["status"] != "listed":
            raise IllegalTransition(f"the hearing is {row['status']}: only a listed hearing can be resulted")
        case = await get_case(conn, row["urn"])
        result = body["result"]
        if result in ("guilty_plea", "not_guilty_plea") and (case["guilty_plea"] or case["not_guilty_plea"]):
            raise IllegalTransition("a plea is already recorded")
        errors.refuse(model.result_problems(result, body.get("reason_code"), row["type"]))
        if deps.clock.simulated():
            model.check_not_before_sitting(now, row["starts_at"], "a result")
        await conn.execute(
            "UPDATE hearings SET status = 'resulted', result = $2, reason_code = $3, resulted_at = $4"
            " WHERE hearing_id = $1",
            hearing_id,
            result,
            body.get("reason_code"),
            now,
        )
        if result == "guilty_plea":
            await conn.execute("UPDATE cases SET guilty_plea = true WHERE urn = $1", case["urn"])
        elif result == "not_guilty_plea":
            await conn.execute("UPDATE cases SET not_guilty_plea = true WHERE urn = $1", case["urn"])
        await publish(
            conn,
            ev.HearingResulted(
                urn=case["urn"],
                hearing_id=hearing_id,
                type=row["type"],
                result=result,
                reason_code=body.get("reason_code"),
                resulted_at=now,
            ),
        )
        bail = body.get("bail")
        if bail:
            await conn.execute(
                "UPDATE cases SET remanded = $2 WHERE urn = $1",
                case["urn"],
                bail["kind"] == "remanded",
            )
            await publish(
                conn,
                ev.CourtBailDecided(
                    urn=case["urn"],
                    hearing_id=hearing_id,
                    kind=bail["kind"],
                    conditions=bail.get("conditions", []),
                    decided_at=now,
                ),
            )
        follow = deps.listing.rules.after_result(result, row["type"], row["starts_at"] or now)
        next_hearing = None
        if follow:
            next_hearing = await deps.listing.new_hearing(conn, case, follow[0], follow[1], now)
    return {
        "hearing_id": hearing_id,
        "status": "resulted",
        "result": result,
        "next_hearing_id": next_hearing["hearing_id"] if next_hearing else None,
    }


async def verdict(deps: Deps, urn: str, value: str) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await get_case(conn, urn)
        model.check_verdict(case)
        if deps.clock.simulated():
            model.check_not_before_sitting(now, await sits_at(conn, urn, "trial"), "a verdict")
        await conn.execute(
            "UPDATE cases SET verdict = $2, finished_at = CASE WHEN $2 = 'convicted' THEN finished_at ELSE $3 END"
            " WHERE urn = $1",
            urn,
            value,
            now,
        )
        await publish(conn, ev.VerdictRecorded(urn=urn, verdict=value, recorded_at=now))
    return {"urn": urn, "verdict": value}


async def sentence(
    deps: Deps, urn: str, disposal: str, custody_months: int | None, custody_days: int | None = None
) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await get_case(conn, urn)
        term = model.check_sentence(case, disposal, custody_months, custody_days)
        if deps.clock.simulated():
            model.check_not_before_sitting(now, await sits_at(conn, urn, "sentencing"), "a sentence")
        vcs = sentencing.vcs_eligible(disposal, term, case["offences"])
        record = {
            "disposal": disposal,
            "custody_months": custody_months,
            "custody_days": custody_days,
            "vcs_eligible": vcs,
            "imposed_at": now.isoformat(),
        }
        await conn.execute("UPDATE cases SET sentence = $2, finished_at = $3 WHERE urn = $1", urn, record, now)
        pending = await conn.fetch(
            "SELECT hearing_id, session_id, weight FROM hearings WHERE urn = $1"
            " AND type = 'sentencing' AND status IN ('listed','unlisted') FOR UPDATE",
            urn,
        )
        for h in pending:  # sentenced: the sentencing hearing is resulted by this
            await conn.execute(
                "UPDATE hearings SET status = 'resulted', result = 'effective', resulted_at = $2 WHERE hearing_id = $1",
                h["hearing_id"],
                now,
            )
        await publish(
            conn,
            ev.SentenceImposed(
                urn=urn,
                disposal=disposal,
                custody_months=custody_months,
                custody_days=custody_days,
                vcs_eligible=vcs,
                imposed_at=now,
            ),
        )
    return {"urn": urn, "sentence": record}


async def restraining_order(deps: Deps, urn: str, body: dict[str, Any]) -> dict[str, Any]:
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        case = await get_case(conn, urn)
        model.check_restraining_order(case, body["basis"])
        await conn.execute(
            "INSERT INTO restraining_orders (urn, basis, until, conditions, made_at) VALUES ($1,$2,$3,$4,$5)",
            urn,
            body["basis"],
            body.get("until"),
            body["conditions"],
            now,
        )
        await publish(
            conn,
            ev.RestrainingOrderMade(
                urn=urn,
                basis=body["basis"],
                until=body.get("until"),
                conditions=body["conditions"],
                made_at=now,
            ),
        )
    return {"urn": urn, "basis": body["basis"], "until": body.get("until")}


async def decide_special_measures(deps: Deps, urn: str, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not body["granted"] and not (body.get("refusal_reason") or "").strip():
        raise Invalid(
            "DA complainants are eligible (YJCEA s17(4A)): a refusal needs its reason",
            field="refusal_reason",
        )
    now = deps.clock.now()
    async with db.transaction(deps.pool) as conn:
        await get_case(conn, urn)
        row = await conn.fetchrow(
            "SELECT * FROM special_measures WHERE request_id = $1 AND urn = $2 FOR UPDATE",
            request_id,
            urn,
        )
        if row is None:
            raise NotFound(f"no special-measures request {request_id} on {urn}")
        if row["decided_at"] is not None:
            raise IllegalTransition("this request is already decided")
        measures = body.get("measures") or row["measures"]
        await conn.execute(
            "UPDATE special_measures SET granted = $2, decided_measures = $3, refusal_reason = $4,"
            " decided_at = $5 WHERE request_id = $1",
            request_id,
            body["granted"],
            measures,
            body.get("refusal_reason"),
            now,
        )
        await publish(
            conn,
            ev.SpecialMeasuresDecided(
                urn=urn,
                request_id=request_id,
                measures=measures,
                granted=body["granted"],
                refusal_reason_code=None if body["granted"] else "reasons_in_court_record",
                decided_at=now,
            ),
        )
    return {"request_id": request_id, "granted": body["granted"], "measures": measures}
