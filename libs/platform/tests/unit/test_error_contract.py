"""The error middleware (plain ASGI): what a route raises becomes the error body, never its values."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from wja_platform import errors, problems, telemetry


def app_with_routes() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.post("/conflict")
    async def conflict() -> None:
        raise problems.Conflict("the case is closed", field="status")

    @app.post("/invalid")
    async def invalid() -> None:
        problems.refuse([("until", "after the order starts"), ("kind", "unknown")])

    @app.get("/half")
    async def half() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"first part"
            raise RuntimeError("Jane Doe, 1 Bench Road")

        return StreamingResponse(body())

    return app


def test_a_domain_error_is_its_status_with_its_field_and_message():
    response = TestClient(app_with_routes()).post("/conflict")
    assert response.status_code == 409
    assert response.json() == {
        "message": "the case is closed",
        "errors": [{"field": "status", "message": "the case is closed"}],
    }


def test_every_problem_of_an_invalid_request_is_listed():
    response = TestClient(app_with_routes()).post("/invalid")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["until", "kind"]


def test_an_error_after_the_answer_began_is_not_answered_twice():
    """Once the status line is sent nothing can replace it: the exception goes on to the server."""
    with pytest.raises(RuntimeError):
        TestClient(app_with_routes()).get("/half")
    response = TestClient(app_with_routes(), raise_server_exceptions=False).get("/half")
    assert response.status_code == 200 and "Jane" not in response.text


async def test_a_case_urn_tagged_by_a_request_ends_with_it():
    """An in-process client runs requests in its own context: the URN of one must not tag the next one's spans."""
    app = FastAPI()
    errors.install(app)

    @app.post("/tagged")
    async def tagged() -> dict[str, str | None]:
        before = telemetry.case_urn()
        telemetry.set_case_urn("01YE0000126")
        return {"before": before}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/tagged")).json() == {"before": None}
        assert (await client.post("/tagged")).json() == {"before": None}
    assert telemetry.case_urn() is None


def test_a_500_in_an_unsampled_trace_is_kept_and_a_domain_error_is_not(monkeypatch):
    """Sampling at 0: nothing of the request is recorded, but its 500 is exported as a span of its own."""
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import StatusCode

    exporter = InMemorySpanExporter()
    tp = TracerProvider(sampler=telemetry.sampler(0.0))
    tp.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=10))
    tracer = tp.get_tracer("test")
    monkeypatch.setattr(telemetry, "_tracer", tracer)
    app = app_with_routes()

    @app.post("/bug")
    async def bug() -> None:
        raise RuntimeError("Jane Doe, 1 Bench Road")

    inner = app.build_middleware_stack

    def with_server_span():  # what the OpenTelemetry ASGI middleware does around the app
        stack = inner()

        async def traced(scope, receive, send):
            # a new trace (not under the test client's own span, should httpx be instrumented in this process)
            with tracer.start_as_current_span("server", context=Context()):
                await stack(scope, receive, send)

        return traced

    monkeypatch.setattr(app, "build_middleware_stack", with_server_span)
    client = TestClient(app)
    assert client.post("/conflict").status_code == 409
    assert client.post("/bug").status_code == 500
    tp.force_flush()
    (kept,) = exporter.get_finished_spans()
    assert kept.name == "POST request failed"
    assert kept.status.status_code is StatusCode.ERROR
    assert kept.attributes["error.type"] == "RuntimeError"
    assert "Jane" not in str(kept.to_json())
