"""The service layer against an in-memory repository and the platform's FakeUnitOfWork (no servers)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from wja_intake.domain.model import Case
from wja_intake.service_layer import handlers
from wja_platform.clock import FixedClock
from wja_platform.crypto import Keyring, Sealed
from wja_platform.problems import NotFound
from wja_platform.uow import FakeUnitOfWork

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)


class FakeRepository:
    """Intake's store in memory: what :class:`wja_intake.adapters.repository.CaseRepository` asks for.
    Reads hand out copies, so a use case changes a case only through ``update``, as with the database."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.victims: dict[str, Sealed] = {}
        self.audits: list[dict[str, str]] = []
        self.counters: dict[tuple[str, str, int], int] = {}

    async def next_sequence(self, force: str, unit: str, year: int) -> int:
        key = (force, unit, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    async def add(self, case: Case, victim: Sealed) -> None:
        self.cases[case.urn] = copy.deepcopy(case)
        self.victims[case.urn] = victim

    async def get(self, urn: str, *, lock: bool = False) -> Case:
        if urn not in self.cases:
            raise NotFound(f"no case {urn}")
        return copy.deepcopy(self.cases[urn])

    async def update(self, urn: str, **changes: Any) -> None:
        self.cases[urn] = replace(self.cases[urn], **copy.deepcopy(changes))

    async def victim(self, urn: str) -> Sealed | None:
        return self.victims.get(urn)

    async def audit(self, urn: str, sub: str, agency: str, role: str, purpose: str, outcome: str) -> None:
        self.audits.append({"urn": urn, "sub": sub, "role": role, "purpose": purpose, "outcome": outcome})

    async def purge_contacts(self, now: datetime, retention_days: int) -> int:
        limit = now - timedelta(days=retention_days)
        due = [
            urn
            for urn, case in self.cases.items()
            if case.closed and case.closure and datetime.fromisoformat(case.closure["closed_at"]) < limit
            if urn in self.victims
        ]
        for urn in due:
            del self.victims[urn]
            self.cases[urn].contact_purged_at = now
        return len(due)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def uow(repo: FakeRepository) -> FakeUnitOfWork[FakeRepository]:
    return FakeUnitOfWork(repo)


@pytest.fixture
def deps(uow: FakeUnitOfWork[FakeRepository]) -> handlers.Deps:
    return handlers.Deps(
        pool=None,
        uow=lambda: uow,
        clock=FixedClock(NOW),
        keyring=Keyring({"k1": bytes(range(32))}),
        default_units={"01": "YE"},
        pseudonym_key=b"p" * 32,
        next_urn=uow.repo.next_sequence,
    )
