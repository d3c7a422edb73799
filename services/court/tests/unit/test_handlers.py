"""The court's use cases against an in-memory repository: what each changes, publishes and refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wja_court.service_layer import commands as cmd
from wja_court.service_layer import handlers
from wja_platform.consumer import NotReady
from wja_platform.problems import Conflict, Invalid, NotFound
from wja_schemas.examples import example

from .conftest import NOW, Court

LISTED = "wja.court.hearing.listed.v1"
UNLISTED = "wja.court.hearing.unlisted.v1"


async def charge(court: Court, urn: str = "01CT1000026", **over) -> str:
    fields = {"decided_at": NOW, "force_code": "01", **over}
    await handlers.charged(court.uow, court.deps, example("wja.charging.decision.made.v1", urn=urn, **fields), "c-1")
    return urn


async def result(court: Court, hearing_id: str, value: str, **more) -> dict:
    return await handlers.record_result(court.deps, cmd.RecordResult(hearing_id, value, **more))


async def test_a_charge_opens_the_case_and_lists_its_first_hearing_in_a_serving_court(court):
    await court.session(29, code="OTHER")  # serves no force of the map
    sid = await court.session(29)
    urn = await charge(court, anticipated_plea="not_guilty", charges=[{"offence_code": "stalking"}])
    (hearing,) = court.repo.of(urn)
    assert (hearing.type, hearing.status, hearing.session_id) == ("first_hearing", "listed", sid)
    assert court.repo.sessions[sid].used == 1
    assert court.repo.cases[urn].offences == ("stalking",)
    assert court.published() == [LISTED]


async def test_without_capacity_hearings_wait_and_a_new_session_lists_remand_and_high_risk_first(court):
    standard = await charge(court, "01CT1000126", risk_level="standard", anticipated_plea="guilty")
    remanded = await charge(court, "01CT1000226", risk_level="standard", remanded=True)
    high = await charge(court, "01CT1000326", risk_level="high", anticipated_plea="guilty")
    assert court.published() == [UNLISTED] * 3
    await court.session(20, capacity=2)
    statuses = {urn: court.repo.of(urn)[0].status for urn in (standard, remanded, high)}
    assert statuses == {remanded: "listed", high: "listed", standard: "unlisted"}


async def test_a_further_charge_on_live_proceedings_lists_nothing_and_amends_the_charges(court):
    await court.session(29)
    urn = await charge(court)
    await charge(court, urn, decided_at=NOW + timedelta(days=1), charges=[{"offence_code": "stalking"}])
    assert len(court.repo.of(urn)) == 1
    assert court.repo.cases[urn].offences == ("stalking",)
    await charge(court, urn, charges=[{"offence_code": "harassment"}])  # the same decision again: nothing
    assert court.repo.cases[urn].offences == ("stalking",) and len(court.repo.of(urn)) == 1


async def test_discontinuance_vacates_and_frees_capacity_and_a_new_charge_starts_new_proceedings(court):
    sid = await court.session(29, capacity=1)
    urn = await charge(court)
    stop = example("wja.charging.proceedings.discontinued.v1", urn=urn, discontinued_at=NOW)
    await handlers.discontinued(court.uow, court.deps, stop, "d-1")
    assert [h.status for h in court.repo.of(urn)] == ["vacated"]
    assert court.repo.sessions[sid].used == 0
    assert court.published()[-1] == "wja.court.hearing.vacated.v1"
    await handlers.discontinued(court.uow, court.deps, stop, "d-1")  # already discontinued: nothing more
    assert court.published().count("wja.court.hearing.vacated.v1") == 1
    await charge(court, urn, decided_at=NOW + timedelta(days=1))
    assert [h.status for h in court.repo.of(urn)] == ["vacated", "listed"]
    assert not court.repo.cases[urn].discontinued


async def test_events_about_a_case_not_yet_before_the_court_wait(court):
    urn = "01CT9999926"
    with pytest.raises(NotReady):
        await handlers.discontinued(
            court.uow, court.deps, example("wja.charging.proceedings.discontinued.v1", urn=urn), "d-1"
        )
    with pytest.raises(NotReady):
        await handlers.special_measures_requested(
            court.uow, example("wja.support.special_measures.requested.v1", urn=urn)
        )


async def test_a_not_guilty_plea_with_bail_lists_a_trial_from_the_day_the_hearing_sat(court):
    await court.session(29)
    trial_session = await court.session(37)
    urn = await charge(court)
    first = court.repo.of(urn)[0]
    bail = cmd.BailDecision("conditional_bail", ["no_contact_victim"])
    answer = await result(court, first.hearing_id, "not_guilty_plea", bail=bail)
    trial = court.repo.of(urn)[1]
    assert answer == {
        "hearing_id": first.hearing_id,
        "status": "resulted",
        "result": "not_guilty_plea",
        "next_hearing_id": trial.hearing_id,
    }
    assert (trial.type, trial.session_id) == ("trial", trial_session)
    assert court.repo.cases[urn].not_guilty_plea and not court.repo.cases[urn].remanded
    assert court.published()[-3:] == ["wja.court.hearing.resulted.v1", "wja.court.bail.decided.v1", LISTED]


async def test_results_are_refused_and_publish_nothing(court):
    await court.session(29)
    await court.session(40)
    urn = await charge(court)
    first = court.repo.of(urn)[0]
    before = court.published()
    with pytest.raises(NotFound):
        await result(court, "h-none", "adjourned")
    with pytest.raises(Invalid) as invalid:
        await result(court, first.hearing_id, "ineffective")
    assert [f for f, _ in invalid.value.problems] == ["result", "reason_code"]
    await result(court, first.hearing_id, "not_guilty_plea")
    with pytest.raises(Conflict):
        await result(court, first.hearing_id, "adjourned")  # resulted already
    trial = court.repo.of(urn)[1]
    with pytest.raises(Conflict):
        await result(court, trial.hearing_id, "guilty_plea")  # a plea is already recorded
    assert court.published().count("wja.court.hearing.resulted.v1") == 1 and len(court.published()) == len(before) + 2


async def test_a_guilty_plea_then_sentence_results_the_sentencing_hearing_and_says_whether_vcs_is_due(court):
    await court.session(29)
    await court.session(60)
    urn = await charge(court)
    await result(court, court.repo.of(urn)[0].hearing_id, "guilty_plea")
    assert court.repo.of(urn)[1].type == "sentencing"
    with pytest.raises(Conflict):
        await handlers.verdict(court.deps, cmd.RecordVerdict(urn, "convicted"))  # no not-guilty plea
    with pytest.raises(Invalid):
        await handlers.sentence(court.deps, cmd.ImposeSentence(urn, "custody"))  # its term is missing
    answer = await handlers.sentence(court.deps, cmd.ImposeSentence(urn, "custody", custody_months=14))
    assert answer["sentence"]["vcs_eligible"] is True  # abh, 14 months' immediate custody
    assert court.repo.of(urn)[1].status == "resulted" and urn in court.repo.finished
    with pytest.raises(Conflict):
        await handlers.sentence(court.deps, cmd.ImposeSentence(urn, "fine"))
    assert court.published()[-1] == "wja.court.sentence.imposed.v1"


async def test_an_acquittal_ends_the_proceedings_and_allows_an_order_on_acquittal_only(court):
    await court.session(29)
    await court.session(40)
    urn = await charge(court)
    await result(court, court.repo.of(urn)[0].hearing_id, "not_guilty_plea")
    order = cmd.MakeOrder(urn, "conviction", None, ["no_contact_victim"])
    await handlers.verdict(court.deps, cmd.RecordVerdict(urn, "acquitted"))
    assert urn in court.repo.finished
    with pytest.raises(Conflict):
        await handlers.restraining_order(court.deps, order)
    made = await handlers.restraining_order(court.deps, cmd.MakeOrder(urn, "acquittal", None, ["no_contact_victim"]))
    assert made == {"urn": urn, "basis": "acquittal", "until": None}
    assert court.repo.orders == [(urn, "acquittal", None, ["no_contact_victim"])]


async def test_a_conviction_does_not_end_the_proceedings_before_the_sentence(court):
    await court.session(29)
    await court.session(40)
    urn = await charge(court)
    await result(court, court.repo.of(urn)[0].hearing_id, "not_guilty_plea")
    await handlers.verdict(court.deps, cmd.RecordVerdict(urn, "convicted"))
    assert urn not in court.repo.finished
    with pytest.raises(Conflict):
        await handlers.verdict(court.deps, cmd.RecordVerdict(urn, "acquitted"))


async def test_special_measures_refusal_needs_a_reason_and_a_request_is_decided_once(court):
    await court.session(29)
    urn = await charge(court)
    await handlers.special_measures_requested(
        court.uow, example("wja.support.special_measures.requested.v1", urn=urn, request_id="sm-1")
    )
    with pytest.raises(Invalid) as refused:
        await handlers.decide_special_measures(court.deps, cmd.DecideMeasures(urn, "sm-1", False, refusal_reason=" "))
    assert refused.value.problems == [("refusal_reason", refused.value.message)]
    with pytest.raises(NotFound):
        await handlers.decide_special_measures(court.deps, cmd.DecideMeasures(urn, "sm-2", True))
    granted = await handlers.decide_special_measures(court.deps, cmd.DecideMeasures(urn, "sm-1", True))
    assert granted["measures"] == ["screens", "live_link"]  # as requested, when the decision names none
    with pytest.raises(Conflict):
        await handlers.decide_special_measures(court.deps, cmd.DecideMeasures(urn, "sm-1", True))


async def test_a_session_cannot_shrink_below_its_taken_units_and_more_capacity_lists_the_queue(court):
    sid = await court.session(29, capacity=1)
    await charge(court, "01CT1000126")
    waiting = await charge(court, "01CT1000226")
    with pytest.raises(Conflict):
        await handlers.change_session(court.deps, cmd.ChangeSession(sid, capacity=0))
    changed = await handlers.change_session(court.deps, cmd.ChangeSession(sid, capacity=2))
    assert changed == {"session_id": sid, "listed_from_queue": 1}
    assert court.repo.of(waiting)[0].status == "listed"
    with pytest.raises(NotFound):
        await handlers.change_session(court.deps, cmd.ChangeSession("s-none", close=True))
