"""Server spans keep the names and ``http.route`` OpenTelemetry's FastAPI instrumentation gives them (issue 20).

``telemetry.route_span_details`` finds them by path pattern, without the instrumentation's per-route
``matches()``; here it is held to the instrumentation's own answer for every route of every service, every
method, unknown paths and a root path, and the running stack is checked to use it.
"""

from __future__ import annotations

import importlib
import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import _get_default_span_details
from wja_platform.telemetry import route_span_details

SERVICES = ("intake", "charging", "court", "support", "insights")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW")
SAMPLES = {"urn": "01YE0000126", "path": "css/app.css"}


@pytest.fixture(scope="module")
def apps():
    return {s: importlib.import_module(f"wja_{s}.bootstrap").create_app() for s in SERVICES}


def concrete(template: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLES.get(m[1], "hr-0001"), template)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_named_as_the_instrumentation_names_it(apps, service):
    app = apps[service]
    templates = [c.path for c in iter_route_contexts(app.routes)]
    paths = [concrete(t) for t in templates]
    paths += ["/", "/nope", "/v1/cases", "/v1/cases/01YE0000126/nope", "/v1/cases//arrests", "/static"]
    checked = set()
    for path in paths:
        for method in METHODS:
            for root_path in ("", "/wja"):
                scope = {"type": "http", "app": app, "method": method, "root_path": root_path, "headers": []}
                scope["path"] = root_path + path
                expected = _get_default_span_details(scope)
                assert route_span_details(scope) == expected, (method, scope["path"])
                checked.add(expected[0])
    assert len(checked) > len(METHODS) + 5  # the routes' names among them, not only bare methods
    assert any("{" in name for name in checked) == any("{" in t for t in templates)


def test_the_services_server_spans_use_it(apps):
    app = apps["charging"]
    TestClient(app).get("/openapi.json")  # the middleware stack is built at the first request
    middleware = app.middleware_stack.app
    assert isinstance(middleware, OpenTelemetryMiddleware)
    assert middleware.default_span_details is route_span_details
