"""Property-based API tests: schemathesis against every service's own OpenAPI, on the running system.

For each service, with a token of the agency that uses it and with an operator's token, schemathesis
generates valid and invalid requests for every operation and checks: no 5xx, every status returned
is documented, the content type and body match the documented schema, and invalid input is refused.
The service's own log is read too: a 500 it answered (logged "unhandled …") fails the test even when
schemathesis does not report it (in `make faults` on 3 December 2026 it reported two of intake's as passed).
``WJA_SCHEMATHESIS_EXAMPLES`` sets the examples per operation (small in ``make test``, larger in
``make faults``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from wja_cli.testing import token

from ..e2e.helpers import ok, report_body, until

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get("WJA_SCHEMATHESIS_EXAMPLES", "10"))
CALLERS = {
    "intake": ("police", "officer", {"force": "01"}),
    "charging": ("cps", "prosecutor", {}),
    "court": ("court", "listing_officer", {}),
    "support": ("idva", "manager", {"team": "default"}),
    "insights": ("cps", "analyst", {}),
}
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
    )
)


@pytest.fixture(scope="module")
def real_ids(system) -> dict[str, str]:
    """A charged case known to every service, so generated requests reach past the 404s."""
    police = system.client("intake", "police", "officer", "pc-st", force="01")
    urn = ok(police.post("/v1/reports", json=report_body()), 201)["urn"]
    evidence = {"evidence": ["bwv"], "requested_test": "full_code", "anticipated_plea": "not_guilty"}
    ok(police.post(f"/v1/cases/{urn}/charging-requests", json=evidence))
    cps = system.client("charging", "cps", "prosecutor", "cps-st")
    until(lambda: cps.get(f"/v1/cases/{urn}").status_code == 200, "the charging file")
    charge = {"decision": "charge", "test": "full_code", "charges": [{"offence_code": "common_assault"}], "reason": "x"}
    ok(cps.post(f"/v1/cases/{urn}/decisions", json=charge))
    court = system.client("court", "court", "listing_officer", "lo-st")

    def listed():
        r = court.get(f"/v1/cases/{urn}/hearings")
        return r.json() if r.status_code == 200 and r.json() else None

    hearings = until(listed, "the first hearing")
    return {"urn": urn, "hearing_id": hearings[0]["hearing_id"], "session_id": hearings[0]["session_id"]}


@pytest.mark.parametrize("service", sorted(CALLERS))
@pytest.mark.parametrize("caller", ["staff", "operator"])
def test_every_operation_survives_generated_requests(system, real_ids, service, caller, tmp_path):
    agency, role, claims = CALLERS[service]
    if caller == "operator":
        role, claims = "service", {}
    headers = token(system.stack.state_dir, agency, role, sub=f"st-{service}", **claims)
    log = system.stack.state_dir / "logs" / f"{service}.log"
    log_from = log.stat().st_size
    st = Path(sys.executable).parent / "st"
    config = tmp_path / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(f'"path.{k}" = "{v}"\n' for k, v in real_ids.items()))
    run = subprocess.run(
        [
            str(st),
            "--config-file",
            str(config),
            "run",
            f"{system.url(service)}/openapi.json",
            "--header",
            f"Authorization: {headers['Authorization']}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "7",
            "--generation-deterministic",
            "--request-timeout",
            "30",
            "--phases",
            "examples,coverage,fuzzing",
            "--exclude-path-regex",
            "^/(ui|metrics)",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        check=False,
        cwd=tmp_path,  # its cache (.schemathesis/) belongs to the run, not the repo
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
    )
    tail = "\n".join(run.stdout.splitlines()[-60:])
    (tmp_path / "schemathesis.txt").write_text(run.stdout)
    assert run.returncode == 0, f"schemathesis found failures in {service}:\n{tail}\n{run.stderr[-2000:]}"
    with log.open("rb") as fh:  # every 500 is logged "unhandled <error> at <file>:<line>" (wja_platform.errors)
        fh.seek(log_from)
        bugs = [line for line in fh.read().decode(errors="replace").splitlines() if " ERROR unhandled " in line]
    assert not bugs, f"{service} answered 500 during the run, which schemathesis did not report:\n" + "\n".join(bugs)
    assert "operations" in run.stdout.lower() or "passed" in run.stdout.lower(), tail
