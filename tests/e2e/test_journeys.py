"""The four journeys of the whole system, driven only through the public HTTP APIs.

Each service runs as its own process on the real broker and PostgreSQL. Each journey ends
with the IDVA's timeline complete and the Victims' Code obligations right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from .helpers import CREATED_URNS, iso, ok, report_body, until

pytestmark = pytest.mark.e2e


class Journey:
    """One case driven by each agency's staff."""

    def __init__(self, system) -> None:
        self.police = system.client("intake", "police", "officer", "pc-1", force="01")
        self.cps = system.client("charging", "cps", "prosecutor", "cps-1")
        self.court = system.client("court", "court", "listing_officer", "lo-1")
        self.manager = system.client("support", "idva", "manager", "idva-manager", team="default")
        self.urn = ""

    def report(self, **kw) -> str:
        self.urn = ok(self.police.post("/v1/reports", json=report_body(**kw)), 201)["urn"]
        CREATED_URNS.add(self.urn)
        return self.urn

    def cps_status(self, *wanted: str) -> bool:
        r = self.cps.get(f"/v1/cases/{self.urn}")
        return r.status_code == 200 and r.json().get("status") in wanted

    def police_status(self) -> str | None:
        r = self.police.get(f"/v1/cases/{self.urn}")
        return r.json().get("status") if r.status_code == 200 else None

    def request_charge(self, plea: str = "not_guilty") -> None:
        ok(
            self.police.post(
                f"/v1/cases/{self.urn}/charging-requests",
                json={
                    "evidence": ["bwv", "999_call", "photographs"],
                    "requested_test": "full_code",
                    "anticipated_plea": plea,
                },
            )
        )
        until(lambda: self.cps_status("awaiting_decision"), "the charging file at the CPS")

    def decide(self, decision: str, **extra) -> None:
        body = {"decision": decision, "test": "full_code", "charges": [], "reason": "as reviewed", **extra}
        ok(self.cps.post(f"/v1/cases/{self.urn}/decisions", json=body))

    def charge(self, offence: str = "abh") -> None:
        self.decide("charge", charges=[{"offence_code": offence}])

    def hearing(self, kind: str, status: str = "listed") -> dict:
        def find():
            r = self.court.get(f"/v1/cases/{self.urn}/hearings")
            if r.status_code != 200:
                return None
            return next((h for h in r.json() if h["type"] == kind and h["status"] == status), None)

        return until(find, f"{kind} {status}")

    def result(self, hearing: dict, result: str) -> None:
        ok(self.court.post(f"/v1/hearings/{hearing['hearing_id']}/result", json={"result": result}))

    def timeline(self, *event_types: str) -> dict:
        def complete():
            r = self.manager.get(f"/v1/cases/{self.urn}/timeline")
            if r.status_code != 200:
                return None
            body = r.json()
            have = {e["event_type"] for e in body["entries"]}
            return body if set(event_types) <= have else None

        return until(complete, f"timeline with {event_types}", timeout=45)


def assert_obligations(timeline: dict, **duty: str) -> None:
    """Each named event type has an obligation with that duty holder and a deadline after it."""
    by_type = {}
    for e in timeline["entries"]:
        by_type.setdefault(e["event_type"], e)
    for event_type, holder in duty.items():
        entry = by_type[event_type.replace("__", ".")] if "__" in event_type else by_type[event_type]
        assert entry.get("duty_holder") == holder, entry
        at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
        due = datetime.fromisoformat(entry["tell_victim_by"].replace("Z", "+00:00"))
        assert due > at
        assert (due - at) < timedelta(days=14)


def test_report_to_conviction_with_restraining_order(system):
    j = Journey(system)
    urn = j.report()
    ok(j.police.post(f"/v1/cases/{urn}/arrests", json={"arrested_at": iso(datetime.now(UTC))}))
    until_date = (date.today() + timedelta(days=60)).isoformat()
    ok(
        j.police.post(
            f"/v1/cases/{urn}/bail",
            json={"kind": "pre_charge_bail", "conditions": ["no_contact_victim"], "until": until_date},
        )
    )
    j.request_charge()
    j.charge()
    until(lambda: j.police_status() == "charged", "police case charged")
    first = j.hearing("first_hearing")
    j.result(first, "not_guilty_plea")
    trial = j.hearing("trial")
    assert trial["starts_at"] > first["starts_at"]
    j.result(trial, "effective")
    ok(j.court.post(f"/v1/cases/{urn}/verdict", json={"verdict": "convicted"}))
    ok(j.court.post(f"/v1/cases/{urn}/sentence", json={"disposal": "custody", "custody_months": 14}))
    ok(
        j.court.post(
            f"/v1/cases/{urn}/restraining-orders",
            json={"basis": "conviction", "until": None, "conditions": ["no_contact_victim", "exclusion_zone"]},
        )
    )
    timeline = j.timeline(
        "wja.intake.crime.reported.v1",
        "wja.intake.suspect.arrested.v1",
        "wja.intake.bail.decided.v1",
        "wja.intake.charging.requested.v1",
        "wja.charging.decision.made.v1",
        "wja.court.hearing.listed.v1",
        "wja.court.hearing.resulted.v1",
        "wja.court.verdict.recorded.v1",
        "wja.court.sentence.imposed.v1",
        "wja.court.restraining_order.made.v1",
        "wja.support.idva.assigned.v1",
    )
    assert timeline["stage"] in ("sentencing", "post_trial")
    times = [e["at"] for e in timeline["entries"]]
    assert times == sorted(times)
    assert_obligations(
        timeline,
        **{
            "wja.intake.suspect.arrested.v1": "police",
            "wja.intake.bail.decided.v1": "police",
            "wja.charging.decision.made.v1": "cps",
            "wja.court.hearing.listed.v1": "wcu",
            "wja.court.verdict.recorded.v1": "wcu",
            "wja.court.sentence.imposed.v1": "wcu",
        },
    )


def test_nfa_then_review_overturned_then_charge(system):
    j = Journey(system)
    urn = j.report(offence="coercive_control")
    j.request_charge(plea="unknown")
    j.decide("no_further_action", basis="evidential")
    until(lambda: j.police_status() == "awaiting_closure", "NFA reaching the police")
    review = ok(j.cps.post(f"/v1/cases/{urn}/reviews", json={"requested_at": iso(datetime.now(UTC))}), 201, 200)
    ok(
        j.cps.post(
            f"/v1/reviews/{review['review_id']}/decision", json={"outcome": "overturned", "reason": "fresh look"}
        )
    )
    until(lambda: j.cps_status("awaiting_decision"), "file reopened for a new decision")
    j.charge("coercive_control")
    j.hearing("first_hearing")
    timeline = j.timeline(
        "wja.charging.review.requested.v1", "wja.charging.review.decided.v1", "wja.court.hearing.listed.v1"
    )
    decisions = [e for e in timeline["entries"] if e["event_type"] == "wja.charging.decision.made.v1"]
    assert len(decisions) == 2
    assert all(e.get("duty_holder") == "cps" and e.get("tell_victim_by") for e in decisions)


def test_further_material_then_charge_then_discontinued_for_retraction(system):
    j = Journey(system)
    urn = j.report(offence="stalking")
    j.request_charge(plea="not_guilty")
    due = (date.today() + timedelta(days=10)).isoformat()
    j.decide("further_material_required", due_date=due)
    until(lambda: j.police_status() == "further_material_required", "action plan at the police")
    ok(j.police.post(f"/v1/cases/{urn}/further-material", json={"evidence": ["999_call"], "note": "audio attached"}))
    until(lambda: j.cps_status("awaiting_decision"), "file back with the CPS")
    j.charge("stalking")
    first = j.hearing("first_hearing")
    ok(j.cps.post(f"/v1/cases/{urn}/discontinuance", json={"reason": "victim_retraction"}))
    j.hearing("first_hearing", status="vacated")
    timeline = j.timeline("wja.charging.proceedings.discontinued.v1", "wja.court.hearing.vacated.v1")
    entry = next(e for e in timeline["entries"] if e["event_type"] == "wja.charging.proceedings.discontinued.v1")
    assert entry["duty_holder"] == "cps" and entry["tell_victim_by"]
    assert first["hearing_id"]


def test_acquittal_with_restraining_order_on_acquittal(system):
    j = Journey(system)
    urn = j.report(offence="harassment")
    j.request_charge()
    j.charge("harassment")
    j.result(j.hearing("first_hearing"), "not_guilty_plea")
    j.result(j.hearing("trial"), "effective")
    ok(j.court.post(f"/v1/cases/{urn}/verdict", json={"verdict": "acquitted"}))
    refused = j.court.post(f"/v1/cases/{urn}/sentence", json={"disposal": "fine"})
    assert refused.status_code == 409
    ok(
        j.court.post(
            f"/v1/cases/{urn}/restraining-orders",
            json={
                "basis": "acquittal",
                "until": (date.today() + timedelta(days=365)).isoformat(),
                "conditions": ["no_contact_victim"],
            },
        )
    )
    timeline = j.timeline("wja.court.verdict.recorded.v1", "wja.court.restraining_order.made.v1")
    assert timeline["urn"] == urn


def test_discontinued_then_review_overturned_then_charged_again_is_listed_again(system):
    """Issue 17 item 6 through the real event flow: charging's events consumed by court and support."""
    j = Journey(system)
    urn = j.report(offence="abh")
    j.request_charge(plea="not_guilty")
    j.charge("abh")
    first = j.hearing("first_hearing")
    ok(j.cps.post(f"/v1/cases/{urn}/discontinuance", json={"reason": "victim_retraction"}))
    j.hearing("first_hearing", status="vacated")
    review = ok(j.cps.post(f"/v1/cases/{urn}/reviews", json={"requested_at": iso(datetime.now(UTC))}), 201, 200)
    ok(j.cps.post(f"/v1/reviews/{review['review_id']}/decision", json={"outcome": "overturned", "reason": "review"}))
    until(lambda: j.cps_status("awaiting_decision"), "file reopened for a new decision")
    j.charge("strangulation")
    again = j.hearing("first_hearing")
    assert again["hearing_id"] != first["hearing_id"]

    def relisted():
        body = j.timeline("wja.court.hearing.vacated.v1", "wja.charging.review.decided.v1")
        types = [e["event_type"] for e in body["entries"]]
        twice = types.count("wja.charging.decision.made.v1") == 2 and types.count("wja.court.hearing.listed.v1") == 2
        return body if twice else None

    timeline = until(relisted, "the second charge and listing on the timeline", timeout=45)
    assert timeline["stage"] == "pre_trial"
    # the new charge (strangulation, 5 years) governs the sentence
    j.result(again, "guilty_plea")
    refused = j.court.post(f"/v1/cases/{urn}/sentence", json={"disposal": "custody", "custody_months": 61})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "custody_months"
    sentenced = ok(j.court.post(f"/v1/cases/{urn}/sentence", json={"disposal": "custody", "custody_months": 12}))
    assert sentenced["sentence"]["vcs_eligible"] is True
