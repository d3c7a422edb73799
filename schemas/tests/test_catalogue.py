"""The catalogue holds every event type journey.md promises, named, documented and committed as specified."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from wja_schemas import EVENT_TYPES, topics
from wja_schemas.catalogue import consumers_of, render
from wja_schemas.snapshot import ROOT, snapshot_path

JOURNEY_TYPES = {
    "wja.intake.crime.reported.v1",
    "wja.intake.risk.assessed.v1",
    "wja.intake.suspect.arrested.v1",
    "wja.intake.suspect.interviewed.v1",
    "wja.intake.bail.decided.v1",
    "wja.intake.protective_notice.issued.v1",
    "wja.intake.protective_order.decided.v1",
    "wja.intake.charging.requested.v1",
    "wja.intake.further_material.submitted.v1",
    "wja.intake.victim.referred.v1",
    "wja.intake.victim_support.changed.v1",
    "wja.intake.consent.withdrawn.v1",
    "wja.intake.case.closed.v1",
    "wja.charging.decision.made.v1",
    "wja.charging.file.finalised.v1",
    "wja.charging.review.requested.v1",
    "wja.charging.review.decided.v1",
    "wja.charging.proceedings.discontinued.v1",
    "wja.court.hearing.listed.v1",
    "wja.court.hearing.unlisted.v1",
    "wja.court.hearing.vacated.v1",
    "wja.court.hearing.resulted.v1",
    "wja.court.bail.decided.v1",
    "wja.court.special_measures.decided.v1",
    "wja.court.verdict.recorded.v1",
    "wja.court.sentence.imposed.v1",
    "wja.court.restraining_order.made.v1",
    "wja.support.idva.assigned.v1",
    "wja.support.victim.informed.v1",
    "wja.support.special_measures.requested.v1",
    "wja.support.familiarisation.requested.v1",
    "wja.support.wishes.recorded.v1",
    "wja.support.personal_statement.recorded.v1",
    "wja.support.support.closed.v1",
}
"""journey.md section 2, "Event types (must exist)"."""

NAME = re.compile(r"^wja\.(intake|charging|court|support)\.[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$")
SERVICES = {"intake", "charging", "court", "support", "insights"}
MUST_CONSUME = {
    "wja.intake.charging.requested.v1": {"charging"},
    "wja.intake.further_material.submitted.v1": {"charging"},
    "wja.charging.decision.made.v1": {"court", "intake"},
    "wja.charging.proceedings.discontinued.v1": {"court"},
    "wja.support.special_measures.requested.v1": {"court"},
    "wja.support.familiarisation.requested.v1": {"court"},
    "wja.support.idva.assigned.v1": {"intake"},
}
"""journey.md section 1: who consumes what (support and insights consume everything)."""


def test_every_journey_event_type_exists():
    assert len(JOURNEY_TYPES) == 34
    assert set(EVENT_TYPES) >= JOURNEY_TYPES


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_names_follow_the_convention_and_match_their_producer_and_class(ce_type):
    model = EVENT_TYPES[ce_type]
    assert NAME.match(ce_type), ce_type
    assert ce_type.split(".")[1] == model.producer
    assert model.__module__ == f"wja_schemas.{model.producer}"
    subject_action = "".join(w.capitalize() for part in ce_type.split(".")[2:4] for w in part.split("_"))
    assert model.__name__.endswith(subject_action), f"{model.__name__} should read as {subject_action} (past tense)"


def test_each_type_has_exactly_one_committed_schema_with_its_id_and_nothing_else_is_named_wja():
    expected = {snapshot_path(ce_type) for ce_type in EVENT_TYPES}
    assert set(ROOT.rglob("wja.*")) == expected  # no AsyncAPI or other wja.* file anywhere under schemas/
    assert not list(ROOT.rglob("*asyncapi*"))
    for ce_type in EVENT_TYPES:
        schema = json.loads(snapshot_path(ce_type).read_text())
        assert schema["$id"] == f"urn:wja:schema:{ce_type}"  # an absolute URI, as ce_dataschema must be
        assert schema["additionalProperties"] is True
        assert "urn" in schema["required"]


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_event_says_when_it_is_emitted_its_key_and_its_consumers(ce_type):
    model = EVENT_TYPES[ce_type]
    doc = model.__doc__ or ""
    assert doc.startswith("Emitted when"), ce_type
    assert "Key: the case URN." in doc, ce_type
    consumers = consumers_of(model)
    assert consumers, f"{ce_type}: no Consumers: list"
    assert set(consumers) <= SERVICES, consumers
    assert {"support", "insights"} <= set(consumers), f"{ce_type}: support and insights consume everything"
    if model.producer != "support":  # support's projection reads its own topic too; no one else does
        assert model.producer not in consumers
    assert MUST_CONSUME.get(ce_type, set()) <= set(consumers), ce_type


@pytest.mark.parametrize("producer", topics.PRODUCERS)
def test_each_producer_module_names_its_topic(producer):
    module = importlib.import_module(f"wja_schemas.{producer}")
    assert f"``{topics.case_topic(producer)}``" in (module.__doc__ or "")
    assert topics.CASE_TOPICS[producer] == topics.case_topic(producer)


def test_the_committed_catalogue_is_generated_from_the_models():
    docs = ROOT.parent / "docs" / "events.md"
    assert docs.read_text() == render(), "run make schemas"
    for ce_type in EVENT_TYPES:
        assert f"### {ce_type}" in docs.read_text()
