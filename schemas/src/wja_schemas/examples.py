"""Valid example payloads of every event type, for tests (this package's and the services') and docs.

:func:`example` gives the typical payload of a type (fields may be overridden);
:func:`full_example` also sets every optional field, nested ones included, so tests can check
that a fully populated payload still fits the committed schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from wja_schemas.base import EVENT_TYPES, Event

AT = datetime(2026, 9, 14, 10, 30, tzinfo=UTC)
URN = "01YE0098726"

_FIELDS: dict[str, dict[str, Any]] = {
    "wja.intake.crime.reported.v1": {
        "force_code": "01",
        "unit": "YE",
        "victim_ref": "V01-0123456789abcdef",
        "reported_at": AT,
        "offence_codes": ["abh"],
        "risk_level": "high",
        "suspect": {"name": "Marcus Test", "pnc_id": "26/123456A"},
        "relationship": "partner",
        "referral_basis": "consent",
    },
    "wja.intake.risk.assessed.v1": {
        "tool": "DASH",
        "tool_version": "2009",
        "score": 15,
        "risk_level": "high",
        "marac_referral": True,
        "assessed_at": AT,
    },
    "wja.intake.suspect.arrested.v1": {"arrested_at": AT},
    "wja.intake.suspect.interviewed.v1": {"interviewed_at": AT},
    "wja.intake.bail.decided.v1": {
        "kind": "pre_charge_bail",
        "conditions": ["no_contact_victim", "exclusion_zone"],
        "until": date(2026, 12, 14),
        "decided_at": AT,
    },
    "wja.intake.protective_notice.issued.v1": {
        "kind": "DVPN",
        "conditions": ["no_contact_victim"],
        "issued_at": AT,
        "order_hearing_by": datetime(2026, 9, 16, 10, 30, tzinfo=UTC),
    },
    "wja.intake.protective_order.decided.v1": {
        "kind": "DVPO",
        "granted": True,
        "conditions": ["residence"],
        "until": date(2026, 10, 12),
        "decided_at": AT,
    },
    "wja.intake.charging.requested.v1": {
        "force_code": "01",
        "suspect": {"name": "Marcus Test"},
        "offence_codes": ["abh"],
        "evidence": ["bwv", "999_call"],
        "requested_test": "full_code",
        "anticipated_plea": "not_guilty",
        "risk_level": "high",
        "requested_at": AT,
    },
    "wja.intake.further_material.submitted.v1": {"evidence": ["medical"], "submitted_at": AT},
    "wja.intake.victim.referred.v1": {
        "victim_ref": "V01-0123456789abcdef",
        "force_code": "01",
        "referral_basis": "consent",
        "risk_level": "high",
        "referred_at": AT,
    },
    "wja.intake.victim_support.changed.v1": {"status": "withdrawn", "changed_at": AT},
    "wja.intake.consent.withdrawn.v1": {"victim_ref": "V01-0123456789abcdef", "withdrawn_at": AT},
    "wja.intake.case.closed.v1": {"outcome_code": "16", "closed_at": AT},
    "wja.charging.decision.made.v1": {
        "decision": "charge",
        "test": "full_code",
        "charges": [{"offence_code": "abh", "statute": "OAPA 1861 s47", "mode_of_trial": "either_way"}],
        "force_code": "01",
        "risk_level": "high",
        "anticipated_plea": "not_guilty",
        "days_to_decision": 3,
        "decided_at": AT,
    },
    "wja.charging.file.finalised.v1": {"finalised_at": AT},
    "wja.charging.review.requested.v1": {"review_id": "r-1", "decision_type": "no_further_action", "requested_at": AT},
    "wja.charging.review.decided.v1": {"review_id": "r-1", "outcome": "overturned", "decided_at": AT},
    "wja.charging.proceedings.discontinued.v1": {"reason": "victim_retraction", "discontinued_at": AT},
    "wja.court.hearing.listed.v1": {
        "hearing_id": "h-1",
        "type": "first_hearing",
        "session_id": "s-1",
        "court_code": "C01",
        "starts_at": AT,
        "listed_at": AT,
    },
    "wja.court.hearing.unlisted.v1": {
        "hearing_id": "h-1",
        "type": "trial",
        "court_code": "C01",
        "target_date": date(2026, 10, 12),
    },
    "wja.court.hearing.vacated.v1": {"hearing_id": "h-1", "reason": "discontinued", "vacated_at": AT},
    "wja.court.hearing.resulted.v1": {
        "hearing_id": "h-1",
        "type": "first_hearing",
        "result": "not_guilty_plea",
        "resulted_at": AT,
    },
    "wja.court.bail.decided.v1": {
        "hearing_id": "h-1",
        "kind": "conditional_bail",
        "conditions": ["no_contact_victim"],
        "decided_at": AT,
    },
    "wja.court.special_measures.decided.v1": {
        "request_id": "sm-1",
        "measures": ["screens"],
        "granted": True,
        "decided_at": AT,
    },
    "wja.court.verdict.recorded.v1": {"verdict": "convicted", "recorded_at": AT},
    "wja.court.sentence.imposed.v1": {
        "disposal": "custody",
        "custody_months": 14,
        "vcs_eligible": True,
        "imposed_at": AT,
    },
    "wja.court.restraining_order.made.v1": {
        "basis": "conviction",
        "until": None,
        "conditions": ["no_contact_victim"],
        "made_at": AT,
    },
    "wja.support.idva.assigned.v1": {
        "idva_id": "idva-1",
        "team": "default",
        "force_code": "01",
        "idva_forces": ["01"],
        "assigned_at": AT,
    },
    "wja.support.victim.informed.v1": {
        "about": ["3f2b5c1e-0000-4000-8000-000000000001"],
        "channel": "phone",
        "told_at": AT,
        "on_time": 1,
    },
    "wja.support.special_measures.requested.v1": {
        "request_id": "sm-1",
        "measures": ["screens", "live_link"],
        "requested_at": AT,
    },
    "wja.support.familiarisation.requested.v1": {"request_id": "fv-1", "requested_at": AT},
    "wja.support.wishes.recorded.v1": {
        "restraining_order_sought": True,
        "conditions_sought": ["no_contact_victim"],
        "recorded_at": AT,
    },
    "wja.support.personal_statement.recorded.v1": {"will_read_in_court": False, "recorded_at": AT},
    "wja.support.support.closed.v1": {"reason": "post_trial", "vcs_offered": True, "closed_at": AT},
}


_OPTIONAL: dict[str, dict[str, Any]] = {
    "wja.intake.crime.reported.v1": {
        "offences_occurred_at": [datetime(2026, 9, 13, 22, 15, tzinfo=UTC)],
        "da_flag": True,
        "suspect": {"name": "Marcus Test", "date_of_birth": date(1990, 2, 3), "pnc_id": "26/123456A"},
    },
    "wja.intake.bail.decided.v1": {"authorised_period_exceeded": False},
    "wja.intake.charging.requested.v1": {
        "remanded": False,
        "victim_support": "supports",
        "suspect": {"name": "Marcus Test", "date_of_birth": date(1990, 2, 3), "pnc_id": "26/123456A"},
        "offences_occurred_at": [AT],
        "first_statement_at": AT,
    },
    "wja.intake.further_material.submitted.v1": {"first_statement_at": AT},
    "wja.intake.case.closed.v1": {"reason_code": "victim_withdrew_support"},
    "wja.charging.decision.made.v1": {
        "decision": "no_further_action",
        "charges": [],
        "basis": "evidential",
        "due_date": date(2026, 10, 12),
        "review_by": date(2026, 10, 12),
        "suggested_outcome_code": "15",
        "remanded": False,
    },
    "wja.charging.file.finalised.v1": {"reason": "further_material_not_returned"},
    "wja.charging.review.requested.v1": {"late": True, "exceptional": True},
    "wja.court.hearing.unlisted.v1": {"reason": "no_capacity"},
    "wja.court.hearing.resulted.v1": {"result": "cracked", "reason_code": "late_guilty_plea"},
    "wja.court.special_measures.decided.v1": {"granted": False, "refusal_reason_code": "not_necessary"},
    "wja.court.sentence.imposed.v1": {
        "disposal": "suspended_sentence",
        "custody_months": None,
        "custody_days": 120,
        "vcs_eligible": False,
    },
    "wja.support.victim.informed.v1": {"told_by": "wcu", "late": 0},
    "wja.support.familiarisation.requested.v1": {"hearing_id": "h-2"},
    "wja.support.wishes.recorded.v1": {"wishes_to_pursue": True},
}


def example(ce_type: str, urn: str = URN, **overrides: Any) -> Event:
    """Return a valid payload of ``ce_type``.

    Args:
        ce_type: a registered event type.
        urn: the case URN.
        **overrides: fields to set instead of the example's.
    """
    return EVENT_TYPES[ce_type].model_validate({"urn": urn, **_FIELDS[ce_type], **overrides})


def full_example(ce_type: str, urn: str = URN) -> Event:
    """Return a valid payload of ``ce_type`` with every optional field set too."""
    return example(ce_type, urn, **_OPTIONAL.get(ce_type, {}))


def all_examples(urn: str = URN) -> list[Event]:
    """Return one example of every registered event type."""
    return [example(t, urn) for t in sorted(EVENT_TYPES)]
