"""Referral: assign an IDVA by caseload, fetch the contact details by claim check, purge on withdrawal."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from opentelemetry import trace
from wja_platform import outbox, telemetry
from wja_platform.crypto import Keyring
from wja_schemas import support as sp

from wja_support.adapters import repository as repo

log = logging.getLogger(__name__)
tracer = trace.get_tracer("wja.support")


def serves(idva: dict[str, Any], force: str | None) -> bool:
    """An IDVA works only within the forces on their roster entry (and a case of no known force is nobody's)."""
    return force is not None and force in idva["forces"]


def choose_idva(roster: list[dict[str, Any]], loads: dict[str, int], force: str) -> dict[str, Any] | None:
    """The IDVA serving the force with the fewest open cases (ties: by id); nobody if none serves it.

    There is no fallback to an IDVA of another force: the case waits, unassigned, on the caseload of
    the managers whose teams serve the force ("needs an IDVA"), until one is added or assigned.
    """
    serving = [i for i in roster if serves(i, force)]
    if not serving:
        return None
    return min(serving, key=lambda i: (loads.get(i["sub"], 0), i["sub"]))


async def refer(conn: asyncpg.Connection, event: Any, causationid: str) -> None:
    case = await repo.get_case(conn, event.urn, lock=True)
    await repo.update_case(
        conn,
        event.urn,
        referral_basis=event.referral_basis,
        force_code=event.force_code,
        contact_status="pending",
        next_contact_at=event.referred_at,
    )
    if case["idva"]:
        return
    idva = choose_idva(await repo.roster(conn), await repo.open_caseloads(conn), event.force_code)
    if idva is None:
        log.warning("no IDVA on the roster serves the case's force: it waits for a manager to assign one")
        return
    await assign(conn, event.urn, idva, event.force_code, event.referred_at, causationid)


async def assign(
    conn: asyncpg.Connection,
    urn: str,
    idva: dict[str, Any],
    force: str | None,
    at: datetime,
    causationid: str | None = None,
) -> None:
    await repo.update_case(conn, urn, idva=idva["sub"], team=idva["team"])
    await outbox.publish(
        conn,
        sp.IdvaAssigned(
            urn=urn,
            idva_id=idva["sub"],
            team=idva["team"],
            force_code=force,
            idva_forces=list(idva["forces"]),
            assigned_at=at,
        ),
        causationid=causationid,
    )


async def purge_contact(conn: asyncpg.Connection, urn: str) -> None:
    await conn.execute("DELETE FROM contacts WHERE urn = $1", urn)
    await repo.update_case(conn, urn, contact_status="withdrawn", next_contact_at=None)


async def purge_closed(pool: asyncpg.Pool, now: datetime, retention_days: int) -> int:
    """Delete the contact details of cases whose support closed more than ``retention_days`` ago."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "DELETE FROM contacts t USING cases c WHERE t.urn = c.urn AND c.support_closed"
            " AND c.support_closed_at < $1::timestamptz - make_interval(days => $2) RETURNING t.urn",
            now,
            retention_days,
        )
        await conn.execute(
            "UPDATE cases SET contact_status = 'purged', next_contact_at = NULL WHERE urn = ANY($1::text[])",
            [r["urn"] for r in rows],
        )
    return len(rows)


class ClaimCheck:
    """Fetches a referred victim's contact details from intake, with retries and backoff.

    Only a failure that may pass is retried (no answer, 5xx, 429). A refusal (403) and ``410 Gone``
    (intake purged the details after its retention period) are final: the case records ``refused``
    or ``gone`` and intake is not asked again, so a purged case never becomes a retry loop.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        keyring: Keyring,
        intake_url: str,
        token: Any,
        *,
        timeout: float = 5.0,
        max_backoff: float = 300.0,
    ) -> None:
        self.pool, self.keyring, self.token = pool, keyring, token
        self.max_backoff = max_backoff
        self.client = httpx.AsyncClient(
            base_url=intake_url, timeout=timeout, transport=httpx.AsyncHTTPTransport(retries=2)
        )

    async def run_due(self, now: datetime) -> int:
        """Try every due fetch once; return how many succeeded."""
        rows = await self.pool.fetch(
            "SELECT urn, contact_attempts FROM cases WHERE contact_status IN ('pending', 'failed_retrying')"
            " AND next_contact_at <= $1 ORDER BY next_contact_at LIMIT 50",
            now,
        )
        done = 0
        for row in rows:
            done += await self._fetch(row["urn"], row["contact_attempts"], now)
        return done

    async def _fetch(self, urn: str, attempts: int, now: datetime) -> int:
        with tracer.start_as_current_span("support.claim_check", attributes={"wja.case.urn": urn}):
            token = telemetry.set_case_urn(urn)
            try:
                return await self._fetch_traced(urn, attempts, now)
            finally:
                telemetry.reset_case_urn(token)

    async def _fetch_traced(self, urn: str, attempts: int, now: datetime) -> int:
        status, details = "failed_retrying", None
        try:
            response = await self.client.get(
                f"/v1/referrals/{urn}",
                params={"purpose": "idva_contact"},
                headers={"Authorization": f"Bearer {self.token()}"},
            )
            if response.status_code == 200:
                status, details = "fetched", response.json()["contact"]
            elif response.status_code == 403:
                status = "refused"
            elif response.status_code == 410:
                status = "gone"
                log.info("intake purged a case's contact details (410): not asked again")
        except httpx.HTTPError as exc:
            log.info("claim check for a case failed (%s); will retry", type(exc).__name__)
        async with self.pool.acquire() as conn, conn.transaction():
            case = await repo.get_case(conn, urn, lock=True)
            if case["contact_status"] not in ("pending", "failed_retrying"):
                return 0  # withdrawn meanwhile
            if details is not None:
                sealed = self.keyring.seal(details, aad=urn)
                await conn.execute(
                    "INSERT INTO contacts (urn, key_id, wrapped_key, ciphertext) VALUES ($1,$2,$3,$4)"
                    " ON CONFLICT (urn) DO UPDATE SET key_id = EXCLUDED.key_id, wrapped_key ="
                    " EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext, fetched_at = now()",
                    urn,
                    sealed.key_id,
                    sealed.wrapped_key,
                    sealed.ciphertext,
                )
            backoff = min(2.0**attempts, self.max_backoff)
            await repo.update_case(
                conn,
                urn,
                contact_status=status,
                contact_attempts=attempts + 1,
                next_contact_at=now + timedelta(seconds=backoff) if status == "failed_retrying" else None,
            )
        return 1 if details is not None else 0

    async def close(self) -> None:
        await self.client.aclose()
