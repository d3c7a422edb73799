"""docker-compose.yml and deploy/ checked against the Compose Specification and against the code.

No Docker engine runs here, so nothing is started. Instead:

- the compose file must be valid by the official Compose Specification JSON Schema (the copy
  that check-jsonschema, a dev dependency, vendors), which refuses unknown keys;
- every variable a service container is given must be one its settings class reads, and the
  settings must load from exactly that environment, on the port, broker and database intended;
- images, Dockerfile, PostgreSQL init script, Kafka topics, collector and Prometheus configs
  must match what the code serves, reads and writes;
- the secrets helper must make secrets the services accept.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from fastapi import HTTPException
from wja_platform import auth
from wja_platform.crypto import Keyring, pseudonym_key
from wja_platform.messaging import service_topics
from wja_platform.settings import ServiceSettings
from wja_schemas import topics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
DOCKERFILE = DEPLOY / "docker" / "Dockerfile.service"
SERVICES = sorted(p.parent.name.removeprefix("wja_") for p in ROOT.glob("services/*/src/wja_*/config.py"))
INFRA = ["grafana", "jaeger", "kafka", "otel-collector", "postgres", "prometheus"]
NO_HEALTHCHECK = {"otel-collector": "the image holds the collector binary only: no shell, no HTTP client"}


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"wja_{service}.config")
    cls: type[ServiceSettings] = getattr(module, f"{service.capitalize()}Settings")
    return cls


def load_make_secrets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_secrets", DEPLOY / "make_secrets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation (the forms this project uses: ${V}, ${V:?msg}, ${V:-d}, $$)."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"]
        present = env.get(name, "") if op and op.startswith(":") else env.get(name)
        if present:
            return present
        if op and op.endswith("?"):
            msg = f"{name} is required: {arg}"
            raise KeyError(msg)
        return arg if op and op.endswith("-") else ""

    return _INTERPOLATION.sub(substitute, value)


def interpolated_names(text: str) -> set[str]:
    return {m["name"] for m in _INTERPOLATION.finditer(text) if m["name"]}


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("secrets")
    load_make_secrets().create(directory)
    return directory


@pytest.fixture(scope="module")
def compose_env(secrets_dir: Path) -> dict[str, str]:
    lines = (secrets_dir / "compose.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


# --- The Compose Specification ------------------------------------------------------------


def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendor.joinpath("compose-spec.json").read_text())
    return schema


def test_compose_file_is_valid_by_the_compose_specification() -> None:
    jsonschema.validate(COMPOSE, compose_schema())


def test_the_schema_refuses_a_misspelt_key() -> None:
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["court"]["healtcheck"] = broken["services"]["court"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema())


def test_profiles_split_infrastructure_from_services() -> None:
    profiles = {name: spec.get("profiles") for name, spec in COMPOSE["services"].items()}
    assert sorted(n for n, p in profiles.items() if p == ["infra"]) == INFRA
    assert sorted(n for n, p in profiles.items() if p == ["services"]) == SERVICES
    assert len(profiles) == len(INFRA) + len(SERVICES)


# --- Environment: only what the settings read -----------------------------------------------


def env_problems(compose: dict[str, Any]) -> list[str]:
    """Every variable a service container sets must be one its settings read (or OpenTelemetry's)."""
    problems = []
    for service in SERVICES:
        cls = settings_class(service)
        readable = cls.env_names()
        for name in compose["services"][service].get("environment", {}):
            if not name.startswith("OTEL_") and name not in readable:
                problems.append(f"{service}: {name} is not read by {cls.__name__}")
    return problems


def test_every_env_var_is_one_the_settings_read() -> None:
    assert env_problems(COMPOSE) == []


def test_the_env_var_check_catches_a_misspelt_variable() -> None:
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["court"]["environment"]["COURT_DATABSE_URL"] = "postgresql://x"
    broken["services"]["support"]["environment"]["WJA_INTAKE_URI"] = "http://intake:8101"
    assert env_problems(broken) == [
        "court: COURT_DATABSE_URL is not read by CourtSettings",
        "support: WJA_INTAKE_URI is not read by SupportSettings",
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_settings_load_from_the_compose_environment(
    service: str, compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container's environment, interpolated with generated secrets, gives the intended settings."""
    cls = settings_class(service)
    for name in list(os.environ):
        if name in cls.env_names() or name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    env = {k: interpolate(str(v), compose_env) for k, v in COMPOSE["services"][service]["environment"].items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = cls()
    assert settings.env == "prod"
    assert settings.http_host == "0.0.0.0"
    assert settings.port == cls.default_port
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    dsn = urlsplit(settings.dsn)
    assert (dsn.hostname, dsn.port, dsn.username, dsn.path) == ("postgres", 5432, f"wja_{service}", f"/wja_{service}")
    assert dsn.password == compose_env[f"WJA_{service.upper()}_DB_PASSWORD"]
    assert settings.consumer_session_timeout_ms >= 6000  # Apache Kafka's group.min.session.timeout.ms
    assert settings.group_id == f"wja-{service}"
    assert settings.jwt_secret_file == Path("/run/secrets/jwt_secret")
    assert env["OTEL_SERVICE_NAME"] == f"wja-{service}"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    if service == "support":
        assert settings.intake_url == f"http://intake:{settings_class('intake').default_port}"


def test_every_interpolated_variable_comes_from_the_generated_env_file(compose_env: dict[str, str]) -> None:
    assert interpolated_names(COMPOSE_TEXT) <= set(compose_env)
    for spec in COMPOSE["services"].values():
        for value in spec.get("environment", {}).values():
            interpolate(str(value), compose_env)  # raises on a ${VAR:?} left unset


# --- Each service against its code ---------------------------------------------------------


def uses_data_key(service: str) -> bool:
    """The service opens a keyring (its composition root builds one from the settings)."""
    spec = importlib.util.find_spec(f"wja_{service}.bootstrap")
    assert spec is not None and spec.origin is not None
    return "Keyring.from_settings" in Path(spec.origin).read_text()


def uses_pseudonym_key(service: str) -> bool:
    """The service makes pseudonyms (its composition root reads the pseudonym key from the settings)."""
    spec = importlib.util.find_spec(f"wja_{service}.bootstrap")
    assert spec is not None and spec.origin is not None
    return "pseudonym_key(" in Path(spec.origin).read_text()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_matches_its_code(service: str) -> None:
    spec = COMPOSE["services"][service]
    port = settings_class(service).default_port
    assert spec["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert spec["build"] == {
        "context": ".",
        "dockerfile": "deploy/docker/Dockerfile.service",
        "args": {"SERVICE": service, "PORT": str(port)},
    }
    assert importlib.util.find_spec(f"wja_{service}.__main__") is not None
    assert spec["healthcheck"]["test"][:3] == ["CMD", "python", "-c"]
    assert f"'http://127.0.0.1:{port}/readyz'" in spec["healthcheck"]["test"][3]
    assert spec["depends_on"]["kafka"] == {"condition": "service_healthy"}
    assert spec["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # Secrets: the signing key for all; a data key only where rows are sealed, under the path read.
    mounted = {s if isinstance(s, str) else s["target"]: s for s in spec["secrets"]}
    assert spec["environment"]["WJA_JWT_SECRET_FILE"] == "/run/secrets/jwt_secret" and "jwt_secret" in mounted
    if uses_data_key(service):
        assert spec["environment"]["WJA_DATA_KEY_FILE"] == "/run/secrets/data_key"
        assert mounted["data_key"] == {"source": f"{service}_data_key", "target": "data_key"}
    else:
        assert "WJA_DATA_KEY_FILE" not in spec["environment"] and "data_key" not in mounted
    # The pseudonym key: its own secret (never the data key's), only where victim_refs are made.
    prefix = service.upper()
    if uses_pseudonym_key(service):
        assert spec["environment"][f"{prefix}_PSEUDONYM_KEY_FILE"] == "/run/secrets/pseudonym_key"
        assert mounted["pseudonym_key"] == {"source": "pseudonym_key", "target": "pseudonym_key"}
        assert f"{prefix}_PSEUDONYM_KEY" not in spec["environment"]  # not in the environment (docker inspect)
    else:
        assert "pseudonym_key" not in mounted


def test_images_are_pinned() -> None:
    for name, spec in COMPOSE["services"].items():
        repository, _, tag = spec["image"].rpartition(":")
        assert repository and tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {spec['image']}"


def test_every_service_has_a_healthcheck_or_a_stated_reason() -> None:
    for name, spec in COMPOSE["services"].items():
        if name in NO_HEALTHCHECK:
            assert "healthcheck" not in spec
        else:
            assert spec["healthcheck"]["test"], name


def test_what_is_waited_for_can_become_healthy() -> None:
    for name, spec in COMPOSE["services"].items():
        for dependency, condition in spec.get("depends_on", {}).items():
            assert dependency in COMPOSE["services"], f"{name} -> {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in COMPOSE["services"][dependency], f"{name} waits for {dependency}"


def test_host_ports_are_bound_to_localhost() -> None:
    for name, spec in COMPOSE["services"].items():
        for mapping in spec.get("ports", []):
            assert mapping.startswith("127.0.0.1:"), f"{name}: {mapping}"


def test_mounted_files_exist() -> None:
    for name, spec in COMPOSE["services"].items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"
    for name, secret in COMPOSE["secrets"].items():
        assert Path(secret["file"]).parent == Path("./deploy/secrets"), name


# --- The image recipe ----------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(current)
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


def workspace_members() -> list[str]:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    return sorted(str(p.parent.relative_to(ROOT)) for g in globs for p in ROOT.glob(f"{g}/pyproject.toml"))


def test_dockerfile_is_one_parametrised_recipe() -> None:
    steps = dockerfile_instructions()
    kinds = [kind for kind, _ in steps]
    args = dict(arg.split("=", 1) for kind, arg in steps if kind == "ARG")
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert args == {"SERVICE": "intake", "PORT": str(settings_class("intake").default_port)}
    uv_version = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert uv_version and any(f"pip install --no-cache-dir uv=={uv_version[1]}" in a for k, a in steps if k == "RUN")

    syncs = [i for i, (kind, arg) in enumerate(steps) if kind == "RUN" and "uv sync" in arg]
    assert len(syncs) == 2
    first, second = (steps[i][1] for i in syncs)
    assert "uv sync --frozen --no-dev --no-install-workspace --package wja-${SERVICE}" in first
    assert "uv sync --frozen --no-dev --package wja-${SERVICE}" in second
    assert "--no-editable" not in second  # migrations are read next to the sources
    copies_before = {a.split()[0] for k, a in steps[: syncs[0]] if k == "COPY"}
    assert copies_before == {"pyproject.toml", *(f"{m}/pyproject.toml" for m in workspace_members())}
    copies_between = {a.split()[0] for k, a in steps[syncs[0] : syncs[1]] if k == "COPY"}
    assert copies_between == {m.split("/")[0] for m in workspace_members()}

    user = kinds.index("USER")
    assert steps[user][1] not in {"root", "0"} and user > max(syncs)
    assert ("EXPOSE", "${PORT}") in steps
    healthcheck = next(a for k, a in steps if k == "HEALTHCHECK")
    assert "urllib.request.urlopen" in healthcheck and "/healthz" in healthcheck
    assert "WJA_IMAGE_PORT" in healthcheck


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_command_runs_the_service_module(service: str) -> None:
    cmd = next(a for k, a in dockerfile_instructions() if k == "CMD")
    assert not cmd.startswith("["), "shell form, so that the service name expands"
    rendered = cmd.replace("${WJA_IMAGE_SERVICE}", service)
    assert rendered == f"exec python -m wja_{service}"
    assert importlib.util.find_spec(f"wja_{service}.__main__") is not None


def test_image_environment_does_not_leak_into_settings() -> None:
    env_line = next(a for k, a in dockerfile_instructions() if k == "ENV")
    names = set(re.findall(r"(\w+)=", env_line))
    readable = set().union(*(settings_class(s).env_names() for s in SERVICES))
    assert {n for n in names if n.startswith("WJA_")} - readable == {"WJA_IMAGE_SERVICE", "WJA_IMAGE_PORT"}
    assert "WJA_STATE_DIR" in names


def test_build_context_is_an_allow_list() -> None:
    ignore = (DEPLOY / "docker" / "Dockerfile.service.dockerignore").read_text().split("\n")
    patterns = [p.strip() for p in ignore if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*"  # .venv, .wja (PostgreSQL data, dev keys), .git, deploy/secrets stay out
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    sources = [src for k, a in dockerfile_instructions() if k == "COPY" for src in a.split()[:-1]]
    assert {src.split("/")[0] for src in sources} == allowed


# --- PostgreSQL: one database and role per service -------------------------------------------


def psql_statements(sql: str, variables: dict[str, str]) -> list[str]:
    """The statements psql runs: :"v" becomes a quoted identifier, :'v' a quoted literal."""
    rendered = re.sub(
        r""":(["'])(\w+)\1""",
        lambda m: m[1] + variables[m[2]].replace(m[1], m[1] * 2) + m[1],
        sql,
    )
    statements, current, quoted = [], "", False
    for char in rendered:  # split on semicolons outside quoted literals
        quoted ^= char == "'"
        if char == ";" and not quoted:
            statements.append(" ".join(current.split()))
            current = ""
        else:
            current += char
    assert not current.strip()
    return statements


def test_postgres_init_creates_a_database_and_role_per_service(tmp_path: Path) -> None:
    script = DEPLOY / "postgres" / "init" / "00-databases.sh"
    assert script.stat().st_mode & stat.S_IXUSR  # the image executes it (else it would source it)
    log = tmp_path / "psql.log"
    fake = tmp_path / "bin" / "psql"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\n{{ printf "ARGS %s\\n" "$*"; cat; }} >> {log}\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:{os.environ['PATH']}", "POSTGRES_USER": "postgres"}
    env |= {f"WJA_{s.upper()}_DB_PASSWORD": f"pw-{s}'; DROP ROLE x; --" for s in SERVICES}
    subprocess.run(["sh", str(script)], env=env, check=True, timeout=10)

    calls = {}
    for call in log.read_text().split("ARGS ")[1:]:
        args, sql = call.split("\n", 1)
        calls[re.search(r"--set=name=wja_(\w+)", args)[1]] = (args, sql)
    assert sorted(calls) == SERVICES
    for service, (args, sql) in calls.items():
        assert "ON_ERROR_STOP=1" in args
        password = f"pw-{service}'; DROP ROLE x; --"
        assert f"--set=password={password}" in args and "pw-" not in sql  # a psql variable, never spliced in
        variables = {"name": f"wja_{service}", "password": password}
        assert psql_statements(sql, variables) == [
            f"CREATE ROLE \"wja_{service}\" LOGIN PASSWORD 'pw-{service}''; DROP ROLE x; --'",
            f'CREATE DATABASE "wja_{service}" OWNER "wja_{service}"',
            f'REVOKE CONNECT, TEMPORARY ON DATABASE "wja_{service}" FROM PUBLIC',
        ]

    postgres = COMPOSE["services"]["postgres"]
    assert "./deploy/postgres/init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert {f"WJA_{s.upper()}_DB_PASSWORD" for s in SERVICES} <= set(postgres["environment"])
    assert "-h 127.0.0.1" in postgres["healthcheck"]["test"][1]  # not ready while init scripts run


def test_postgres_init_refuses_a_missing_password(tmp_path: Path) -> None:
    script = DEPLOY / "postgres" / "init" / "00-databases.sh"
    env = {"PATH": os.environ["PATH"], "POSTGRES_USER": "postgres"}
    result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=10, check=False)
    assert result.returncode != 0 and "WJA_INTAKE_DB_PASSWORD is not set" in result.stderr


# --- Kafka --------------------------------------------------------------------------------


TOPICS = yaml.safe_load((DEPLOY / "kafka" / "topics.yaml").read_text())


def test_topic_names_match_the_code() -> None:
    declared = [t["name"] for t in TOPICS["topics"]]
    from_code = set(topics.CASE_TOPICS.values())
    for service in SERVICES:
        from_code |= set(service_topics(service, settings_class(service).consumes))
    assert len(declared) == len(set(declared))
    assert set(declared) == from_code
    for topic in TOPICS["topics"]:
        if topic["kind"] == "case":
            assert topic["name"] == topics.case_topic(topic["producer"])
            readers = [s for s in SERVICES if topic["producer"] in settings_class(s).consumes]
            assert sorted(topic["readers"]) == readers
        else:
            maker = {"retry": topics.retry_topic, "dlq": topics.dlq_topic}[topic["kind"]]
            assert topic["name"] == maker(topic["consumer"])


def test_consumer_groups_match_the_code() -> None:
    groups = {g["service"]: g for g in TOPICS["consumer_groups"]}
    assert sorted(groups) == SERVICES
    for service, group in groups.items():
        cls = settings_class(service)
        assert group["group"] == cls.model_construct().group_id == f"wja-{service}"
        # what wja_platform.app subscribes: the producers it consumes, then its own retry topic
        assert group["reads"] == [topics.case_topic(p) for p in cls.consumes] + [topics.retry_topic(service)]


def test_topic_defaults_are_what_services_and_broker_use() -> None:
    defaults = TOPICS["defaults"]
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert defaults["partitions"] == ServiceSettings.model_fields["topic_partitions"].default
    assert defaults["replication_factor"] == ServiceSettings.model_fields["topic_replication"].default
    assert int(kafka["KAFKA_NUM_PARTITIONS"]) == defaults["partitions"]
    assert int(kafka["KAFKA_LOG_RETENTION_MS"]) == defaults["retention_ms"]
    for service in SERVICES:  # a new broker gets the same partitions whichever service creates a topic
        env = COMPOSE["services"][service]["environment"]
        partitions = int(env.get(f"{service.upper()}_TOPIC_PARTITIONS", defaults["partitions"]))
        assert partitions == defaults["partitions"], service


def test_kafka_runs_in_kraft_mode_without_auto_created_topics() -> None:
    kafka = COMPOSE["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "kafka-topics.sh" in kafka["healthcheck"]["test"][1] and "--list" in kafka["healthcheck"]["test"][1]
    # A new data volume means a new cluster id (the relays republish on a new id): never a fixed one.
    assert "CLUSTER_ID" not in env and "kafka-storage.sh random-uuid" in kafka["command"][-1]
    assert f"kafkadata:{env['KAFKA_LOG_DIRS']}" in kafka["volumes"]


# --- Traces and metrics --------------------------------------------------------------------


def test_collector_receives_otlp_and_sends_traces_to_jaeger() -> None:
    collector = yaml.safe_load((DEPLOY / "otel" / "collector.yaml").read_text())
    protocols = collector["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")
    pipelines = collector["service"]["pipelines"]
    for pipeline in pipelines.values():  # everything a pipeline names is defined
        for section in ("receivers", "processors", "exporters"):
            assert set(pipeline.get(section, [])) <= set(collector[section])
    assert set(collector["service"].get("extensions", [])) <= set(collector.get("extensions", {}))
    jaeger_exporters = [e for e in pipelines["traces"]["exporters"] if e.split("/")[0] == "otlp"]
    assert [collector["exporters"][e]["endpoint"] for e in jaeger_exporters] == ["jaeger:4317"]
    assert COMPOSE["services"]["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    otel = COMPOSE["services"]["otel-collector"]
    mount = next(v for v in otel["volumes"] if v.startswith("./deploy/otel/collector.yaml:"))
    assert otel["command"] == [f"--config={mount.split(':')[1]}"]


def test_prometheus_scrapes_every_service_and_the_collector() -> None:
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    scraped = {
        (target, job.get("metrics_path", "/metrics"))
        for job in prometheus["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for service in SERVICES:
        assert (f"{service}:{settings_class(service).default_port}", "/metrics") in scraped
    collector = yaml.safe_load((DEPLOY / "otel" / "collector.yaml").read_text())
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert (f"otel-collector:{exporter_port}", "/metrics") in scraped
    service = COMPOSE["services"]["prometheus"]
    mount = next(v for v in service["volumes"] if v.startswith("./deploy/prometheus/prometheus.yml:"))
    assert f"--config.file={mount.split(':')[1]}" in service["command"]


def container_path(service: str, source: str) -> str:
    """Where compose mounts ``source`` (a path under the repository) in ``service``'s container."""
    for volume in COMPOSE["services"][service]["volumes"]:
        host, target = volume.split(":")[:2]
        if source == host or source.startswith(host.rstrip("/") + "/"):
            return target + source[len(host) :]
    raise AssertionError(f"{source} is not mounted in {service}")


def test_prometheus_loads_the_alert_rules() -> None:
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert prometheus["rule_files"] == [container_path("prometheus", "./deploy/prometheus/alerts.yml")]
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) >= 6
    for alert in alerts:
        assert alert["annotations"]["summary"], alert["alert"]
        assert alert["annotations"]["runbook_url"] == f"docs/runbook.md#{alert['alert'].lower()}"


def runbook_anchors() -> set[str]:
    """GitHub's anchors of docs/runbook.md's headings (lower case, punctuation dropped, spaces to dashes)."""
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "runbook.md").read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_alert_has_its_runbook_section() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    anchors = runbook_anchors()
    for rule in (r for g in rules["groups"] for r in g["rules"] if "alert" in r):
        assert rule["annotations"]["runbook_url"].split("#", 1)[1] in anchors, rule["alert"]
    assert "no-such-alert" not in anchors


def test_the_alert_rules_have_a_promtool_test_for_each_alert() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts.test.yml").read_text())
    assert tests["rule_files"] == ["alerts.yml"]
    tested = {case["alertname"]: case for t in tests["tests"] for case in t.get("alert_rule_test", [])}
    for rule in (r for g in rules["groups"] for r in g["rules"] if "alert" in r):
        cases = [c for t in tests["tests"] for c in t.get("alert_rule_test", []) if c["alertname"] == rule["alert"]]
        assert any(c["exp_alerts"] for c in cases), f"{rule['alert']}: no case where it fires"
        assert any(not c["exp_alerts"] for c in cases), f"{rule['alert']}: no case where it must not"
    assert tested


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    grafana = COMPOSE["services"]["grafana"]
    provisioning = container_path("grafana", "./deploy/grafana/provisioning")
    assert provisioning == "/etc/grafana/provisioning"
    sources = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    prometheus_port = COMPOSE["services"]["prometheus"]["ports"][0].rsplit(":", 1)[1]
    assert source["url"] == f"http://prometheus:{prometheus_port}"
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    providers = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "whole-justice.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["options"]["path"] == container_path("grafana", "./deploy/grafana/dashboards")
    dashboards = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert [d.name for d in dashboards] == ["whole-justice.json"]
    dashboard = json.loads(dashboards[0].read_text())
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == container_path("grafana", "./deploy/grafana/dashboards/whole-justice.json")
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert grafana["environment"]["GF_AUTH_DISABLE_LOGIN_FORM"] == "true"


# --- Secrets -------------------------------------------------------------------------------


def test_generated_secrets_are_accepted_by_the_services_in_prod(secrets_dir: Path) -> None:
    for name, secret in COMPOSE["secrets"].items():
        assert (secrets_dir / Path(secret["file"]).name).is_file(), name
        mode = (secrets_dir / Path(secret["file"]).name).stat().st_mode
        assert mode & stat.S_IROTH  # readable by the services' uid 10001 inside the container
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((secrets_dir / "compose.env").stat().st_mode) == 0o600
    settings = settings_class("intake").model_construct(
        env="prod", jwt_secret="", jwt_secret_file=secrets_dir / "jwt_secret", state_dir=secrets_dir / "state"
    )
    assert len(auth.signing_key(settings)) >= 32
    for name in ("intake_data_key", "support_data_key"):
        keyring = Keyring.from_settings("", secrets_dir / name, secrets_dir / "state", "prod")
        assert keyring.open(keyring.seal({"phone": "x"}, "01YE0000126"), "01YE0000126") == {"phone": "x"}
    key = pseudonym_key("", secrets_dir / "pseudonym_key", secrets_dir / "state", "prod")
    assert len(key) >= 32 and key not in (secrets_dir / "intake_data_key").read_text().encode()
    for value in load_make_secrets().compose_env().splitlines()[1:]:
        assert re.fullmatch(r"[A-Z_]+=[A-Za-z0-9_-]{32,}", value)  # safe inside a postgresql:// URL


def test_secrets_are_never_overwritten_and_data_keys_rotate(tmp_path: Path) -> None:
    make_secrets = load_make_secrets()
    assert len(make_secrets.create(tmp_path)) == 5
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert make_secrets.create(tmp_path) == []
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before

    old = Keyring.parse(before["intake_data_key"].strip())
    sealed = old.seal({"phone": "x"}, "01YE0000126")
    shutil.copy(tmp_path / "intake_data_key", tmp_path / "previous")
    make_secrets.rotate(tmp_path, "intake_data_key")
    rotated = Keyring.parse((tmp_path / "intake_data_key").read_text().strip())
    assert list(rotated.keys)[1:] == list(old.keys) and rotated.primary != old.primary
    assert rotated.open(sealed, "01YE0000126") == {"phone": "x"}  # old rows still open
    assert rotated.seal({"phone": "y"}, "u").key_id == rotated.primary  # new rows use the new key


def test_the_pseudonym_key_is_its_own_secret_kept_from_an_older_compose_env_and_never_rotated(
    tmp_path: Path,
) -> None:
    make_secrets = load_make_secrets()
    tmp_path.chmod(0o700)
    (tmp_path / "compose.env").write_text("POSTGRES_PASSWORD=p\nWJA_PSEUDONYM_KEY=kept-from-before-0123456789abcdef\n")
    assert "pseudonym_key" in make_secrets.create(tmp_path)
    assert (tmp_path / "pseudonym_key").read_text().strip() == "kept-from-before-0123456789abcdef"
    fresh = tmp_path / "fresh"
    make_secrets.create(fresh)
    assert (fresh / "pseudonym_key").read_text().strip() not in (fresh / "intake_data_key").read_text()
    assert "WJA_PSEUDONYM_KEY" not in (fresh / "compose.env").read_text()
    with pytest.raises(SystemExit, match="never rotated"):
        make_secrets.rotate(fresh, "pseudonym_key")


def test_secret_files_are_ignored_by_git() -> None:
    assert shutil.which("git") and (ROOT / ".git").exists(), "the repository is checked out with git (CI clones it)"
    names = [f"deploy/secrets/{Path(s['file']).name}" for s in COMPOSE["secrets"].values()]
    names.append("deploy/secrets/compose.env")
    result = subprocess.run(["git", "check-ignore", *names], cwd=ROOT, capture_output=True, text=True, check=False)
    assert sorted(result.stdout.split()) == sorted(names)
    kept = subprocess.run(["git", "check-ignore", "deploy/secrets/README.md"], cwd=ROOT, check=False)
    assert kept.returncode == 1  # the README is committed


def test_runbook_start_command_uses_the_real_profiles_and_env_file() -> None:
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    commands = re.findall(r"docker compose [^`\n]*", runbook)
    assert commands
    profiles = {p for spec in COMPOSE["services"].values() for p in spec["profiles"]}
    for command in commands:
        assert set(re.findall(r"--profile (\S+)", command)) <= profiles, command
    assert "docker compose --env-file deploy/secrets/compose.env --profile infra --profile services up" in runbook


def test_the_jwt_secret_rotates_with_an_overlap_and_retires_the_old_key(tmp_path: Path) -> None:
    make_secrets = load_make_secrets()
    make_secrets.create(tmp_path)

    def keys() -> tuple[str, ...]:
        settings = settings_class("intake").model_construct(
            env="prod", jwt_secret="", jwt_secret_file=tmp_path / "jwt_secret", state_dir=tmp_path / "state"
        )
        return auth.verification_keys(settings)

    (old,) = keys()
    old_token = auth.mint(old, sub="pc-1", agency="police", role="officer", force="YE")
    make_secrets.rotate(tmp_path, "jwt_secret")
    new, previous = keys()
    assert previous == old and new != old
    assert auth.verify(old_token, keys()).sub == "pc-1"  # still accepted during the overlap
    make_secrets.rotate(tmp_path, "jwt_secret")
    assert keys()[1:] == (new,)  # only the key before the newest stays
    make_secrets.retire(tmp_path, "jwt_secret")
    (newest,) = keys()
    assert newest != new
    with pytest.raises(HTTPException) as refused:
        auth.verify(auth.mint(new, sub="pc-1", agency="police", role="officer"), keys())
    assert refused.value.status_code == 401
    with pytest.raises(SystemExit):
        make_secrets.retire(tmp_path, "intake_data_key")
    with pytest.raises(SystemExit, match="does not exist: run"):  # a message, not a traceback
        make_secrets.rotate(tmp_path / "none", "jwt_secret")
