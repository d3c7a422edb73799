"""Choosing the IDVA for a referral: the fewest open cases among those serving the force."""

from __future__ import annotations

from wja_support.domain.model import Idva, choose_idva

ROSTER = [
    Idva("idva-a", "north", ("01",)),
    Idva("idva-b", "north", ("01",)),
    Idva("idva-c", "south", ("02",)),
]


def test_the_least_loaded_idva_serving_the_force_is_chosen_ties_by_id():
    assert choose_idva(ROSTER, {}, "01").sub == "idva-a"
    assert choose_idva(ROSTER, {"idva-a": 1}, "01").sub == "idva-b"
    assert choose_idva(ROSTER, {"idva-a": 3, "idva-b": 2, "idva-c": 0}, "01").sub == "idva-b"


def test_a_force_nobody_serves_goes_to_nobody_never_to_an_idva_of_another_force():
    assert choose_idva(ROSTER, {"idva-a": 2, "idva-b": 2, "idva-c": 1}, "09") is None
    assert choose_idva(ROSTER, {"idva-a": 9, "idva-b": 9}, "02").sub == "idva-c"  # however loaded the others
    assert choose_idva([], {}, "01") is None


def test_referrals_in_turn_balance_the_caseload():
    loads: dict[str, int] = {}
    for _ in range(10):
        sub = choose_idva(ROSTER, loads, "01").sub
        loads[sub] = loads.get(sub, 0) + 1
    assert loads == {"idva-a": 5, "idva-b": 5}
