"""The catalogue holds every event type journey.md promises, named and committed as specified."""

from __future__ import annotations

import json
import re

from wja_schemas import EVENT_TYPES
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
NAME = re.compile(r"^wja\.(intake|charging|court|support)\.[a-z_]+\.[a-z_]+\.v[0-9]+$")


def test_every_journey_event_type_exists():
    assert set(EVENT_TYPES) >= JOURNEY_TYPES


def test_names_follow_the_convention_and_match_their_producer():
    for ce_type, model in EVENT_TYPES.items():
        assert NAME.match(ce_type), ce_type
        assert ce_type.split(".")[1] == model.producer


def test_each_type_has_a_committed_schema_with_its_id_and_nothing_else_is_there():
    committed = {p.stem for p in ROOT.rglob("wja.*.json")}
    assert committed == set(EVENT_TYPES)
    assert not [p for p in ROOT.rglob("wja.*") if p.suffix != ".json" and "src" not in p.parts]
    for ce_type in EVENT_TYPES:
        schema = json.loads(snapshot_path(ce_type).read_text())
        assert schema["$id"] == ce_type
        assert schema.get("additionalProperties", True) is True


def test_every_event_is_documented_with_its_consumers():
    for ce_type, model in EVENT_TYPES.items():
        doc = model.__doc__ or ""
        assert "Emitted" in doc and "onsumer" in doc, ce_type
