"""Events become the timeline, the stage and the referral's assignment (service layer, in-memory fakes);
the timeline's lines and stages are tied to the contract's vocabulary."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

from wja_platform.uow import FakeUnitOfWork
from wja_schemas import EVENT_TYPES, new_envelope
from wja_schemas import support as sp
from wja_schemas.examples import example
from wja_schemas.types import SupportStage
from wja_support.config import SupportSettings
from wja_support.domain import model, summaries
from wja_support.domain.model import Case, Idva
from wja_support.service_layer import projection
from wja_support.testing import FakeRepository

RULES = SupportSettings.model_fields["notice_working_days"].default
URN = "01SP1000026"
ROSTER = [Idva("idva-a", "north", ("01",)), Idva("idva-b", "north", ("01",)), Idva("idva-c", "south", ("02",))]


async def consume(uow: FakeUnitOfWork[FakeRepository], ce_type: str, **fields: object) -> None:
    async with uow:  # the consumer's transaction
        await projection.apply(uow, new_envelope(example(ce_type, urn=URN, **fields)), RULES)


def test_every_event_type_support_consumes_has_a_summary_and_no_summary_names_an_unknown_type() -> None:
    consumed = {t for t in EVENT_TYPES if t.split(".")[1] in SupportSettings.consumes}
    assert consumed, "support consumes every agency's topic"
    assert consumed - set(summaries.SUMMARIES) == set()
    assert set(summaries.SUMMARIES) - set(EVENT_TYPES) == set()


def test_every_summary_reads_an_example_event_without_failing_or_falling_back_to_its_type() -> None:
    for ce_type, line in summaries.SUMMARIES.items():
        payload = example(ce_type).model_dump(mode="json")
        assert line(payload) and ce_type not in line(payload), ce_type


def test_the_domains_stages_are_the_contracts_support_stages_in_order() -> None:
    assert typing.get_args(SupportStage) == model.STAGES


async def test_a_referral_goes_to_the_least_loaded_idva_of_the_force_and_queues_the_claim_check() -> None:
    busy = Case("01SP2000026", idva="idva-a", team="north")
    uow = FakeUnitOfWork(FakeRepository(roster=ROSTER, cases=[busy]))
    await consume(uow, "wja.intake.crime.reported.v1", force_code="01")
    await consume(uow, "wja.intake.victim.referred.v1", force_code="01")
    case = uow.repo.cases[URN]
    assert (case.idva, case.team, case.force_code, case.contact_status) == ("idva-b", "north", "01", "pending")
    assigned = [e for e in uow.published if isinstance(e, sp.IdvaAssigned)]
    assert [(e.idva_id, e.idva_forces) for e in assigned] == [("idva-b", ["01"])]


async def test_a_referral_no_idva_serves_waits_unassigned() -> None:
    uow = FakeUnitOfWork(FakeRepository(roster=ROSTER))
    await consume(uow, "wja.intake.victim.referred.v1", force_code="07")
    assert uow.repo.cases[URN].idva is None and uow.published == []


async def test_an_event_adds_its_entry_once_with_the_chain_of_duties_and_moves_the_stage_forward() -> None:
    uow = FakeUnitOfWork(FakeRepository(roster=ROSTER))
    monday = datetime(2026, 9, 14, 15, tzinfo=UTC)
    envelope = new_envelope(example("wja.court.verdict.recorded.v1", urn=URN, recorded_at=monday))
    for _ in range(2):  # a redelivery
        async with uow:
            await projection.apply(uow, envelope, RULES)
    (entry,) = uow.repo.entries.values()
    assert [s.duty_holder for s in entry.steps] == ["court", "wcu"]
    assert entry.tell_victim_by is not None and entry.tell_victim_by > monday
    assert uow.repo.cases[URN].stage == "sentencing"


async def test_a_sentence_records_custody_and_whether_the_vcs_is_owed_and_a_withdrawal_purges_the_contact() -> None:
    uow = FakeUnitOfWork(FakeRepository(roster=ROSTER))
    await consume(uow, "wja.court.sentence.imposed.v1", custody_months=14, vcs_eligible=True)
    assert (uow.repo.cases[URN].custody_months, uow.repo.cases[URN].vcs_eligible) == (14, True)
    uow.repo.contacts[URN] = object()  # type: ignore[assignment]
    await consume(uow, "wja.intake.consent.withdrawn.v1")
    assert URN not in uow.repo.contacts and uow.repo.cases[URN].contact_status == "withdrawn"
