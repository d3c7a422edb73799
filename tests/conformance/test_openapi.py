"""Each service's /openapi.json is valid to openapi-spec-validator and says truthfully who needs a token.

The apps are built in-process (no server, no database): the document and the token check both
come before anything a request would need the database for.
"""

from __future__ import annotations

import copy
import importlib
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from starlette.datastructures import State

SERVICES = ("intake", "charging", "court", "support", "insights")
OPEN = {"/healthz", "/readyz", "/metrics"}
"""The operations that need no token (journey.md section 3)."""


@pytest.fixture(scope="module")
def apps():
    return {s: importlib.import_module(f"wja_{s}.bootstrap").create_app() for s in SERVICES}


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_spec_validator_accepts_the_document(apps, service):
    doc = apps[service].openapi()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_openapi_spec_validator_does_refuse_a_broken_document(apps):
    broken = copy.deepcopy(apps["intake"].openapi())
    broken["paths"]["/healthz"]["get"]["responses"]["200"].pop("description")
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_but_health_readiness_and_metrics_declares_the_bearer_jwt(apps, service):
    doc = apps[service].openapi()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    seen = set()
    for path, method, operation in operations(doc):
        seen.add(path)
        if path in OPEN:
            assert "security" not in operation, path
            assert not {"401", "403"} & set(operation["responses"]), path
        else:
            assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
    assert seen >= OPEN


@pytest.mark.parametrize("service", SERVICES)
def test_health_readiness_and_metrics_list_only_what_they_answer(apps, service):
    paths = apps[service].openapi()["paths"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200"}
    assert set(paths["/readyz"]["get"]["responses"]) == {"200", "503"}
    metrics = paths["/metrics"]["get"]["responses"]
    assert set(metrics) == {"200"}
    assert set(metrics["200"]["content"]) == {"text/plain"}
    assert "Prometheus" in metrics["200"]["description"]


class _Placeholders(State):
    """App state with a stand-in for what start-up would have made (runtime, deps, ...).

    Handlers take such things before their caller; none may get to use one without a valid token.
    """

    def __getattr__(self, key: str):
        try:
            return super().__getattr__(key)
        except AttributeError:
            return SimpleNamespace()


def _url(path: str) -> str:
    return re.sub(r"\{urn\}", "01YE0098726", re.sub(r"\{(?!urn)[^}]+\}", "1", path))


@pytest.mark.parametrize("service", SERVICES)
def test_what_the_document_says_needs_a_token_refuses_a_request_without_one(apps, service):
    """Every documented operation, called with no token, a non-bearer scheme and an empty bearer: 401."""
    app = apps[service]
    app.state = _Placeholders({"jwt_keys": ("k" * 32,), "jwt_algorithm": "HS256"})
    client = TestClient(app, raise_server_exceptions=False)  # no `with`: no start-up, no database
    checked = 0
    for path, method, _ in operations(app.openapi()):
        if path in OPEN:
            continue
        for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer "}):
            r = client.request(method, _url(path), headers=headers, json={})
            assert r.status_code == 401, f"{method} {path} {headers}: {r.status_code}"
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json() == {"message": "a bearer token is required", "errors": []}
        r = client.request(method, _url(path), headers={"Authorization": "Bearer not-a-jwt"}, json={})
        assert (r.status_code, r.json()["message"]) == (401, "invalid token"), f"{method} {path}"
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("service", SERVICES)
def test_health_and_metrics_answer_without_a_token(apps, service):
    client = TestClient(apps[service])
    assert client.get("/healthz").json() == {"status": "ok", "service": service}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
