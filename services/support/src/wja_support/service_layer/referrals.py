"""Referral: assign an IDVA by caseload, fetch the contact details by claim check, purge on withdrawal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from opentelemetry import trace
from wja_platform import telemetry
from wja_platform.crypto import Keyring
from wja_platform.uow import UnitOfWork
from wja_schemas import intake as it
from wja_schemas import support as sp

from wja_support.adapters.repository import Repository
from wja_support.domain import model

log = logging.getLogger(__name__)
tracer = trace.get_tracer("wja.support")
Uow = UnitOfWork[Repository]


async def refer(uow: Uow, event: it.VictimReferred, causationid: str) -> None:
    """Note the referral's basis, queue the claim check, and assign the least-loaded IDVA serving the force."""
    case = await uow.repo.get_case(event.urn, lock=True)
    await uow.repo.update_case(
        event.urn,
        referral_basis=event.referral_basis,
        force_code=event.force_code,
        contact_status="pending",
        next_contact_at=event.referred_at,
    )
    if case is not None and case.idva:
        return
    idva = model.choose_idva(await uow.repo.roster(), await uow.repo.open_caseloads(), event.force_code)
    if idva is None:
        log.warning("no IDVA on the roster serves the case's force: it waits for a manager to assign one")
        return
    await assign(uow, event.urn, idva, event.force_code, event.referred_at, causationid)


async def assign(
    uow: Uow, urn: str, idva: model.Idva, force: str | None, at: datetime, causationid: str | None = None
) -> None:
    await uow.repo.update_case(urn, idva=idva.sub, team=idva.team)
    await uow.publish(
        sp.IdvaAssigned(
            urn=urn,
            idva_id=idva.sub,
            team=idva.team,
            force_code=force,
            idva_forces=list(idva.forces),
            assigned_at=at,
        ),
        causationid=causationid,
    )


async def purge_contact(uow: Uow, urn: str) -> None:
    """Consent withdrawn: the copy of the contact details goes, and intake is not asked again."""
    await uow.repo.delete_contact(urn)
    await uow.repo.update_case(urn, contact_status="withdrawn", next_contact_at=None)


async def purge_closed(uow: Uow, now: datetime, retention_days: int) -> int:
    """Delete the contact details of cases whose support closed more than ``retention_days`` ago."""
    async with uow:
        return len(await uow.repo.purge_closed_contacts(now, retention_days))


class ClaimCheck:
    """Fetches a referred victim's contact details from intake, with retries and backoff.

    Only a failure that may pass is retried (no answer, 5xx, 429). A refusal (403) and ``410 Gone``
    (intake purged the details after its retention period) are final: the case records ``refused``
    or ``gone`` and intake is not asked again, so a purged case never becomes a retry loop.
    """

    def __init__(
        self,
        uow: Callable[[], Uow],
        keyring: Keyring,
        intake_url: str,
        token: Callable[[], str],
        *,
        timeout: float = 5.0,
        max_backoff: float = 300.0,
    ) -> None:
        self.uow, self.keyring, self.token = uow, keyring, token
        self.max_backoff = max_backoff
        self.client = httpx.AsyncClient(
            base_url=intake_url, timeout=timeout, transport=httpx.AsyncHTTPTransport(retries=2)
        )

    async def run_due(self, now: datetime) -> int:
        """Try every due fetch once; return how many succeeded."""
        async with self.uow() as uow:
            due = await uow.repo.contacts_due(now)
        done = 0
        for urn, attempts in due:
            done += await self._fetch(urn, attempts, now)
        return done

    async def _fetch(self, urn: str, attempts: int, now: datetime) -> int:
        with tracer.start_as_current_span("support.claim_check", attributes={"wja.case.urn": urn}):
            token = telemetry.set_case_urn(urn)
            try:
                status, details = await self._ask(urn)
                return await self._record(urn, attempts, now, status, details)
            finally:
                telemetry.reset_case_urn(token)

    async def _ask(self, urn: str) -> tuple[str, dict[str, Any] | None]:
        """Intake's answer: (contact status, the details when fetched)."""
        try:
            response = await self.client.get(
                f"/v1/referrals/{urn}",
                params={"purpose": "idva_contact"},
                headers={"Authorization": f"Bearer {self.token()}"},
            )
        except httpx.HTTPError as exc:
            log.info("claim check for a case failed (%s); will retry", type(exc).__name__)
            return "failed_retrying", None
        if response.status_code == 200:
            return "fetched", response.json()["contact"]
        if response.status_code == 403:
            return "refused", None
        if response.status_code == 410:
            log.info("intake purged a case's contact details (410): not asked again")
            return "gone", None
        return "failed_retrying", None

    async def _record(self, urn: str, attempts: int, now: datetime, status: str, details: dict[str, Any] | None) -> int:
        async with self.uow() as uow:
            case = await uow.repo.get_case(urn, lock=True)
            if case is None or case.contact_status not in model.CONTACT_TO_FETCH:
                return 0  # withdrawn (or the case purged) meanwhile
            if details is not None:
                await uow.repo.store_contact(urn, self.keyring.seal(details, aad=urn))
            backoff = min(2.0**attempts, self.max_backoff)
            await uow.repo.update_case(
                urn,
                contact_status=status,
                contact_attempts=attempts + 1,
                next_contact_at=now + timedelta(seconds=backoff) if status == "failed_retrying" else None,
            )
        return 1 if details is not None else 0

    async def close(self) -> None:
        await self.client.aclose()
