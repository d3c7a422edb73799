"""Nobody in where they don't belong: an authorization matrix and hostile tokens, on the running system."""

from __future__ import annotations

import base64
import json
import time
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from wja_platform import auth
from wja_platform.settings import ServiceSettings

from ..e2e.helpers import ok, report_body, until

pytestmark = pytest.mark.e2e
ROLES = [(agency, role) for agency, roles in sorted(auth.AGENCIES.items()) for role in sorted(roles)]


def matrix(urn: str) -> list[tuple[str, str, str, dict | None, set[str]]]:
    """(service, method, path, body, who may) — ``agency`` or ``agency:role``, as journey.md section 3's
    "who" column says: an agency there means every role of it but ``analyst`` (insights only), its
    ``service`` (machine callers) included. The caller is ``matrix-user``, on no roster and assigned to
    nothing: where only the assigned IDVA may, nobody in this matrix may."""
    police = {"police:officer", "police:supervisor", "police:service"}
    cps = {"cps:prosecutor", "cps:service"}
    court = {"court:listing_officer", "court:legal_adviser", "court:service"}
    idva = {"idva:idva", "idva:manager", "idva:service"}
    analysts = {"police:analyst", "cps:analyst", "court:analyst", "idva:analyst", "idva:manager"}
    return [
        ("intake", "POST", "/v1/reports", report_body(), police),
        ("intake", "GET", f"/v1/cases/{urn}", None, police),
        ("intake", "POST", f"/v1/cases/{urn}/arrests", {"arrested_at": "2026-11-01T10:00:00Z"}, police),
        ("intake", "POST", f"/v1/cases/{urn}/closure", {"outcome_code": "16"}, police),
        ("intake", "GET", f"/v1/cases/{urn}/referral-audit", None, {"police:supervisor"}),
        ("intake", "GET", f"/v1/referrals/{urn}?purpose=matrix", None, {"idva:manager", "idva:service"}),
        ("charging", "GET", "/v1/cases", None, cps),
        (
            "charging",
            "POST",
            f"/v1/cases/{urn}/decisions",
            {"decision": "charge", "test": "full_code", "charges": [], "reason": "x"},
            cps,
        ),
        # an idva token: the assigned IDVA (not matrix-user) or a manager of their team ("default")
        (
            "charging",
            "POST",
            f"/v1/cases/{urn}/reviews",
            {"requested_at": "2026-11-01T10:00:00Z"},
            cps | {"idva:manager", "idva:service"},
        ),
        ("charging", "POST", "/v1/reviews/vrr-none/decision", {"outcome": "upheld", "reason": "x"}, cps),
        ("charging", "POST", f"/v1/cases/{urn}/discontinuance", {"reason": "public_interest"}, cps),
        (
            "court",
            "POST",
            "/v1/sessions",
            {"court_code": "MTX", "starts_at": "2030-01-07T10:00:00Z", "capacity": 0},
            court,
        ),
        ("court", "GET", f"/v1/cases/{urn}/hearings", None, court | cps),
        ("court", "POST", "/v1/hearings/h-none/result", {"result": "adjourned"}, court),
        ("court", "POST", f"/v1/cases/{urn}/verdict", {"verdict": "convicted"}, court),
        ("court", "POST", f"/v1/cases/{urn}/sentence", {"disposal": "fine"}, court),
        (
            "court",
            "POST",
            f"/v1/cases/{urn}/restraining-orders",
            {"basis": "conviction", "until": None, "conditions": []},
            court,
        ),
        ("support", "GET", "/v1/caseload", None, idva),
        ("support", "GET", f"/v1/cases/{urn}/timeline", None, {"idva:manager"}),
        ("support", "GET", f"/v1/cases/{urn}/contact?purpose=matrix", None, set()),
        ("support", "GET", "/v1/audit/contact-reads", None, {"idva:manager"}),
        (
            "support",
            "POST",
            f"/v1/cases/{urn}/contacts",
            {"about": ["x"], "channel": "phone", "at": "2026-11-01T10:00:00Z"},
            set(),
        ),
        ("insights", "GET", "/v1/summary?quarter=2026-27Q2", None, analysts),
    ]


@pytest.mark.timeout(600)  # every contract route x every role (~400 requests) plus the stack's start on a busy machine
def test_every_endpoint_refuses_every_caller_it_should(system):
    urn = ok(
        system.client("intake", "police", "officer", "pc-m", force="01").post("/v1/reports", json=report_body()), 201
    )["urn"]
    manager = system.client("support", "idva", "manager", "mgr", team="default")
    until(lambda: manager.get(f"/v1/cases/{urn}/timeline").status_code == 200, "the case at support")
    at_cps = system.client("charging", "idva", "manager", "mgr", team="default")
    asked = {"requested_at": "2026-11-01T10:00:00Z"}  # no charging file: 404 once the assignment is known
    until(lambda: at_cps.post(f"/v1/cases/{urn}/reviews", json=asked).status_code == 404, "the assignment at CPS")
    checked, wrong = 0, []
    for service, method, path, body, allowed in matrix(urn):
        anonymous = system.client(service, "police", "officer")
        anonymous.headers.pop("Authorization")
        assert anonymous.request(method, path, json=body).status_code == 401, (service, path)
        for agency, role in ROLES:
            client = system.client(service, agency, role, "matrix-user", team="default")
            status = client.request(method, path, json=body).status_code
            may = f"{agency}:{role}" in allowed
            if (status in (401, 403)) == may:
                wrong.append((service, method, path, agency, role, status))
            checked += 1
    assert wrong == []
    assert checked == len(matrix(urn)) * len(ROLES)


def test_an_idva_cannot_read_another_idvas_case_and_court_cannot_read_the_referral(system):
    police = system.client("intake", "police", "officer", "pc-x", force="01")
    urn = ok(police.post("/v1/reports", json=report_body()), 201)["urn"]
    manager = system.client("support", "idva", "manager", "mgr", team="default")
    case = until(
        lambda: (r := manager.get(f"/v1/cases/{urn}")).status_code == 200 and r.json()["idva"] and r.json(),
        "assignment",
    )
    mine, other = case["idva"], "idva-2" if case["idva"] == "idva-1" else "idva-1"
    assert system.client("support", "idva", "idva", mine).get(f"/v1/cases/{urn}/timeline").status_code == 200
    assert system.client("support", "idva", "idva", other).get(f"/v1/cases/{urn}/timeline").status_code == 403
    assert (
        system.client("intake", "court", "listing_officer").get(f"/v1/referrals/{urn}?purpose=curious").status_code
        == 403
    )
    assert system.client("support", "police", "officer").get(f"/v1/cases/{urn}/contact?purpose=x_y").status_code == 403
    assert system.client("intake", "idva", "idva", other).get(f"/v1/referrals/{urn}?purpose=x_y").status_code == 403


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_expired_tampered_and_wrong_algorithm_tokens_are_refused(system):
    key = auth.ensure_dev_key(system.stack.state_dir).read_text().strip()
    now = int(time.time())
    claims = {"sub": "pc-1", "agency": "police", "role": "officer", "exp": now + 600}
    good = jwt.encode(claims, key, algorithm="HS256")
    header, payload, signature = good.split(".")
    hostile = {
        "expired": jwt.encode({**claims, "exp": now - 10}, key, algorithm="HS256"),
        "tampered": f"{header}.{_b64({**claims, 'role': 'supervisor'})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "other algorithm": jwt.encode(claims, key, algorithm="HS512"),
        "other key": jwt.encode(claims, "x" * 48, algorithm="HS256"),
        "unknown role": jwt.encode({**claims, "role": "superuser"}, key, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256"),
    }
    client = system.client("intake", "police", "officer")
    assert client.get("/v1/cases").status_code == 200
    for name, token in hostile.items():
        r = client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert token not in r.text


def test_the_dev_key_is_refused_outside_dev_mode(tmp_path):
    dev = auth.ensure_dev_key(tmp_path).read_text().strip()
    with pytest.raises(auth.AuthConfigError):
        auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path))
    with pytest.raises(auth.AuthConfigError):
        auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret=dev))
    with pytest.raises(auth.AuthConfigError):
        auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret="short"))
    secret = "s" * 40
    assert auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret=secret)) == secret
    assert auth.signing_key(ServiceSettings(env="dev", state_dir=tmp_path)) == dev
    for weak in (dev, "short"):  # every key of a list passes the same checks
        with pytest.raises(auth.AuthConfigError):
            auth.verification_keys(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret=f"{secret},{weak}"))
    with pytest.raises(auth.AuthConfigError, match="64 characters for HS512"):  # as long as the hash (RFC 7518)
        auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret=secret, jwt_algorithm="HS512"))
    assert (
        auth.signing_key(ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret="s" * 64, jwt_algorithm="HS512"))
        == "s" * 64
    )


def test_during_a_key_rotation_tokens_of_both_keys_verify_and_no_others(tmp_path):
    new, old, other = "n" * 64, "o" * 64, "x" * 64
    settings = ServiceSettings(env="prod", state_dir=tmp_path, jwt_secret=f" {new} , {old} ")
    assert auth.verification_keys(settings) == (new, old) and auth.signing_key(settings) == new
    app = FastAPI()
    app.state.jwt_keys, app.state.jwt_algorithm = auth.verification_keys(settings), "HS256"

    @app.get("/who")
    def who(caller: Annotated[auth.Principal, Depends(auth.require("police"))]) -> str:
        return caller.sub

    client = TestClient(app)

    def call(key: str, **claims) -> int:
        token = auth.mint(key, sub="pc-1", agency="police", role="officer", **claims)
        return client.get("/who", headers={"Authorization": f"Bearer {token}"}).status_code

    assert call(new) == 200 and call(old) == 200
    assert call(other) == 401 and call(old, ttl_seconds=-10) == 401  # other key; expired under the old key
    forged = jwt.encode(
        {"sub": "pc-1", "agency": "police", "role": "officer", "exp": int(time.time()) + 60}, old, "HS512"
    )
    assert client.get("/who", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
