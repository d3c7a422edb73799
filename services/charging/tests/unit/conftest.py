"""The CPS service layer in memory: a fake repository behind the platform's FakeUnitOfWork (no servers)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from wja_charging.domain import model
from wja_charging.service_layer import handlers
from wja_platform.clock import FixedClock
from wja_platform.problems import NotFound
from wja_platform.uow import FakeUnitOfWork
from wja_schemas.examples import example

URN = "01CH1234526"


@dataclass
class DecisionRow:
    urn: str
    request: model.DecisionRequest
    charges: tuple[model.Charge, ...]
    reason: str
    prosecutor: str
    at: datetime


@dataclass
class FakeRepository:
    """The CPS tables as dicts. Records are copied in and out, so only what a use case saves is kept."""

    files: dict[str, model.File] = field(default_factory=dict)
    decisions: list[DecisionRow] = field(default_factory=list)
    reviews: dict[str, model.Review] = field(default_factory=dict)
    assignments: dict[str, tuple[model.Assignment, datetime]] = field(default_factory=dict)

    async def find_file(self, urn: str, *, lock: bool = False) -> model.File | None:
        return copy.deepcopy(self.files.get(urn))

    async def get_file(self, urn: str, *, lock: bool = False) -> model.File:
        file = await self.find_file(urn)
        if file is None:
            raise NotFound(f"no charging file for {urn}")
        return file

    async def add_file(self, file: model.File) -> None:
        assert file.urn not in self.files
        self.files[file.urn] = copy.deepcopy(file)

    async def save_file(self, file: model.File) -> None:
        assert file.urn in self.files
        self.files[file.urn] = copy.deepcopy(file)

    async def overdue_action_plans(self, today: date) -> list[model.File]:
        return [
            copy.deepcopy(f)
            for f in self.files.values()
            if f.status == "further_material_required" and f.due_date is not None and f.due_date < today
        ]

    async def add_decision(self, urn, request, charges, reason, prosecutor, at) -> None:
        self.decisions.append(DecisionRow(urn, request, charges, reason, prosecutor, at))

    async def has_open_review(self, urn: str) -> bool:
        return any(r.urn == urn and r.outcome is None for r in self.reviews.values())

    async def add_review(self, review: model.Review) -> None:
        self.reviews[review.review_id] = copy.deepcopy(review)

    async def find_review(self, review_id: str, *, lock: bool = False) -> model.Review | None:
        return copy.deepcopy(self.reviews.get(review_id))

    async def save_review_outcome(self, review: model.Review) -> None:
        self.reviews[review.review_id] = copy.deepcopy(review)

    async def record_assignment(self, urn: str, assignment: model.Assignment, at: datetime) -> None:
        known = self.assignments.get(urn)
        if known is None or known[1] <= at:
            self.assignments[urn] = (assignment, at)

    async def assignment(self, urn: str) -> model.Assignment | None:
        known = self.assignments.get(urn)
        return known[0] if known else None


@dataclass
class Cps:
    """The service layer wired to the fakes: ``uow.published`` lists the events of committed work."""

    repo: FakeRepository
    uow: FakeUnitOfWork[FakeRepository]
    deps: handlers.Deps
    clock: FixedClock

    async def file(self, urn: str = URN, **fields) -> str:
        """A charging request from intake opens a file."""
        event = example("wja.intake.charging.requested.v1", **{"urn": urn, "requested_at": self.clock.now(), **fields})
        await handlers.open_file(self.uow, event)
        return urn

    def types(self) -> list[str]:
        return [e.ce_type for e in self.uow.published]


@pytest.fixture
def cps() -> Cps:
    repo = FakeRepository()
    uow = FakeUnitOfWork(repo)
    clock = FixedClock(datetime(2026, 9, 14, 12, tzinfo=UTC))
    return Cps(repo, uow, handlers.Deps(lambda: uow, clock, threshold_review_days=28), clock)
