"""Nothing kept that should not be: after the pages' sign-in and full journeys, no bearer token and no
victim value is in any span file, any log file or any topic; and every case action's span names its case.

The system runs each service as its own process (``python -m wja_<svc>``), so the files read here
are the ones a deployment keeps: ``<state>/traces/*.jsonl`` and ``<state>/logs/*.log``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer

from ..e2e.helpers import PII_VALUES, iso, ok, until
from ..e2e.test_bus import read_all
from ..e2e.test_journeys import Journey

pytestmark = pytest.mark.e2e
CSRF = re.compile(r"""name=["']?csrf_token["']? value=["']([^"']+)["']""")


def jwt_of(client: httpx.Client) -> str:
    return client.headers["Authorization"].split()[1]


def sign_in_to_page(system, service: str, jwt: str, page: str) -> httpx.Client:
    """A browser-like client signed in to ``service``'s page through its POST form."""
    browser = httpx.Client(base_url=system.url(service), timeout=30)
    refused = browser.get("/ui/signin", params={"token": jwt})  # what the old link did: refused, not kept
    assert refused.status_code == 400 and jwt not in refused.text
    form = browser.get("/ui/signin", params={"next": page})
    assert form.status_code == 200
    r = browser.post("/ui/signin", data={"token": jwt, "next": page, "csrf_token": CSRF.search(form.text)[1]})
    assert r.status_code == 303 and r.headers["location"] == page, r.text
    return browser


def spans(state: Path) -> list[dict]:
    return [
        json.loads(line)
        for f in state.glob("**/*.jsonl")
        for line in f.read_text(encoding="utf-8").splitlines()
        if line
    ]


def server_span(state: Path, path: str) -> dict | None:
    return next((s for s in spans(state) if s["kind"] == "SERVER" and s["attributes"].get("http.target") == path), None)


def every_topic(bootstrap: str) -> dict[str, list]:
    admin = Consumer({"bootstrap.servers": bootstrap, "group.id": "scan"})
    try:
        names = [t for t in admin.list_topics(timeout=10).topics if not t.startswith("__")]
    finally:
        admin.close()
    return {topic: read_all(bootstrap, topic) for topic in names}


@pytest.fixture(scope="module")
def journeys(system):
    """Both pages signed in through their forms; a case to a guilty plea; a decision reviewed."""
    j = Journey(system)
    urn = j.report()
    j.request_charge()
    j.charge()
    hearing = j.hearing("first_hearing")
    j.timeline("wja.court.hearing.listed.v1", "wja.support.idva.assigned.v1")
    idva = sign_in_to_page(system, "support", jwt_of(j.manager), f"/ui/cases/{urn}")
    page = idva.get(f"/ui/cases/{urn}")
    assert page.status_code == 200 and f"Case {urn}" in page.text
    assert idva.post("/ui/signout", data={}).status_code == 403  # no CSRF token: refused
    result_path = f"/v1/hearings/{hearing['hearing_id']}/result"
    ok(j.court.post(result_path, json={"result": "guilty_plea"}))

    nfa = Journey(system)
    nfa_urn = nfa.report(offence="coercive_control")
    nfa.request_charge(plea="unknown")
    nfa.decide("no_further_action", basis="evidential")
    until(lambda: nfa.police_status() == "awaiting_closure", "NFA reaching the police")
    review = ok(nfa.cps.post(f"/v1/cases/{nfa_urn}/reviews", json={"requested_at": iso(datetime.now(UTC))}))
    review_path = f"/v1/reviews/{review['review_id']}/decision"
    ok(nfa.cps.post(review_path, json={"outcome": "upheld", "reason": "the decision stands"}))
    j.timeline("wja.court.hearing.resulted.v1")
    nfa.timeline("wja.charging.review.decided.v1")

    analyst = system.client("insights", "police", "analyst", "analyst-1")
    charts = sign_in_to_page(system, "insights", jwt_of(analyst), "/ui/")
    assert "Funnel" in charts.get("/ui/").text

    state = system.stack.state_dir
    until(lambda: server_span(state, result_path) and server_span(state, review_path), "the spans on file", 15)
    tokens = [jwt_of(c) for c in (j.police, j.cps, j.court, j.manager, nfa.cps, analyst)]
    return {"state": state, "tokens": tokens, "spans": {urn: result_path, nfa_urn: review_path}}


def test_no_token_or_victim_value_in_any_span_file_log_file_or_topic(system, journeys):
    state: Path = journeys["state"]
    needles = [*journeys["tokens"], *(t.split(".")[2] for t in journeys["tokens"]), *PII_VALUES]
    files = [*state.glob("**/*.jsonl"), *state.glob("**/*.log")]
    assert {f.stem for f in files if f.suffix == ".log"} >= {"intake", "charging", "court", "support", "insights"}
    assert {f.stem for f in files if f.suffix == ".jsonl"} >= {"intake", "charging", "court", "support", "insights"}
    hits = [(f.name, n[:12]) for f in files for n in needles if n in f.read_text(errors="replace")]
    assert hits == []
    records = every_topic(system.test_stack.bootstrap)
    assert sum(map(len, records.values())) > 0
    on_bus = [
        (topic, n[:12])
        for topic, msgs in records.items()
        for m in msgs
        for blob in (m.key() or b"", m.value() or b"", *(v or b"" for _, v in m.headers() or []))
        for n in needles
        if n.encode() in blob
    ]
    assert on_bus == []


def test_every_case_action_span_names_its_case_even_when_the_path_does_not(journeys):
    for urn, path in journeys["spans"].items():
        span = server_span(journeys["state"], path)
        assert span["attributes"].get("wja.case.urn") == urn, path


def test_the_refused_token_in_a_url_left_no_trace_but_its_request_did(journeys):
    refused = [
        s
        for s in spans(journeys["state"])
        if s["kind"] == "SERVER" and s["attributes"].get("http.target") == "/ui/signin" and "token=" in str(s)
    ]
    assert refused and all("token=REDACTED" in s["attributes"]["http.url"] for s in refused)
    assert all(s["attributes"].get("http.status_code") == 400 for s in refused)
