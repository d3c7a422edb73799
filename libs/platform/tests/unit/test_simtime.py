"""Simulated time: signed per request, refused in prod and when off, stamped on events and spans."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError
from wja_platform import clock, outbox, simtime, telemetry
from wja_platform.clock import Clock
from wja_platform.settings import ServiceSettings
from wja_schemas import new_envelope
from wja_schemas.examples import example

AT = datetime(2027, 5, 3, 10, 30, tzinfo=UTC)


def settings(tmp_path, **over) -> ServiceSettings:
    return ServiceSettings(state_dir=tmp_path, **over)


def app_with(s: ServiceSettings) -> TestClient:
    app = FastAPI()
    real = Clock()

    @app.get("/now")
    async def now() -> dict[str, object]:
        return {"now": real.now().isoformat(), "simulated": real.simulated()}

    app.add_middleware(simtime.SimulatedTime, settings=s)
    return TestClient(app)


def test_simulation_is_refused_at_start_up_in_prod(tmp_path):
    with pytest.raises(ValidationError, match="refused when WJA_ENV is prod"):
        settings(tmp_path, env="prod", simulation=True)
    assert settings(tmp_path, env="prod").simulation is False
    assert settings(tmp_path, simulation=True).simulation is True


def test_the_environment_variable_turns_it_on_and_prod_refuses_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WJA_SIMULATION", "true")
    assert settings(tmp_path).simulation is True
    monkeypatch.setenv("WJA_ENV", "prod")
    with pytest.raises(ValidationError):
        settings(tmp_path)


def test_a_signed_time_is_the_clock_of_its_request_only(tmp_path):
    s = settings(tmp_path, simulation=True)
    client = app_with(s)
    r = client.get("/now", headers={simtime.HEADER: simtime.sign(simtime.secret(s), AT)})
    assert r.status_code == 200
    assert r.json() == {"now": AT.isoformat(), "simulated": True}
    plain = client.get("/now").json()
    assert plain["simulated"] is False
    assert abs(datetime.fromisoformat(plain["now"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert Clock().now() != AT


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_header_is_refused_where_simulation_is_off(tmp_path, env):
    s = settings(tmp_path, env=env, jwt_secret="k" * 40)
    r = app_with(s).get("/now", headers={simtime.HEADER: simtime.sign(simtime.secret(s), AT)})
    assert r.status_code == 400
    body = r.json()
    assert "simulated time is off" in body["message"]
    assert body["errors"] == [{"field": "header.WJA-Sim-Time", "message": body["message"]}]
    assert AT.isoformat()[:10] not in r.text  # the submitted value is never echoed


@pytest.mark.parametrize(
    "value",
    [
        "2027-05-03T10:30:00Z",  # unsigned
        "2027-05-03T10:30:00Z;" + "0" * 64,  # wrong signature
        simtime.sign(b"another stack's key", AT),
    ],
)
def test_an_unsigned_or_foreign_time_is_refused(tmp_path, value):
    r = app_with(settings(tmp_path, simulation=True)).get("/now", headers={simtime.HEADER: value})
    assert r.status_code == 400
    assert "not signed" in r.json()["message"]


def test_a_configured_secret_replaces_the_derived_one(tmp_path):
    s = settings(tmp_path, simulation=True, simulation_secret="a-shared-simulation-secret")
    assert simtime.secret(s) == b"a-shared-simulation-secret"
    derived = simtime.secret(settings(tmp_path, simulation=True))
    assert derived != simtime.secret(s)
    r = app_with(s).get("/now", headers={simtime.HEADER: simtime.sign(derived, AT)})
    assert r.status_code == 400


async def test_events_written_under_a_simulated_time_carry_it_as_ce_time():
    env = new_envelope(example("wja.intake.suspect.arrested.v1", urn="01YE0000126"))
    with outbox.buffered() as rows, clock.simulating(AT):
        await outbox.add(None, env)  # buffered: no connection needed
    with outbox.buffered() as plain:
        await outbox.add(None, env)
    headers = dict(json.loads(rows[0][5]))  # a row's headers: JSON text, [[name, value], ...]
    assert headers["ce_time"] == "2027-05-03T10:30:00Z"
    assert dict(json.loads(plain[0][5]))["ce_time"] != headers["ce_time"]


def test_spans_started_under_a_simulated_time_carry_it():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(telemetry.CaseUrnSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with clock.simulating(AT), tracer.start_as_current_span("simulated"):
        pass
    with tracer.start_as_current_span("real"):
        pass
    spans = {s.name: s.attributes for s in exporter.get_finished_spans()}
    assert spans["simulated"][telemetry.SIM_TIME_ATTRIBUTE] == "2027-05-03T10:30:00Z"
    assert telemetry.SIM_TIME_ATTRIBUTE not in spans["real"]
