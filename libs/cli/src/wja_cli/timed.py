"""Journeys in simulated time: each step is sent at the moment it happens in the case's life.

Every request carries its own signed simulated time (``WJA-Sim-Time``), so cases run side by side,
each at its own date, and a year of journeys takes minutes. The services stamp what they record with
it; the court lists hearings from the charge's date and refuses an outcome before its hearing sits, so
the simulator waits for each listing and acts when the hearing sits. IDVAs tell the victim of each
Victims' Code obligation: most on time, some late, some never (:class:`wja_cli.pace.Pace`).

Each plan keeps the simulated time of its steps (``CasePlan.at``, ``CasePlan.told``), from which
:mod:`wja_cli.expected` counts what insights must publish.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wja_platform import simtime

from wja_cli import pace as pc
from wja_cli.journeys import EVIDENCE, CasePlan
from wja_cli.simulate import Agencies, Client, _ok, iso, wait_for

SIM_TEAM = "sim"
"""The IDVA team the simulator adds for its forces (so a manager of it finds each case's IDVA)."""


class Timed:
    """One case's simulated time: requests are sent at it, and it only moves forward."""

    def __init__(self, key: bytes, at: datetime) -> None:
        self.key, self.now = key, at

    def to(self, at: datetime) -> datetime:
        self.now = max(self.now + timedelta(minutes=1), at)
        return self.now

    def h(self) -> dict[str, str]:
        return {simtime.HEADER: simtime.sign(self.key, self.now)}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def run_timed_case(p: CasePlan, a: Agencies, key: bytes, pace: pc.Pace, seed: int) -> str:
    """Drive one case from report to its planned end in simulated time; returns the outcome label."""
    rng = pc.rng_for(seed, p.index)
    police = a.client("intake", "police", "officer", "pc-sim", force=p.force)
    cps = a.client("charging", "cps", "prosecutor", "cps-sim")
    t = Timed(key, p.reported_at)
    v = p.victim
    report = {
        "force_code": p.force,
        "reported_at": iso(p.reported_at),
        "offences": [{"code": p.offence, "occurred_at": iso(p.reported_at - timedelta(hours=2))}],
        "victim": {**v.__dict__, "language": "en", "needs": []},
        "suspect": {"name": f"Suspect {p.index}", "date_of_birth": "1985-05-05", "relationship": "partner"},
        "risk": {"tool": "DASH", "score": p.dash_score},
        "referral_basis": p.referral_basis,
    }
    t.to(p.reported_at + timedelta(minutes=10))
    urn = p.urn = (await _ok(police.post("/v1/reports", json=report, headers=t.h()), "report", 201))["urn"]
    p.at["reported"] = p.reported_at
    arrested = None
    if p.arrested:
        arrested = p.reported_at + pc.hours(rng, pace.arrest_hours)
        t.to(arrested + timedelta(minutes=5))
        await _ok(police.post(f"/v1/cases/{urn}/arrests", json={"arrested_at": iso(arrested)}, headers=t.h()), "arrest")
        p.at["arrested"] = arrested
        t.to(arrested + timedelta(hours=pace.bail_hours))
        bail = {
            "kind": "pre_charge_bail",
            "conditions": ["no_contact_victim"],
            "until": _day(t.now + timedelta(days=80)),
        }
        await _ok(police.post(f"/v1/cases/{urn}/bail", json=bail, headers=t.h()), "bail")
    if p.referred:
        await _charging(
            p, rng, pace, t, police, cps, custody=arrested is not None and rng.random() < pace.custody_share
        )
        if p.charged:
            await _court(p, rng, pace, t, a.client("court", "court", "listing_officer", "lo-sim"), cps)
        else:
            t.to(t.now + pc.days(rng, pace.closure_days))
            await _close(police, urn, p.closure_code or "15", t)
            p.at["closed"] = (p.closure_code or "15", t.now)
    if p.referral_basis != "none":
        await _tell(p, rng, pace, t, a)
    if not p.referred:
        return "not referred"
    return (p.outcome or "charged") if p.charged else (p.decision or "not charged")


def _day(at: datetime) -> str:
    return at.astimezone(pc.LONDON).date().isoformat()


async def _status(client: Client, path: str, *wanted: str) -> Any:
    r = await client.get(path)
    return r.status_code == 200 and r.json().get("status") in wanted


async def _charging(
    p: CasePlan, rng: random.Random, pace: pc.Pace, t: Timed, police: Client, cps: Client, *, custody: bool
) -> None:
    urn = p.urn
    arrested = p.at.get("arrested")
    if custody and arrested:
        t.to(arrested + pc.hours(rng, pace.custody_request_hours))
    else:
        t.to(p.reported_at + pc.days(rng, pace.investigation_days))
    plea = {"guilty": "guilty", "not_guilty": "not_guilty"}.get(p.plea or "", "unknown")
    body = {"evidence": list(EVIDENCE[:3]), "requested_test": "full_code", "anticipated_plea": plea}
    await _ok(police.post(f"/v1/cases/{urn}/charging-requests", json=body, headers=t.h()), "charging request")
    p.at["requested"] = t.now
    await wait_for(lambda: _status(cps, f"/v1/cases/{urn}", "awaiting_decision"), "charging file opened")
    if p.further_material_first:
        t.to(t.now + pc.days(rng, pace.decision_days))
        plan = {
            "decision": "further_material_required",
            "test": "full_code",
            "charges": [],
            "due_date": _day(t.now + timedelta(days=14)),
            "reason": "needs the 999 call",
        }
        await _ok(cps.post(f"/v1/cases/{urn}/decisions", json=plan, headers=t.h()), "further material decision")
        await wait_for(lambda: _status(police, f"/v1/cases/{urn}", "further_material_required"), "action plan")
        t.to(t.now + pc.days(rng, pace.further_material_days))
        material = {"evidence": ["999_call"], "note": "attached"}
        await _ok(police.post(f"/v1/cases/{urn}/further-material", json=material, headers=t.h()), "further material")
        await wait_for(lambda: _status(cps, f"/v1/cases/{urn}", "awaiting_decision"), "file back with cps")
    quick = custody and not p.further_material_first
    t.to(t.now + (pc.hours(rng, pace.custody_decision_hours) if quick else pc.days(rng, pace.decision_days)))
    await _decide(cps, p, p.decision or "charge", t)
    if p.decision == "no_further_action" and p.vrr:
        t.to(t.now + pc.days(rng, pace.vrr_request_days))
        asked = {"requested_at": iso(t.now)}
        review = await _ok(cps.post(f"/v1/cases/{urn}/reviews", json=asked, headers=t.h()), "vrr request", 201, 200)
        t.to(t.now + pc.days(rng, pace.vrr_decision_days))
        outcome = {"outcome": "overturned" if p.vrr_overturned else "upheld", "reason": "review"}
        await _ok(cps.post(f"/v1/reviews/{review['review_id']}/decision", json=outcome, headers=t.h()), "vrr decision")
        if p.vrr_overturned:
            await wait_for(lambda: _status(cps, f"/v1/cases/{urn}", "awaiting_decision"), "file reopened")
            t.to(t.now + pc.days(rng, pace.decision_days))
            await _decide(cps, p, "charge", t)


async def _decide(cps: Client, p: CasePlan, decision: str, t: Timed) -> None:
    body: dict[str, Any] = {"decision": decision, "test": "full_code", "charges": [], "reason": "simulated decision"}
    if decision == "charge":
        body["charges"] = [{"offence_code": p.offence}]
    if decision == "no_further_action":
        body["basis"] = p.nfa_basis or "evidential"
    await _ok(cps.post(f"/v1/cases/{p.urn}/decisions", json=body, headers=t.h()), f"decision {decision}")
    p.at["decided"] = (decision, t.now)


async def _close(police: Client, urn: str | None, code: str, t: Timed) -> None:
    await wait_for(lambda: _status(police, f"/v1/cases/{urn}", "awaiting_closure"), "ready for closure")
    body = {"outcome_code": code, "reason": "simulated"}
    await _ok(police.post(f"/v1/cases/{urn}/closure", json=body, headers=t.h()), "closure")


async def _listed(court: Client, urn: str | None, kind: str, not_id: str | None = None) -> dict[str, Any]:
    async def listed() -> Any:
        r = await court.get(f"/v1/cases/{urn}/hearings")
        if r.status_code != 200:
            return None
        return next(
            (h for h in r.json() if h["type"] == kind and h["status"] == "listed" and h["hearing_id"] != not_id), None
        )

    return await wait_for(listed, f"{kind} listed")  # type: ignore[no-any-return]


async def _result(court: Client, hearing: dict[str, Any], t: Timed, result: str, after: timedelta) -> None:
    t.to(parse(hearing["starts_at"]) + after)
    path = f"/v1/hearings/{hearing['hearing_id']}/result"
    await _ok(court.post(path, json={"result": result}, headers=t.h()), result)


async def _court(p: CasePlan, rng: random.Random, pace: pc.Pace, t: Timed, court: Client, cps: Client) -> None:
    urn = p.urn
    first = await _listed(court, urn, "first_hearing")
    await _result(court, first, t, "guilty_plea" if p.plea == "guilty" else "not_guilty_plea", timedelta(hours=1))
    if p.plea == "guilty":
        p.at["guilty_plea"] = t.now
    if p.outcome == "discontinued":
        t.to(t.now + pc.days(rng, pace.discontinuance_days))
        body = {"reason": p.discontinuance_reason}
        await _ok(cps.post(f"/v1/cases/{urn}/discontinuance", json=body, headers=t.h()), "discontinuance")
        p.at["discontinued"] = (p.discontinuance_reason, t.now)
        return
    if p.plea == "not_guilty":
        trial = await _listed(court, urn, "trial")
        await _result(court, trial, t, "effective", timedelta(hours=1))
        verdict = "convicted" if p.outcome == "convicted" else "acquitted"
        t.to(t.now + timedelta(hours=2))
        await _ok(court.post(f"/v1/cases/{urn}/verdict", json={"verdict": verdict}, headers=t.h()), "verdict")
        p.at["verdict"] = (verdict, t.now)
    if p.outcome == "convicted":
        if p.plea == "guilty":  # sentenced at the sentencing hearing the plea listed
            t.to(parse((await _listed(court, urn, "sentencing"))["starts_at"]) + timedelta(hours=1))
        else:
            t.to(t.now + timedelta(hours=1))
        body: dict[str, Any] = {"disposal": p.disposal}
        if p.custody_months:
            body["custody_months"] = p.custody_months
        await _ok(court.post(f"/v1/cases/{urn}/sentence", json=body, headers=t.h()), "sentence")
        p.at["sentenced"] = t.now
    if p.restraining_order:
        basis = "conviction" if p.outcome == "convicted" else "acquittal"
        order = {"basis": basis, "until": None, "conditions": ["no_contact_victim", "exclusion_zone"]}
        t.to(t.now + timedelta(minutes=10))
        await _ok(court.post(f"/v1/cases/{urn}/restraining-orders", json=order, headers=t.h()), "restraining order")
        p.at.setdefault("orders", []).append(t.now)


async def _tell(p: CasePlan, rng: random.Random, pace: pc.Pace, t: Timed, a: Agencies) -> None:
    """The assigned IDVA goes through the timeline and records when the victim was told of each obligation."""
    urn = p.urn

    async def assigned() -> Any:
        for team in (SIM_TEAM, "default"):
            manager = a.client("support", "idva", "manager", f"mgr-{team}", team=team)
            r = await manager.get(f"/v1/cases/{urn}")
            if r.status_code == 200 and r.json().get("idva"):
                return r.json()["idva"]
        return None

    idva = a.client("support", "idva", "idva", await wait_for(assigned, "IDVA assigned"))
    last = _last_event(p)

    async def timeline() -> Any:
        r = await idva.get(f"/v1/cases/{urn}/timeline", headers=t.h())
        entries = r.json()["entries"] if r.status_code == 200 else []
        return entries if any(e["event_type"] == last for e in entries) else None

    for e in sorted(await wait_for(timeline, "timeline complete"), key=lambda e: (e["at"], e["id"])):
        if not e.get("tell_victim_by") or e.get("told_at"):
            continue
        at, by, draw = parse(e["at"]), parse(e["tell_victim_by"]), rng.random()
        if draw < pace.told_on_time:
            when, on_time = at + (by - at) * rng.uniform(0.05, 0.95), 1
        elif draw < pace.told_on_time + pace.told_late:
            when, on_time = by + pc.hours(rng, pace.late_hours), 0
        else:
            continue  # never told: overdue from its deadline on
        when = when.replace(microsecond=0)
        teller = e.get("duty_holder") if rng.random() < 0.5 else "idva"
        body = {"about": [e["id"]], "channel": "phone", "at": iso(when), "told_by": teller}
        told = Timed(t.key, when)
        await _ok(idva.post(f"/v1/cases/{urn}/contacts", json=body, headers=told.h()), "victim told")
        p.told.append((when, on_time, 1 - on_time))


def _last_event(p: CasePlan) -> str:
    """The event type of the case's last step (the timeline is complete once it shows)."""
    if not p.referred:
        return "wja.intake.bail.decided.v1" if p.arrested else "wja.support.idva.assigned.v1"
    if not p.charged:
        return "wja.intake.case.closed.v1"
    if p.restraining_order:
        return "wja.court.restraining_order.made.v1"
    return {
        "discontinued": "wja.charging.proceedings.discontinued.v1",
        "convicted": "wja.court.sentence.imposed.v1",
        "acquitted": "wja.court.verdict.recorded.v1",
    }[p.outcome or "convicted"]


async def prepare(
    a: Agencies, key: bytes, start: datetime, days: int, forces: tuple[str, ...], court: str = "C01"
) -> None:
    """The simulated period's set-up: IDVAs serving the forces, court sessions every weekday (09:30 London)."""
    manager = a.client("support", "idva", "manager", f"mgr-{SIM_TEAM}", team=SIM_TEAM)
    for sub in ("idva-sim-1", "idva-sim-2"):
        roster = {"sub": sub, "team": SIM_TEAM, "forces": sorted(set(forces))}
        await _ok(manager.post("/v1/idvas", json=roster), "IDVA on the roster", 201)
    listing = a.client("court", "court", "listing_officer", "lo-sim")
    first = start.astimezone(pc.LONDON).date()
    for d in range(days):
        day = first + timedelta(days=d)
        if day.weekday() < 5:
            sits = datetime.combine(day, datetime.min.time(), pc.LONDON).replace(hour=9, minute=30)
            body = {"court_code": court, "starts_at": iso(sits), "capacity": 500}
            await _ok(listing.post("/v1/sessions", json=body, headers=Timed(key, start).h()), "create session", 201)


@dataclass(frozen=True)
class TimedRun:
    """What ``simulate.simulate`` needs to run plans in simulated time."""

    key: bytes
    """The simulation key (``wja_platform.simtime.secret_for`` the stack's signing key)."""
    start: datetime
    session_days: int
    forces: tuple[str, ...]
    seed: int = 1
    pace: pc.Pace = field(default_factory=pc.Pace)

    async def prepare(self, a: Agencies) -> None:
        await prepare(a, self.key, self.start, self.session_days, self.forces)

    async def run(self, p: CasePlan, a: Agencies) -> str:
        return await run_timed_case(p, a, self.key, self.pace, self.seed)
