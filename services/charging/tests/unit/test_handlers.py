"""The CPS use cases against the in-memory repository: what each changes, what it publishes, what it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from wja_charging.service_layer import handlers
from wja_charging.service_layer.commands import Decide, DecideReview, Discontinue, RequestReview
from wja_platform.consumer import NotReady
from wja_platform.problems import Conflict, Forbidden, Invalid, NotFound
from wja_schemas import charging as ev
from wja_schemas.examples import example

from .conftest import URN


def charge(urn: str = URN, **fields) -> Decide:
    return Decide(
        **{
            "urn": urn,
            "prosecutor": "cps-1",
            "decision": "charge",
            "test": "full_code",
            "reason": "BWV corroborates",
            "charges": ("abh",),
            **fields,
        }
    )


def nfa(urn: str = URN, basis: str = "evidential") -> Decide:
    return charge(urn, decision="no_further_action", charges=(), basis=basis)


def asked(urn: str = URN, agency: str = "cps", role: str = "prosecutor", sub: str = "cps-1", team=None, **kw):
    return RequestReview(urn, agency, role, sub, team, kw.pop("at", datetime(2026, 9, 15, 9, tzinfo=UTC)), **kw)


async def test_a_charging_request_opens_a_file_and_a_new_one_changes_it_only_once_decided(cps):
    await cps.file(risk_level="high")
    assert cps.repo.files[URN].status == "awaiting_decision"
    assert cps.repo.files[URN].submission.risk_level == "high"
    await cps.file(risk_level="standard")  # still at the CPS: nothing changes
    assert cps.repo.files[URN].submission.risk_level == "high"
    await handlers.decide(cps.deps, charge())
    await cps.file(risk_level="standard")
    assert cps.repo.files[URN].status == "awaiting_decision"
    assert cps.repo.files[URN].submission.risk_level == "standard"


async def test_a_charge_is_published_with_its_statute_and_the_reason_stays_here(cps):
    await cps.file(requested_at=datetime(2026, 9, 8, 12, tzinfo=UTC))
    answer = await handlers.decide(cps.deps, charge())
    assert answer["status"] == "decided" and answer["days_to_decision"] == 6
    (made,) = cps.uow.published
    assert isinstance(made, ev.DecisionMade)
    assert [(c.offence_code, c.statute, c.mode_of_trial) for c in made.charges] == [
        ("abh", "OAPA 1861 s47", "either_way")
    ]
    assert made.risk_level == "high" and made.days_to_decision == 6
    assert "BWV" not in made.model_dump_json()
    assert [d.reason for d in cps.repo.decisions] == ["BWV corroborates"]
    with pytest.raises(Conflict):
        await handlers.decide(cps.deps, charge())
    assert len(cps.uow.published) == 1


async def test_a_decision_breaking_rules_is_refused_whole_and_changes_nothing(cps):
    await cps.file()
    with pytest.raises(Invalid) as refused:
        await handlers.decide(cps.deps, charge(decision="no_further_action", test="threshold"))
    assert [f for f, _ in refused.value.problems] == ["charges", "basis", "test", "bail_risk_justification"]
    with pytest.raises(NotFound):
        await handlers.decide(cps.deps, charge("01ZZ0000126"))
    assert cps.uow.published == [] and cps.repo.decisions == []
    assert cps.repo.files[URN].status == "awaiting_decision"


async def test_a_threshold_charge_is_reviewed_28_days_later(cps):
    await cps.file()
    answer = await handlers.decide(
        cps.deps, charge(test="threshold", bail_risk_justification="risk of further offences")
    )
    assert answer["review_by"] == "2026-10-12"
    assert cps.uow.published[0].review_by == date(2026, 10, 12)


async def test_an_action_plan_waits_for_material_and_is_finalised_when_it_does_not_come(cps):
    await cps.file()
    plan = charge(decision="further_material_required", charges=(), due_date=date(2026, 9, 28))
    answer = await handlers.decide(cps.deps, plan)
    assert answer["status"] == "further_material_required" and answer["days_to_decision"] is None
    assert await handlers.finalise_overdue(cps.deps) == []
    cps.clock.set(datetime(2026, 9, 29, 9, tzinfo=UTC))
    assert await handlers.finalise_overdue(cps.deps) == [URN]
    assert cps.repo.files[URN].status == "finalised"
    assert cps.types()[-1] == ev.FileFinalised.ce_type


async def test_further_material_waits_for_the_file_and_brings_it_back_for_a_decision(cps):
    material = example("wja.intake.further_material.submitted.v1", urn=URN, evidence=["medical"])
    with pytest.raises(NotReady):
        await handlers.material_returned(cps.uow, material)
    await cps.file(evidence=["bwv"])
    await handlers.material_returned(cps.uow, material)  # no action plan yet: nothing to answer
    assert cps.repo.files[URN].submission.evidence == ["bwv"]
    await handlers.decide(
        cps.deps, charge(decision="further_material_required", charges=(), due_date=date(2026, 10, 1))
    )
    await handlers.material_returned(cps.uow, material)
    file = cps.repo.files[URN]
    assert file.status == "awaiting_decision" and file.due_date is None
    assert file.submission.evidence == ["bwv", "medical"]


async def test_a_withdrawn_victim_turns_an_evidential_nfa_into_outcome_16(cps):
    await cps.file()
    changed = example("wja.intake.victim_support.changed.v1", urn=URN, status="withdrawn")
    await handlers.victim_support_changed(cps.uow, changed)
    answer = await handlers.decide(cps.deps, nfa())
    assert answer["suggested_outcome_code"] == "16"
    await handlers.victim_support_changed(cps.uow, changed.model_copy(update={"urn": "01ZZ0000126"}))
    assert "01ZZ0000126" not in cps.repo.files  # support of a case the CPS never saw: nothing to change


async def test_only_the_assigned_idva_or_their_teams_manager_may_ask_for_a_review(cps):
    await cps.file()
    await handlers.decide(cps.deps, nfa())
    with pytest.raises(Forbidden):
        await handlers.request_review(cps.deps, asked(agency="idva", role="idva", sub="idva-7"))
    with pytest.raises(Forbidden):  # refused before the file is looked at
        await handlers.request_review(cps.deps, asked("01ZZ0000126", agency="idva", role="idva", sub="idva-7"))
    assigned = example("wja.support.idva.assigned.v1", urn=URN, idva_id="idva-7", team="north")
    await handlers.idva_assigned(cps.uow, assigned)
    older = assigned.model_copy(update={"idva_id": "idva-1", "assigned_at": assigned.assigned_at - timedelta(days=1)})
    await handlers.idva_assigned(cps.uow, older)  # a replayed older assignment does not undo the newer
    with pytest.raises(Forbidden):
        await handlers.request_review(cps.deps, asked(agency="idva", role="manager", sub="m-1", team="south"))
    answer = await handlers.request_review(cps.deps, asked(agency="idva", role="idva", sub="idva-7"))
    assert answer["decision_type"] == "no_further_action" and answer["late"] is False
    assert cps.repo.reviews[answer["review_id"]].requested_by == "idva:idva-7"


async def test_a_review_needs_a_qualifying_decision_and_one_at_a_time(cps):
    await cps.file()
    await handlers.decide(cps.deps, charge())
    with pytest.raises(Conflict):
        await handlers.request_review(cps.deps, asked())
    other = await cps.file("01CH7654326")
    await handlers.decide(cps.deps, nfa(other))
    await handlers.request_review(cps.deps, asked(other))
    with pytest.raises(Conflict) as twice:
        await handlers.request_review(cps.deps, asked(other))
    assert "already under way" in twice.value.message


async def test_a_late_request_is_flagged_and_one_after_three_months_needs_exceptional_circumstances(cps):
    await cps.file()
    await handlers.decide(cps.deps, nfa())
    with pytest.raises(Conflict):
        await handlers.request_review(cps.deps, asked(at=datetime(2027, 1, 5, 12, tzinfo=UTC)))
    answer = await handlers.request_review(
        cps.deps, asked(at=datetime(2027, 1, 5, 12, tzinfo=UTC), exceptional=True, reason="in hospital")
    )
    assert answer["late"] is True and answer["exceptional"] is True
    requested = cps.uow.published[-1]
    assert isinstance(requested, ev.ReviewRequested) and requested.exceptional and requested.late
    assert "hospital" not in requested.model_dump_json()


async def test_an_overturned_review_reopens_the_file_and_a_review_is_decided_once(cps):
    await cps.file()
    await handlers.decide(cps.deps, nfa())
    review = await handlers.request_review(cps.deps, asked())
    with pytest.raises(NotFound):
        await handlers.decide_review(cps.deps, DecideReview("vrr-unknown", "upheld", "stands"))
    await handlers.decide_review(cps.deps, DecideReview(review["review_id"], "overturned", "evidence was there"))
    assert cps.repo.files[URN].status == "awaiting_decision"
    with pytest.raises(Conflict):
        await handlers.decide_review(cps.deps, DecideReview(review["review_id"], "upheld", "stands"))
    await handlers.decide(cps.deps, charge())
    assert cps.types() == [
        ev.DecisionMade.ce_type,
        ev.ReviewRequested.ce_type,
        ev.ReviewDecided.ce_type,
        ev.DecisionMade.ce_type,
    ]


async def test_only_charged_proceedings_are_discontinued_and_once(cps):
    await cps.file()
    with pytest.raises(Conflict):
        await handlers.discontinue(cps.deps, Discontinue(URN, "victim_retraction"))
    await handlers.decide(cps.deps, charge())
    answer = await handlers.discontinue(cps.deps, Discontinue(URN, "victim_retraction"))
    assert answer == {"urn": URN, "discontinued": True, "reason": "victim_retraction"}
    with pytest.raises(Conflict):
        await handlers.discontinue(cps.deps, Discontinue(URN, "victim_retraction"))
    review = await handlers.request_review(cps.deps, asked())
    assert review["decision_type"] == "discontinuance"
    await handlers.decide_review(cps.deps, DecideReview(review["review_id"], "overturned", "wrong call"))
    assert cps.repo.files[URN].discontinued_at is None and cps.repo.files[URN].status == "awaiting_decision"
