"""Intake's use cases at the service layer, against the in-memory repository (tests/unit/conftest.py):
what each changes, what it publishes, and what it refuses (publishing nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from wja_intake.service_layer import commands, handlers
from wja_platform.auth import Principal
from wja_platform.problems import Conflict, Forbidden, Gone, Invalid, NotFound
from wja_schemas import charging as ch
from wja_schemas import intake as ev
from wja_schemas import support as sp
from wja_schemas.examples import example

OFFICER = Principal(sub="pc-1", agency="police", role="officer", force="01")
MANAGER = Principal(sub="mgr-1", agency="idva", role="manager")


def report(**over) -> commands.Report:
    fields = {
        "force_code": "01",
        "reported_at": datetime(2026, 9, 14, 10, tzinfo=UTC),
        "offences": [commands.Offence("common_assault", datetime(2026, 9, 13, 22, tzinfo=UTC))],
        "victim": commands.Victim(name="Harriet Quill-Ashdown", date_of_birth=date(1987, 3, 14), phone="07700 900123"),
        "suspect": commands.Suspect(name="Marcus Test", date_of_birth=date(1984, 1, 2)),
        "risk": commands.Risk(tool="DASH", score=15),
        "referral_basis": "consent",
    }
    return commands.Report(**(fields | over))


async def new_case(deps, uow, **over) -> str:
    urn = (await handlers.report(deps, OFFICER, report(**over)))["urn"]
    uow.published.clear()
    return urn


async def test_a_report_mints_the_urn_seals_the_contact_and_publishes_references_only(deps, uow, repo):
    first = await handlers.report(deps, OFFICER, report())
    second = await handlers.report(deps, OFFICER, report())
    assert (first["urn"], second["urn"]) == ("01YE0000126", "01YE0000226")
    assert first["risk_level"] == "high" and first["victim_ref"] == second["victim_ref"]
    assert [type(e) for e in uow.published[:3]] == [ev.CrimeReported, ev.RiskAssessed, ev.VictimReferred]
    assert uow.published[1].marac_referral is True
    assert "Harriet" not in str(uow.published) and "07700" not in str(uow.published)
    contact = deps.keyring.open(repo.victims[first["urn"]], aad=first["urn"])
    assert contact["phone"] == "07700 900123" and contact["date_of_birth"] == "1987-03-14"


async def test_a_report_without_a_referral_basis_refers_nobody(deps, uow):
    await handlers.report(deps, OFFICER, report(referral_basis="none", risk=commands.Risk(tool="DASH", score=3)))
    assert [type(e) for e in uow.published] == [ev.CrimeReported, ev.RiskAssessed]
    assert uow.published[1].risk_level == "standard" and uow.published[1].marac_referral is False


async def test_a_report_is_refused_for_another_force_or_an_offence_before_it_existed(deps, uow, repo):
    with pytest.raises(Forbidden):
        await handlers.report(deps, Principal(sub="pc-2", agency="police", role="officer", force="02"), report())
    early = [commands.Offence("strangulation", datetime(2022, 6, 6, 12, tzinfo=UTC))]
    with pytest.raises(Invalid) as refused:
        await handlers.report(deps, OFFICER, report(offences=early))
    assert refused.value.problems[0][0] == "offences.0.occurred_at"
    with pytest.raises(Invalid) as no_level:
        await handlers.report(deps, OFFICER, report(risk=commands.Risk(tool="DARA")))
    assert no_level.value.field == "risk.level"
    assert (repo.cases, uow.published, uow.commits) == ({}, [], 0)


async def test_an_arrest_puts_a_reported_case_under_investigation(deps, uow, repo):
    urn = await new_case(deps, uow)
    at = datetime(2026, 9, 14, 11, tzinfo=UTC)
    assert await handlers.arrest(deps, OFFICER, urn, at) == {"urn": urn, "status": "under_investigation"}
    assert repo.cases[urn].arrested_at == at
    assert uow.published == [ev.SuspectArrested(urn=urn, arrested_at=at)]


async def test_an_unknown_case_is_not_found_and_another_forces_case_is_forbidden(deps, uow):
    at = datetime(2026, 9, 14, 11, tzinfo=UTC)
    with pytest.raises(NotFound):
        await handlers.arrest(deps, OFFICER, "01YE9999926", at)
    urn = await new_case(deps, uow)
    with pytest.raises(Forbidden):
        await handlers.interview(deps, Principal(sub="pc-2", agency="police", role="officer", force="02"), urn, at)
    assert uow.published == []


async def test_bail_refusals_are_listed_together_and_an_overlong_bail_is_flagged(deps, uow):
    urn = await new_case(deps, uow)
    rui = commands.Bail(kind="released_under_investigation", conditions=["curfew"])
    with pytest.raises(Invalid) as refused:
        await handlers.bail(deps, OFFICER, urn, rui)
    assert [f for f, _ in refused.value.problems] == ["conditions"]
    with pytest.raises(Invalid):
        await handlers.bail(deps, OFFICER, urn, commands.Bail(kind="pre_charge_bail", until=date(2026, 9, 13)))
    long = await handlers.bail(deps, OFFICER, urn, commands.Bail(kind="pre_charge_bail", until=date(2027, 3, 1)))
    assert long["bail"]["authorised_period_exceeded"] is True
    assert long["bail"]["authorised_until"] == "2026-12-14"
    assert [type(e) for e in uow.published] == [ev.BailDecided]


async def test_an_order_needs_an_open_notice_and_answers_it(deps, uow, repo):
    urn = await new_case(deps, uow)
    with pytest.raises(Conflict):
        await handlers.protective_order(deps, OFFICER, urn, commands.Order(kind="DVPO", granted=True))
    issued = datetime(2026, 9, 15, 9, tzinfo=UTC)
    notice = await handlers.protective_notice(deps, OFFICER, urn, commands.Notice(kind="DVPN", issued_at=issued))
    assert notice["notice"]["order_hearing_by"] == "2026-09-17T09:00:00+00:00"
    order = commands.Order(kind="DVPO", granted=True, until=date(2026, 10, 1))
    assert (await handlers.protective_order(deps, OFFICER, urn, order))["order"]["granted"] is True
    assert repo.cases[urn].protective[0]["order"]["until"] == "2026-10-01"
    with pytest.raises(Conflict):  # the notice is answered
        await handlers.protective_order(deps, OFFICER, urn, order)


async def test_a_charging_request_starts_s39a_at_the_first_statement_and_is_made_once(deps, uow, repo):
    urn = await new_case(deps, uow)
    request = commands.ChargingRequest(evidence=["victim_statement"], requested_test="full_code")
    await handlers.charging_request(deps, OFFICER, urn, request)
    (event,) = uow.published
    assert isinstance(event, ev.ChargingRequested)
    assert event.first_statement_at == deps.clock.now() == repo.cases[urn].first_statement_at
    with pytest.raises(Conflict) as twice:
        await handlers.charging_request(deps, OFFICER, urn, request)
    assert "awaiting charging decision" in twice.value.message
    with pytest.raises(Conflict):  # no action plan is open
        await handlers.further_material(deps, OFFICER, urn, commands.FurtherMaterial(evidence=["medical"]))


async def test_consumed_decisions_move_the_case_and_an_action_plan_is_answered(deps, uow, repo):
    urn = await new_case(deps, uow)
    request = commands.ChargingRequest(evidence=["bwv"], requested_test="full_code")
    await handlers.charging_request(deps, OFFICER, urn, request)
    decision = example(
        "wja.charging.decision.made.v1",
        urn=urn,
        decision="further_material_required",
        charges=[],
        due_date=date(2026, 10, 1),
    )
    await handlers.record_decision(uow, decision)
    assert repo.cases[urn].status == "further_material_required"
    assert repo.cases[urn].action_plan["due_date"] == "2026-10-01"
    answer = await handlers.further_material(deps, OFFICER, urn, commands.FurtherMaterial(evidence=["medical"]))
    assert answer["status"] == "awaiting_charging_decision"
    ended = example("wja.charging.proceedings.discontinued.v1", urn=urn)
    assert isinstance(ended, ch.ProceedingsDiscontinued)
    await handlers.end_proceedings(uow, ended)
    assert repo.cases[urn].status == "awaiting_closure" and repo.cases[urn].cps_decision["ended"] == "discontinued"


async def test_a_closed_case_keeps_its_status_when_a_decision_arrives_late(deps, uow, repo):
    urn = await new_case(deps, uow)
    await handlers.close(deps, OFFICER, urn, "16", None)
    await handlers.record_decision(uow, example("wja.charging.decision.made.v1", urn=urn))
    assert repo.cases[urn].status == "closed" and repo.cases[urn].cps_decision["decision"] == "charge"
    with pytest.raises(NotFound):  # the consumer parks it until the report arrives
        await handlers.record_decision(uow, example("wja.charging.decision.made.v1", urn="01YE9999926"))


async def test_closure_needs_an_outcome_code_and_a_reason_for_outcome_21_and_happens_once(deps, uow):
    urn = await new_case(deps, uow)
    with pytest.raises(Invalid) as bad:
        await handlers.close(deps, OFFICER, urn, "99", None)
    assert bad.value.field == "outcome_code"
    with pytest.raises(Invalid) as no_reason:
        await handlers.close(deps, OFFICER, urn, "21", " ")
    assert no_reason.value.field == "reason"
    assert (await handlers.close(deps, OFFICER, urn, "16", None))["status"] == "closed"
    with pytest.raises(Conflict):
        await handlers.close(deps, OFFICER, urn, "16", None)
    assert [type(e) for e in uow.published] == [ev.CaseClosed]


async def test_the_claim_check_reads_for_the_assigned_idva_of_the_force_and_audits_every_refusal(deps, uow, repo):
    urn = await new_case(deps, uow)
    idva = Principal(sub="idva-a", agency="idva", role="idva")
    with pytest.raises(Forbidden):
        await handlers.read_referral(deps, idva, urn, "idva_contact")
    assigned = example("wja.support.idva.assigned.v1", urn=urn, idva_id="idva-a", idva_forces=["01"])
    assert isinstance(assigned, sp.IdvaAssigned)
    await handlers.assign_idva(uow, assigned)
    read = await handlers.read_referral(deps, idva, urn, "idva_contact")
    assert read["contact"]["name"] == "Harriet Quill-Ashdown"
    assert [(a["sub"], a["outcome"]) for a in repo.audits] == [("idva-a", "refused"), ("idva-a", "read")]


async def test_withdrawn_consent_refuses_the_claim_check_and_cannot_be_withdrawn_twice(deps, uow, repo):
    urn = await new_case(deps, uow)
    await handlers.withdraw_consent(deps, OFFICER, urn)
    assert [type(e) for e in uow.published] == [ev.ConsentWithdrawn]
    with pytest.raises(Conflict):
        await handlers.withdraw_consent(deps, OFFICER, urn)
    with pytest.raises(Forbidden) as refused:
        await handlers.read_referral(deps, MANAGER, urn, "idva_contact")
    assert "no basis" in refused.value.message
    assert repo.audits[-1]["outcome"] == "refused"


async def test_after_the_purge_the_claim_check_is_gone_and_audited_so(deps, uow, repo):
    urn = await new_case(deps, uow)
    await handlers.close(deps, OFFICER, urn, "16", None)
    assert await handlers.purge_closed(deps, 30) == 0
    deps.clock.set(datetime(2026, 11, 30, tzinfo=UTC))
    assert await handlers.purge_closed(deps, 30) == 1
    assert urn not in repo.victims and repo.cases[urn].contact_purged_at == deps.clock.now()
    with pytest.raises(Gone):
        await handlers.read_referral(deps, MANAGER, urn, "idva_contact")
    assert repo.audits[-1]["outcome"] == "gone"
