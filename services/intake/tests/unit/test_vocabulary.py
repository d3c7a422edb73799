"""The domain's status rules speak the contract's vocabulary (wja_schemas), which the domain may not import."""

from __future__ import annotations

from typing import get_args

from wja_intake.domain import model
from wja_schemas.types import CaseStatus, DecisionKind


def test_the_status_rules_name_only_statuses_of_the_contract_and_cover_them_all():
    statuses = set(get_args(CaseStatus))
    assert model.OPEN | {model.CLOSED} == statuses
    for rule in (model.SUSPECT_ACTIONS, model.PRE_CHARGE, model.MAY_REQUEST_CHARGING, model.AWAITING_MATERIAL):
        assert rule <= model.OPEN
    assert set(model.AFTER_DECISION) == set(get_args(DecisionKind))
    assert set(model.AFTER_DECISION.values()) <= statuses
    assert model.investigating("reported") in statuses


def test_the_rules_keep_the_old_positions_of_the_status_list():
    order = list(get_args(CaseStatus))
    assert set(order[:-2]) == model.SUSPECT_ACTIONS  # every open status but awaiting closure
    assert set(order[:-3]) == model.PRE_CHARGE  # and not yet charged
