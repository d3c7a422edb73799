"""Support's use cases against in-memory fakes: what each publishes, and what each refuses."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from wja_platform.auth import Principal
from wja_platform.crypto import Keyring
from wja_platform.problems import Conflict, Forbidden, Invalid, NotFound
from wja_platform.uow import FakeUnitOfWork
from wja_schemas import support as sp
from wja_support.domain.model import Case, Entry, Idva, Step
from wja_support.service_layer import commands, handlers, referrals
from wja_support.testing import FakeRepository

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)
URN = "01SP1000026"
IDVA_A = Principal(sub="idva-a", agency="idva", role="idva", team="north")
IDVA_B = Principal(sub="idva-b", agency="idva", role="idva", team="north")
MANAGER = Principal(sub="mgr", agency="idva", role="manager", team="north")
ROSTER = [Idva("idva-a", "north", ("01",)), Idva("idva-b", "north", ("01",)), Idva("idva-c", "south", ("02",))]


def assigned_case(**over: object) -> Case:
    fields: dict = {"urn": URN, "force_code": "01", "referral_basis": "consent", "idva": "idva-a", "team": "north"}
    return Case(**{**fields, **over})


def uow_with(*cases: Case) -> FakeUnitOfWork[FakeRepository]:
    return FakeUnitOfWork(FakeRepository(roster=ROSTER, cases=cases or [assigned_case()]))


def notice(entry_id: str, by: datetime) -> Entry:
    return Entry(entry_id, URN, by - timedelta(days=1), "police", "wja.intake.suspect.arrested.v1", "Arrested",
                 (Step("police", by),))  # fmt: skip


async def test_a_contact_marks_the_entries_told_and_publishes_how_many_were_on_time() -> None:
    uow = uow_with()
    uow.repo.entries = {
        e.id: e for e in (notice("e1", NOW + timedelta(hours=1)), notice("e2", NOW - timedelta(hours=1)))
    }
    cmd = commands.Contact(about=["e1", "e2"], channel="phone", at=NOW, told_by="police")
    answer = await handlers.record_contact(uow, IDVA_A, URN, cmd)
    assert answer == {"urn": URN, "told": 2, "told_by": "police", "on_time": 1, "late": 1}
    (event,) = uow.published
    assert isinstance(event, sp.VictimInformed) and (event.on_time, event.late, event.told_by) == (1, 1, "police")
    assert set(uow.repo.told) == {"e1", "e2"}


async def test_a_contact_about_an_unknown_entry_is_invalid_and_an_entry_is_told_once() -> None:
    uow = uow_with()
    uow.repo.entries = {"e1": notice("e1", NOW)}
    with pytest.raises(Invalid) as unknown:
        await handlers.record_contact(uow, IDVA_A, URN, commands.Contact(about=["nope"], channel="phone", at=NOW))
    assert unknown.value.field == "about"
    await handlers.record_contact(uow, IDVA_A, URN, commands.Contact(about=["e1"], channel="phone", at=NOW))
    with pytest.raises(Conflict):
        await handlers.record_contact(uow, IDVA_A, URN, commands.Contact(about=["e1"], channel="email", at=NOW))
    assert len(uow.published) == 1


async def test_only_the_assigned_idva_acts_on_a_case_and_an_unknown_case_is_not_found() -> None:
    uow = uow_with()
    for caller in (IDVA_B, MANAGER, Principal(sub="pc", agency="police", role="officer")):
        with pytest.raises(Forbidden):
            await handlers.request_visit(uow, caller, URN, NOW)
    with pytest.raises(NotFound):
        await handlers.request_visit(uow, IDVA_A, "01SP9999926", NOW)
    assert uow.published == [] and uow.commits == 0


async def test_requests_wishes_and_statements_are_published_with_the_time_given() -> None:
    uow = uow_with()
    measures = await handlers.request_measures(uow, IDVA_A, URN, commands.Measures(measures=["screens"]), NOW)
    await handlers.request_visit(uow, IDVA_A, URN, NOW)
    await handlers.record_wishes(uow, IDVA_A, URN, commands.Wishes(restraining_order_sought=True), NOW)
    await handlers.record_statement(uow, IDVA_A, URN, commands.Statement(will_read_in_court=True), NOW)
    assert measures["request_id"].startswith("sm-")
    assert [type(e) for e in uow.published] == [
        sp.SpecialMeasuresRequested,
        sp.FamiliarisationRequested,
        sp.WishesRecorded,
        sp.PersonalStatementRecorded,
    ]
    assert uow.commits == 4


async def test_closing_offers_the_vcs_when_the_sentence_qualifies_or_at_discretion_and_only_once() -> None:
    uow = uow_with(assigned_case(vcs_eligible=True), assigned_case(urn="01SP2000026"))
    closed = await handlers.close_support(uow, IDVA_A, URN, commands.Closure(reason="post_trial"), NOW)
    other = commands.Closure(reason="victim_choice")
    assert closed["vcs_offered"] is True
    assert (await handlers.close_support(uow, IDVA_A, "01SP2000026", other, NOW))["vcs_offered"] is False
    assert uow.repo.cases[URN].support_closed_at == NOW
    with pytest.raises(Conflict):
        await handlers.close_support(uow, IDVA_A, URN, commands.Closure(reason="post_trial"), NOW)
    assert [e.vcs_offered for e in uow.published if isinstance(e, sp.SupportClosed)] == [True, False]


async def test_a_manager_assigns_only_to_an_idva_on_the_roster_serving_the_cases_force() -> None:
    uow = uow_with(assigned_case(idva=None, team=None))
    for idva in ("stranger", "idva-c"):
        with pytest.raises(Invalid):
            await handlers.reassign(uow, MANAGER, URN, commands.Assignment(idva=idva), NOW)
    await handlers.reassign(uow, MANAGER, URN, commands.Assignment(idva="idva-b"), NOW)
    (event,) = uow.published
    assert isinstance(event, sp.IdvaAssigned) and (event.idva_id, event.idva_forces) == ("idva-b", ["01"])
    assert uow.repo.cases[URN].idva == "idva-b"
    with pytest.raises(Forbidden):  # no longer idva-a's case: not theirs to see (the API admits managers only)
        await handlers.reassign(uow, IDVA_A, URN, commands.Assignment(idva="idva-a"), NOW)


async def test_every_read_of_the_contact_details_is_audited_refusals_and_absences_too() -> None:
    keyring = Keyring({"k1": os.urandom(32)})
    uow = uow_with()
    with pytest.raises(NotFound):
        await handlers.contact_details(uow, keyring, IDVA_A, URN, "safety_planning", NOW)
    uow.repo.contacts[URN] = keyring.seal({"phone": "07700 900123"}, aad=URN)
    read = await handlers.contact_details(uow, keyring, IDVA_A, URN, "safety_planning", NOW)
    with pytest.raises(Forbidden):
        await handlers.contact_details(uow, keyring, MANAGER, URN, "safety_planning", NOW)
    assert read == {"phone": "07700 900123"}
    assert [(a[1], a[3]) for a in uow.repo.audit] == [("idva-a", "not_held"), ("idva-a", "read"), ("mgr", "refused")]


async def test_the_roster_takes_a_new_idva_and_the_contact_copy_goes_a_retention_period_after_closure() -> None:
    uow = uow_with(assigned_case(support_closed=True, support_closed_at=NOW - timedelta(days=91)))
    await handlers.add_idva(uow, commands.IdvaIn(sub="idva-d", team="north", forces=["01"]))
    assert uow.repo.idvas["idva-d"].forces == ("01",)
    uow.repo.contacts[URN] = Keyring({"k1": os.urandom(32)}).seal({"phone": "1"}, aad=URN)
    assert await referrals.purge_closed(uow, NOW - timedelta(days=2), 90) == 0
    assert await referrals.purge_closed(uow, NOW, 90) == 1
    assert URN not in uow.repo.contacts and uow.repo.cases[URN].contact_status == "purged"
