"""The timeline's stage and entries come from one snapshot, even when events commit while it is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wja_platform.auth import Principal
from wja_platform.uow import PgUnitOfWork
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_support import views
from wja_support.adapters.repository import Repository
from wja_support.config import SupportSettings
from wja_support.service_layer import projection

pytestmark = pytest.mark.integration
RULES = SupportSettings.model_fields["notice_working_days"].default
T0 = datetime(2026, 9, 7, 9, tzinfo=UTC)


class CommitBeforeEntries:
    """A real connection that lets another transaction commit just before its first read of timeline entries:
    the interleaving a busy consumer produced by chance, made certain (every statement still runs on PostgreSQL)."""

    def __init__(self, conn, commit) -> None:
        self._conn, self._commit = conn, commit

    def __getattr__(self, name):
        return getattr(self._conn, name)

    async def fetch(self, query, *args, **kwargs):
        if "FROM entries" in query and self._commit is not None:
            commit, self._commit = self._commit, None
            await commit()
        return await self._conn.fetch(query, *args, **kwargs)


async def apply(pool, *envelopes) -> None:
    """Events applied as support's consumer applies them, committed in one transaction of their own."""
    async with pool.acquire() as conn, conn.transaction():
        for env in envelopes:
            await projection.apply(PgUnitOfWork.joining(conn, Repository), env, RULES)


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_a_batch_committed_while_the_timeline_is_read_is_all_in_it_or_all_out(support):
    urn, day = support.urn(), lambda n: T0 + timedelta(days=n)
    await apply(
        support.pool,
        ev("wja.intake.crime.reported.v1", urn, force_code=support.force, reported_at=T0),
        ev("wja.support.idva.assigned.v1", urn, idva_id="idva-a", team="north", assigned_at=T0),
        ev("wja.charging.decision.made.v1", urn, decided_at=day(1)),
        ev("wja.charging.proceedings.discontinued.v1", urn, discontinued_at=day(5)),
    )
    recharge = (
        ev("wja.charging.review.decided.v1", urn, outcome="overturned", decided_at=day(20)),
        ev("wja.charging.decision.made.v1", urn, decided_at=day(21)),
    )
    caller = Principal(sub="idva-a", agency="idva", role="idva")
    async with support.pool.acquire() as conn:
        body = await views.timeline(
            CommitBeforeEntries(conn, lambda: apply(support.pool, *recharge)), caller, urn, support.clock.now()
        )
    types = [e["event_type"] for e in body["entries"]]
    assert (body["stage"], types.count("wja.charging.decision.made.v1")) == ("post_trial", 1)  # before the batch
    async with support.pool.acquire() as conn:
        body = await views.timeline(conn, caller, urn, support.clock.now())
    types = [e["event_type"] for e in body["entries"]]
    assert (body["stage"], types.count("wja.charging.decision.made.v1")) == ("pre_trial", 2)  # after it
