"""Settings shared by every service, read with pydantic-settings.

Each service subclasses :class:`ServiceSettings` naming its ``service``; its environment prefix follows
(``INTAKE_``…).
The standard unprefixed variables (``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS``, ``WJA_*``)
are read too, with lower priority, so a container that runs one service can use them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

STANDARD_ENV: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "env": "WJA_ENV",
    "state_dir": "WJA_STATE_DIR",
    "jwt_secret": "WJA_JWT_SECRET",
    "jwt_secret_file": "WJA_JWT_SECRET_FILE",
    "data_key": "WJA_DATA_KEY",
    "data_key_file": "WJA_DATA_KEY_FILE",
    "intake_url": "WJA_INTAKE_URL",
    "simulation": "WJA_SIMULATION",
    "simulation_secret": "WJA_SIMULATION_SECRET",
}
"""Field → the unprefixed variable that sets it when the prefixed one is absent."""

DEFAULT_STATE_DIR = Path(".wja")


class _StandardEnv(PydanticBaseSettingsSource):
    """Reads the unprefixed standard variables of :data:`STANDARD_ENV`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = STANDARD_ENV.get(field_name)
        return (os.environ.get(name) if name else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field_name in self.settings_cls.model_fields:
            value, _, _ = self.get_field_value(self.settings_cls.model_fields[field_name], field_name)
            if value is not None:
                out[field_name] = value
        return out


class ServiceSettings(BaseSettings):
    """What every service needs: where its database and the broker are, auth and telemetry.

    Defaults are the embedded stack's (``wja up``).
    """

    model_config = SettingsConfigDict(env_prefix="WJA_", extra="ignore")

    service: ClassVar[str] = "platform"
    default_port: ClassVar[int] = 8100
    consumes: ClassVar[tuple[str, ...]] = ()
    """The producers whose topics this service reads."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """A service's settings read the environment under its name: ``COURT_…`` for ``service = "court"``."""
        super().__pydantic_init_subclass__(**kwargs)
        cls.model_config["env_prefix"] = f"{cls.service.upper()}_"

    env: Literal["dev", "prod"] = "dev"
    http_host: str = "127.0.0.1"
    http_port: int = 0
    database_url: str = ""
    db_pool_min: int = 1
    db_pool_max: int = 10
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    consumer_group: str = ""
    consumer_batch_size: int = Field(default=200, ge=1)
    consumer_fetch_max_wait_ms: int = Field(default=100, ge=0)
    """How long the broker may hold an empty fetch. It answers as soon as a record arrives, so this costs
    no latency; 5 ms made every idle consumer poll 200 times a second (half of the 2-core bench machine
    burnt idle: docs/performance-journal.md)."""
    consumer_commit_interval_ms: int = Field(default=200, ge=10)
    """How often processed Kafka offsets are committed (:mod:`wja_platform.offsets`). Longer saves broker
    round trips; what a crash or a rebalance leaves uncommitted is delivered again and absorbed by the inbox."""
    consumer_session_timeout_ms: int = Field(default=2000, ge=500)
    """The embedded broker assigns partitions after half of it; Apache Kafka needs ≥ 6000."""
    consumer_stale_restart_seconds: float = Field(default=2.0, gt=0)
    """How long the broker may answer the group leader with another assignment than it computed before
    the consumer is restarted (see wja_platform.assignment)."""
    consumer_coordinator_lost_restart_seconds: float = Field(default=15.0, gt=0)
    """How long a consumer may be without its group's coordinator, while the broker answers, before it is
    restarted (see wja_platform.assignment). A consumer that rejoins a new broker finds it within a second or two."""
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_retry_backoff_ms: int = Field(default=50, ge=0)
    parking_timeout_seconds: float = Field(default=3600.0, gt=0)
    parking_retry_seconds: float = Field(default=1.0, gt=0)
    idempotency_retention_hours: float = Field(default=24.0, gt=0)
    """How long the answer to a POST sent with an Idempotency-Key is kept for retries."""
    purge_batch_size: int = Field(default=500, ge=1)
    """Cases erased per transaction by the retention purge."""
    rewrap_check_seconds: float = Field(default=3600.0, gt=0)
    """How often rows encrypted under an older data key are re-wrapped under the first one."""
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    metrics_refresh_seconds: float = Field(default=5.0, gt=0)
    """How often the gauges read from the database and the broker (backlog, dead letters, lag, readiness)
    are refreshed in the background."""
    state_dir: Path = DEFAULT_STATE_DIR
    jwt_secret: str = ""
    jwt_secret_file: Path | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    data_key: str = ""
    data_key_file: Path | None = None
    intake_url: str = "http://127.0.0.1:8101"
    simulation: bool = False
    """Honour simulated time (``WJA-Sim-Time`` requests, events' ``ce_time``): see ``docs/simulation.md``.
    Refused at start-up in ``prod``."""
    simulation_secret: str = ""
    """The key simulated times are signed with (default: derived from the token signing key)."""

    @model_validator(mode="after")
    def _no_simulation_in_prod(self) -> ServiceSettings:
        if self.env == "prod" and self.simulation:
            msg = "WJA_SIMULATION is refused when WJA_ENV is prod: simulated time is for dev, demos and tests only"
            raise ValueError(msg)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Prefixed variables first, then the standard unprefixed ones."""
        return (init_settings, env_settings, _StandardEnv(settings_cls), file_secret_settings)

    @property
    def port(self) -> int:
        """The HTTP port: configured, or the service's default of the embedded stack."""
        return self.http_port or self.default_port

    @property
    def dsn(self) -> str:
        """The database URL; the embedded default when none is set."""
        return self.database_url or f"postgresql://wja_{self.service}@127.0.0.1:5433/wja_{self.service}"

    @property
    def group_id(self) -> str:
        """The consumer group (and inbox consumer name): ``wja-<service>`` unless configured."""
        return self.consumer_group or f"wja-{self.service}"

    @property
    def trace_dir(self) -> Path:
        """Where spans go when no ``OTEL_*`` exporter is configured."""
        return self.state_dir / "traces"

    @classmethod
    def env_names(cls) -> set[str]:
        """Every environment variable this settings class reads (for deploy checks)."""
        prefix = cls.model_config.get("env_prefix", "")
        names = {f"{prefix}{name}".upper() for name in cls.model_fields}
        return names | {STANDARD_ENV[n] for n in cls.model_fields if n in STANDARD_ENV}
