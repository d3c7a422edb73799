"""Operating the running system: `wja status`, the live /metrics, and the queries of the dashboard and alerts.

Every service runs as its own process on the session's broker and PostgreSQL (tests/conftest.py).
promtool comes from Debian's prometheus package, unpacked by scripts/test.sh (`make test`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from wja_cli import status as st
from wja_cli.testing import free_port, token

from tests.e2e.helpers import PII_VALUES, ok, report_body, until

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "charging", "court", "support", "insights")
PROMQL_WORDS = {"by", "without", "and", "or", "unless", "offset", "bool", "on", "ignoring", "group_left", "group_right"}
NOT_FROM_SERVICES = {"up", "ALERTS"}
"""Series Prometheus makes itself: a target's scrape health, and the alerts' state."""


def promtool() -> str:
    found = shutil.which("promtool") or str(ROOT / ".tools" / "prometheus" / "usr" / "bin" / "promtool")
    assert Path(found).exists(), "promtool is missing: scripts/test.sh (`make test`) unpacks it into .tools/prometheus"
    return found


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads (label matchers, groupings, ranges and strings dropped)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    tokens = [
        m.group(0)
        for m in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", text)
        if not text[m.end() :].lstrip().startswith("(")  # a function
    ]
    return {t for t in tokens if t not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]", t)}


def test_metric_names_finds_the_series_and_nothing_else() -> None:
    expr = 'histogram_quantile(0.95, sum by (service, le) (rate(wja_apply_batch_seconds_bucket{a="b(c)"}[5m])))'
    assert metric_names(expr) == {"wja_apply_batch_seconds_bucket"}
    assert metric_names("wja:x:max > wja:x:max offset 30m or up == 0") == {"wja:x:max", "up"}
    assert metric_names("max by (service) (foo) > 60") == {"foo"}


def make_traffic(system) -> str:
    """One case reported and sent to the CPS, and a decision on it, so that every consumer applies events and every
    labelled series exists, whatever ran before: court applies no report event (it handles decisions and what the
    IDVA asks of it), so a report alone passed only after other tests had made court traffic."""
    police = system.client("intake", "police", "officer", "pc-ops", force="01")
    cps = system.client("charging", "cps", "prosecutor", "cps-ops")
    urn = ok(police.post("/v1/reports", json=report_body()), 201)["urn"]
    ok(
        police.post(
            f"/v1/cases/{urn}/charging-requests",
            json={"evidence": ["bwv", "999_call"], "requested_test": "full_code", "anticipated_plea": "not_guilty"},
        )
    )
    until(lambda: cps.get(f"/v1/cases/{urn}").status_code == 200, "the charging file at the CPS")
    decision = {"decision": "charge", "test": "full_code", "charges": [{"offence_code": "abh"}], "reason": "reviewed"}
    ok(cps.post(f"/v1/cases/{urn}/decisions", json=decision))
    insights = system.client("insights", "cps", "analyst", "ops")

    def applied_everywhere():
        texts = {s: httpx.get(system.url(s) + "/metrics", timeout=10).text for s in SERVICES}
        consumers = [s for s in SERVICES if s != "intake"]
        return texts if all("wja_events_applied_total{" in texts[s] for s in consumers) else None

    until(lambda: insights.get("/v1/status").status_code == 200, "insights answers")
    until(applied_everywhere, "every consumer applied an event", timeout=60)
    return urn


def live_names(system) -> dict[str, str]:
    """Each service's /metrics text once its background refresh has run (lag and readiness gauges present)."""

    def refreshed():
        texts = {s: httpx.get(system.url(s) + "/metrics", timeout=10).text for s in SERVICES}
        return (
            texts
            if all("wja_consumer_lag_records{" in t and "wja_service_ready{" in t for t in texts.values())
            else None
        )

    return until(refreshed, "the gauges of every service", timeout=60)


def test_live_metrics_pass_promtool_check_metrics_and_hold_no_personal_data(system) -> None:
    make_traffic(system)
    for service, text in live_names(system).items():
        checked = subprocess.run(
            [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
        )
        assert checked.returncode == 0, f"{service}: {checked.stdout}{checked.stderr}"
        assert checked.stdout.strip() == "" and checked.stderr.strip() == "", f"{service}: {checked.stdout}"
        assert "wja_" in text
        leaked = [v for v in PII_VALUES if v in text]
        assert not leaked, f"{service}'s /metrics holds a victim's personal data"


def exported(system) -> set[str]:
    names = set(NOT_FROM_SERVICES)
    for text in live_names(system).values():
        names |= {s.name for family in text_string_to_metric_families(text) for s in family.samples}
    return names


def test_dashboard_and_alert_queries_use_metrics_the_services_export(system) -> None:
    make_traffic(system)
    names = exported(system)
    for expected in ("wja_obligations_overdue", "wja_claim_check_refusals_total", "wja_dead_letters_open"):
        assert expected in names
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    all_rules = [r for g in rules["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in all_rules if "record" in r}
    for rule in all_rules:
        unknown = metric_names(rule["expr"]) - names - recorded
        assert not unknown, f"{rule.get('alert') or rule.get('record')} reads {unknown}, which no service exports"
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "whole-justice.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            found = metric_names(target["expr"])
            assert found, f"{panel['title']}: {target['expr']}"
            assert not found - names - recorded, f"{panel['title']} reads {found - names - recorded}"


# --- wja status ------------------------------------------------------------------------------


async def put_poison(bootstrap: str, topic: str, count: int) -> None:
    """Records the consumer cannot decode (each becomes a poison dead letter once consumed)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(count):
            headers = [("ce_id", f"ops-poison-{i}".encode()), ("ce_type", b"wja.intake.crime.reported.v1")]
            await producer.send_and_wait(topic, b"{not json", key=f"ops-{i}".encode(), headers=headers)
    finally:
        await producer.stop()


def lag_cell(output: str, group: str, topic: str) -> int:
    """The lag the status screen shows for a group on a topic."""
    for line in output.splitlines():
        if group in line and topic in line:
            return int(re.findall(r"\d+", line.split(topic, 1)[1])[0])
    raise AssertionError(f"no row for {group} on {topic} in:\n{output}")


def group_total(output: str, group: str) -> int:
    """The group's lag over all its topics, summed from the rows of the status screen's lag table."""
    rows = [line for line in output.splitlines() if f"│ {group} " in line and re.search(r"│ wja\.[\w.]+ ", line)]
    assert rows, f"no lag rows for {group} in:\n{output}"
    return sum(lag_cell(line, group, re.findall(r"wja\.[\w.]+", line)[0]) for line in rows)


def test_status_shows_a_lagging_consumer_and_an_injected_dead_letter(system) -> None:
    bootstrap = system.test_stack.bootstrap
    urls = {s: system.url(s) for s in SERVICES}
    env = {**os.environ, "COLUMNS": "220", **{f"WJA_{s.upper()}_URL": u for s, u in urls.items()}}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    retry = "wja.insights.retry.v1"

    def wja_status(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "wja_cli.main", "status", "--bootstrap", bootstrap, "--timeout", "2", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)

    def snapshot() -> st.Snapshot:
        return asyncio.run(st.collect(urls, bootstrap, {s: f"wja-{s}" for s in SERVICES}, timeout=2))

    def insights(snap: st.Snapshot) -> st.ServiceState:
        return next(s for s in snap.services if s.name == "insights")

    def caught_up() -> st.Snapshot | None:
        snap = snapshot()
        return snap if insights(snap).ready and snap.group_lag().get(("wja-insights", retry), 0) == 0 else None

    before = until(caught_up, "insights ready and caught up on its retry topic")
    poison_before = insights(before).dead_letters.get("poison", 0)
    proc = system.stack.procs["insights"]
    os.kill(proc.pid, signal.SIGSTOP)  # hung: it neither answers nor consumes
    try:
        # what it had applied but not yet committed when it stopped (offsets are committed every 200 ms)
        stopped_at = snapshot().group_lag().get(("wja-insights", retry), 0)
        asyncio.run(put_poison(bootstrap, retry, 3))
        lagging = wja_status("--max-lag", "2")
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert lagging.returncode == 1, lagging.stdout
    assert lag_cell(lagging.stdout, "wja-insights", retry) == stopped_at + 3
    # the problem line counts every topic of the group: other services may publish while insights is stopped
    assert f"wja-insights is {group_total(lagging.stdout, 'wja-insights')} records behind" in lagging.stdout
    assert "wja-insights does not answer (ReadTimeout)" in lagging.stdout
    assert re.search(r"│ insights\s+│ DOWN", lagging.stdout)

    system.stack.wait_ready("insights", timeout=90)

    def dead_lettered() -> st.Snapshot | None:
        snap = snapshot()
        done = insights(snap).dead_letters.get("poison", 0) == poison_before + 3
        return snap if done and snap.group_lag().get(("wja-insights", retry), 0) == 0 else None

    after = until(dead_lettered, "the three poison records dead-lettered by insights", timeout=60)
    assert insights(after).ready
    dead = wja_status()
    assert dead.returncode == 1, dead.stdout
    assert f"wja-insights has open dead letters: {poison_before + 3} poison" in dead.stdout
    assert lag_cell(dead.stdout, "wja-insights", retry) == 0
    assert re.search(rf"│ insights\s+│ ready\s+│.*│ {poison_before + 3} poison", dead.stdout)

    operator = token(system.stack.state_dir, "idva", "service", sub="ops-test")
    letters = httpx.get(f"{urls['insights']}/admin/dlq?limit=10000", headers=operator, timeout=10).json()
    mine = [d["id"] for d in letters if d["topic"] == retry and d["kind"] == "poison"]
    assert len(mine) >= 3
    purged = httpx.post(f"{urls['insights']}/admin/dlq/purge", json={"ids": mine}, headers=operator, timeout=10)
    assert purged.json() == {"purged": len(mine)}


def test_status_watch_refreshes_until_interrupted_and_reports_what_is_down() -> None:
    closed = {f"WJA_{s.upper()}_URL": f"http://127.0.0.1:{free_port()}" for s in SERVICES}
    env = {**os.environ, **closed, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "wja_cli.main", "status", "--watch", "--interval", "0.2", "--timeout", "0.5"]
    proc = subprocess.Popen(
        [*command, "--bootstrap", f"127.0.0.1:{free_port()}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 240
    try:
        while sum("Something is wrong:" in line for line in lines) < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    out = "".join(lines) + rest
    assert proc.returncode == 1, out
    assert out.count("Something is wrong:") >= 2  # refreshed, not printed once
    assert out.count("--- ") >= 2  # each screen dated
    assert "wja-court does not answer (ConnectError)" in out
    assert "lag of wja-support unknown" in out


def test_alert_rules_pass_their_promtool_tests() -> None:
    rules = ROOT / "deploy" / "prometheus"
    checked = subprocess.run(
        [promtool(), "test", "rules", "alerts.test.yml"],
        cwd=rules,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
