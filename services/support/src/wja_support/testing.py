"""In-memory fakes of support's adapters, for unit tests of the service layer (cosmicpython's way).

``FakeRepository`` keeps the tables in dicts and answers as ``adapters.repository.Repository`` does for
the write side; use it with ``wja_platform.uow.FakeUnitOfWork``::

    repo = FakeRepository(roster=[Idva("idva-a", "north", ("01",))])
    uow = FakeUnitOfWork(repo)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from wja_platform.crypto import Sealed
from wja_platform.problems import NotFound

from wja_support.domain import access
from wja_support.domain.model import Case, Entry, Idva, Notice


@dataclasses.dataclass
class Told:
    at: datetime
    by: str
    channel: str


class FakeRepository:
    """Support's tables in memory (write side)."""

    def __init__(self, roster: Iterable[Idva] = (), cases: Iterable[Case] = ()) -> None:
        self.idvas: dict[str, Idva] = {i.sub: i for i in roster}
        self.cases: dict[str, Case] = {c.urn: c for c in cases}
        self.entries: dict[str, Entry] = {}
        self.told: dict[str, Told] = {}
        self.contacts: dict[str, Sealed] = {}
        self.audit: list[tuple[str, str, str, str]] = []
        """(urn, sub, purpose, outcome) of every read of contact details."""

    # cases
    async def ensure_case(self, urn: str) -> Case:
        return self.cases.setdefault(urn, Case(urn))

    async def ensure_case_with_entry(self, entry: Entry) -> Case:
        await self.add_entry(entry)
        return await self.ensure_case(entry.urn)

    async def ensure_cases(self, urns: Sequence[str]) -> dict[str, Case]:
        return {urn: await self.ensure_case(urn) for urn in urns}

    async def update_cases(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        for urn, change in changes.items():
            await self.update_case(urn, **change)

    async def get_case(self, urn: str, *, lock: bool = False) -> Case | None:
        return self.cases.get(urn)

    async def update_case(self, urn: str, **changes: Any) -> None:
        self.cases[urn] = dataclasses.replace(self.cases[urn], **changes)

    async def case_for(
        self, caller: access.Caller, urn: str, *, lock: bool = False, assigned_only: bool = False
    ) -> Case:
        access.require_idva_service(caller)
        case = self.cases.get(urn)
        if case is None:
            raise NotFound(f"no case {urn}")
        forces = await self.team_forces(access.team_of(caller))
        on_roster = caller.sub in self.idvas
        access.check(caller, case, team_forces=forces, on_roster=on_roster, assigned_only=assigned_only)
        return case

    async def contacts_due(self, now: datetime, limit: int = 50) -> list[tuple[str, int]]:
        due = [c for c in self.cases.values() if c.contact_status in ("pending", "failed_retrying")]
        due = [c for c in due if c.next_contact_at is not None and c.next_contact_at <= now]
        return [(c.urn, c.contact_attempts) for c in due][:limit]

    async def open_caseloads(self) -> dict[str, int]:
        loads: dict[str, int] = {}
        for c in self.cases.values():
            if c.idva and c.stage != "closed" and not c.support_closed:
                loads[c.idva] = loads.get(c.idva, 0) + 1
        return loads

    # entries
    async def add_entry(self, entry: Entry) -> None:
        self.entries.setdefault(entry.id, entry)

    async def add_entries(self, entries: Sequence[Entry]) -> None:
        for entry in entries:
            await self.add_entry(entry)

    async def notices(self, urn: str, ids: Sequence[str]) -> dict[str, Notice]:
        mine = [e for e in self.entries.values() if e.urn == urn and e.id in ids]
        return {e.id: Notice(e.id, e.tell_victim_by, t.at if (t := self.told.get(e.id)) else None) for e in mine}

    async def mark_told(self, urn: str, ids: Sequence[str], at: datetime, teller: str, channel: str) -> None:
        for i in ids:
            self.told[i] = Told(at, teller, channel)

    # roster
    async def roster(self) -> list[Idva]:
        return sorted(self.idvas.values(), key=lambda i: i.sub)

    async def on_roster(self, sub: str) -> Idva | None:
        return self.idvas.get(sub)

    async def team_forces(self, team: str) -> list[str]:
        return sorted({f for i in self.idvas.values() if i.team == team for f in i.forces})

    async def upsert_idva(self, sub: str, team: str, forces: list[str]) -> None:
        self.idvas[sub] = Idva(sub, team, tuple(forces))

    # contact details
    async def sealed_contact(self, urn: str) -> Sealed | None:
        return self.contacts.get(urn)

    async def store_contact(self, urn: str, sealed: Sealed) -> None:
        self.contacts[urn] = sealed

    async def delete_contact(self, urn: str) -> None:
        self.contacts.pop(urn, None)

    async def purge_closed_contacts(self, now: datetime, retention_days: int) -> list[str]:
        cutoff = now - timedelta(days=retention_days)
        urns = [
            u
            for u in self.contacts
            if (c := self.cases[u]).support_closed and c.support_closed_at and c.support_closed_at < cutoff
        ]
        for urn in urns:
            del self.contacts[urn]
            await self.update_case(urn, contact_status="purged", next_contact_at=None)
        return urns

    async def audit_contact_read(
        self, urn: str, caller: access.Caller, purpose: str, outcome: str, at: datetime
    ) -> None:
        self.audit.append((urn, caller.sub, purpose, outcome))
