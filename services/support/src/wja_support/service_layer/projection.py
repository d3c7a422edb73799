"""Every agency's events become the victim's timeline, stage and Victims' Code obligations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from wja_platform import workdays
from wja_schemas import Envelope, Event
from wja_schemas import court as co
from wja_schemas import intake as it
from wja_schemas import support as sp

from wja_support.domain import model
from wja_support.service_layer import referrals
from wja_support.service_layer.referrals import Uow


async def apply(uow: Uow, env: Envelope[Event], rules: model.Rules) -> None:
    """Add the event to its case's timeline (any order, idempotent by ce_id) and react to referrals."""
    payload: dict[str, Any] = env.payload.model_dump(mode="json")
    case = await uow.repo.ensure_case_with_entry(entry(env, payload, rules))
    changes = case_changes(case, env, payload)
    if changes:
        await uow.repo.update_case(env.subject, **changes)
    await react(uow, env)


REACTING = (it.VictimReferred, it.ConsentWithdrawn, sp.IdvaAssigned)
"""Events with an effect beyond the timeline and the case record (:func:`react`): applied one at a time."""


def plain(env: Envelope[Event]) -> bool:
    """An event :func:`apply_many` may take: one that only adds an entry and changes the case record."""
    return not isinstance(env.payload, REACTING)


async def apply_many(uow: Uow, envs: Sequence[Envelope[Event]], rules: model.Rules) -> None:
    """Plain events (see :func:`plain`), in order, with what :func:`apply` does to each, in a few statements:
    the cases created at once, the entries added at once, each case's changes folded in order and written once."""
    payloads = [env.payload.model_dump(mode="json") for env in envs]
    cases = await uow.repo.ensure_cases(list(dict.fromkeys(env.subject for env in envs)))
    await uow.repo.add_entries([entry(env, payload, rules) for env, payload in zip(envs, payloads, strict=True)])
    changed: dict[str, dict[str, object]] = {}
    for env, payload in zip(envs, payloads, strict=True):
        case = cases[env.subject]
        if changes := case_changes(case, env, payload):
            cases[env.subject] = replace(case, **changes)  # type: ignore[arg-type]
            changed.setdefault(env.subject, {}).update(changes)
    await uow.repo.update_cases(changed)


def entry(env: Envelope[Event], payload: dict[str, Any], rules: model.Rules) -> model.Entry:
    """The timeline entry of an event, with its chain of duties: each step's deadline counted in working
    days from the previous one (the first from the event's own time)."""
    at: datetime = model.event_time(dict(env.payload), env.time)
    steps, due = [], at
    for holder, days in model.obligation(env.type, payload, rules):
        due = workdays.deadline_after(due, days)
        steps.append(model.Step(holder, due))
    return model.Entry(
        id=env.id,
        urn=env.subject,
        at=at,
        agency=model.AGENCY[env.payload.producer],
        event_type=env.type,
        summary=model.summary(env.type, payload),
        steps=tuple(steps),
    )


def case_changes(case: model.Case, env: Envelope[Event], payload: dict[str, Any]) -> dict[str, object]:
    """What an event changes on the case record: its stage, and the facts support keeps."""
    changes: dict[str, object] = {}
    stage = model.stage_after(case.stage, env.type, payload)
    if stage != case.stage:
        changes["stage"] = stage
    event = env.payload
    if isinstance(event, it.CrimeReported):
        changes.update(force_code=event.force_code, victim_ref=event.victim_ref)
    if custody_months := getattr(event, "custody_months", None):
        changes["custody_months"] = custody_months
    if isinstance(event, co.SentenceImposed):
        changes["vcs_eligible"] = model.vcs_due(payload)
    return changes


async def react(uow: Uow, env: Envelope[Event]) -> None:
    """A referral assigns an IDVA (and queues the claim check); a withdrawal purges the contact copy."""
    event = env.payload
    if isinstance(event, it.VictimReferred):
        await referrals.refer(uow, event, env.id)
    elif isinstance(event, it.ConsentWithdrawn):
        await referrals.purge_contact(uow, env.subject)
    elif isinstance(event, sp.IdvaAssigned):
        await uow.repo.update_case(env.subject, idva=event.idva_id, team=event.team)
