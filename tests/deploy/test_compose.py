"""docker-compose.yml and deploy/ checked against the Compose Specification and against the code.

No Docker engine runs here, so nothing is started: the file must be valid by the official
schema (vendored in check-jsonschema), and every image, port, env var, command and topic must
match what the code reads and serves.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from wja_platform.messaging import service_topics
from wja_schemas import topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = {"intake": "Intake", "charging": "Charging", "court": "Court", "support": "Support", "insights": "Insights"}


def settings_class(service: str):
    return getattr(importlib.import_module(f"wja_{service}.config"), f"{SERVICES[service]}Settings")


def env_problems(compose: dict) -> list[str]:
    """Every variable a service container sets must be one its settings read (or OTel's)."""
    problems = []
    for service, cls in SERVICES.items():
        readable = settings_class(service).env_names()
        for name in compose["services"][service]["environment"]:
            if not name.startswith("OTEL_") and name not in readable:
                problems.append(f"{service}: {name} is not read by {cls}Settings")
    return problems


def test_compose_file_is_valid_by_the_compose_specification():
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    jsonschema.validate(COMPOSE, schema)


def test_every_env_var_is_one_the_settings_read():
    assert env_problems(COMPOSE) == []


def test_the_env_var_check_catches_a_typo():
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["court"]["environment"]["COURT_DATABSE_URL"] = "postgresql://x"
    assert env_problems(broken) == ["court: COURT_DATABSE_URL is not read by CourtSettings"]


@pytest.mark.parametrize("service", list(SERVICES))
def test_each_service_matches_its_code(service):
    spec = COMPOSE["services"][service]
    settings = settings_class(service)
    port = settings.default_port
    assert spec["ports"] == [f"{port}:{port}"]
    assert spec["environment"][f"{service.upper()}_HTTP_PORT"] == str(port)
    assert spec["build"]["args"]["SERVICE"] == service
    assert spec["build"]["dockerfile"] == "deploy/docker/Dockerfile.service"
    assert importlib.util.find_spec(f"wja_{service}.__main__") is not None
    assert f":{port}/readyz" in " ".join(spec["healthcheck"]["test"])
    assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert spec["environment"][f"{service.upper()}_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert spec["environment"]["WJA_ENV"] == "prod"
    assert re.fullmatch(
        rf"postgresql://wja_{service}:.+@postgres:5432/wja_{service}",
        spec["environment"][f"{service.upper()}_DATABASE_URL"],
    )
    assert int(spec["environment"][f"{service.upper()}_CONSUMER_SESSION_TIMEOUT_MS"]) >= 6000  # Kafka's minimum


def test_images_are_pinned_and_everything_has_a_health_check_or_a_reason():
    for name, spec in COMPOSE["services"].items():
        image = spec.get("image", "")
        assert image and ":" in image and not image.endswith(":latest"), name
    for name in ("kafka", "postgres", *SERVICES):
        assert "healthcheck" in COMPOSE["services"][name], name


def test_dockerfile_is_one_parametrised_recipe():
    text = (ROOT / "deploy/docker/Dockerfile.service").read_text()
    assert "ARG SERVICE=" in text
    assert text.count("uv sync --frozen") == 2 and "--no-install-workspace" in text
    assert "python -m wja_${WJA_SERVICE}" in text
    for member in ("schemas", "libs/platform", "services/intake", "services/insights"):
        assert f"COPY {member}/pyproject.toml" in text


def test_postgres_init_creates_a_database_and_role_per_service():
    script = (ROOT / "deploy/postgres/init/00-databases.sh").read_text()
    assert "for svc in intake charging court support insights" in script
    assert "CREATE DATABASE wja_${svc} OWNER wja_${svc}" in script and "REVOKE CONNECT" in script
    env = COMPOSE["services"]["postgres"]["environment"]
    assert {f"WJA_{s.upper()}_DB_PASSWORD" for s in SERVICES} <= set(env)


def test_topics_file_matches_the_code():
    doc = yaml.safe_load((ROOT / "deploy/kafka/topics.yaml").read_text())
    declared = {t["name"] for t in doc["case_topics"] + doc["consumer_topics"]}
    from_code = set(topics.CASE_TOPICS.values())
    for service in SERVICES:
        from_code |= set(service_topics(service, settings_class(service).consumes))
    assert declared == from_code
    assert doc["consumer_groups"] == [f"wja-{s}" for s in SERVICES]


def test_observability_configs_wire_traces_to_jaeger_and_scrape_every_service():
    collector = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text())
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]
    prom = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = prom["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"{s}:{settings_class(s).default_port}" for s in SERVICES]
    for service in SERVICES:
        env = COMPOSE["services"][service]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert env["OTEL_SERVICE_NAME"] == f"wja-{service}"
