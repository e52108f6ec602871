"""Configuration read from the environment by pydantic-settings.

Shared settings use the ``KAFKA_`` and ``MILE_`` prefixes; each service subclasses
``ServiceSettings`` with its own prefix (``INTAKE_DATABASE_URL``...), so one
deployment's environment can never be mistaken for another's.
"""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """How to reach the Kafka cluster (plain, TLS or SASL)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:19092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None


class PlatformSettings(BaseSettings):
    """Knobs every service shares; defaults suit the embedded broker."""

    model_config = SettingsConfigDict(env_prefix="MILE_", extra="ignore")

    kafka_idempotence: bool = False
    consumer_group_prefix: str = ""  # consumer group = prefix + service name (tests isolate runs with it)
    log_level: str = "INFO"
    consumer_session_timeout_ms: int = 6000
    consumer_heartbeat_interval_ms: int = 500
    consumer_max_records: int = 2000  # a batch is one transaction: larger ones drain a backlog in fewer commits
    # How long the broker may hold a fetch that finds nothing new. Apache Kafka answers as soon as
    # records arrive, so this only sets how often an idle consumer polls; tansu answers only at
    # the end of the wait, so it is latency added to every hop (measured: median 215 ms at 500 ms).
    consumer_fetch_max_wait_ms: int = 100
    relay_batch_size: int = 500
    relay_poll_interval_s: float = 1.0
    retry_max_backoff_s: float = 30.0
    unknown_error_attempts: int = 3
    max_body_bytes: int = 1_000_000
    # How long a repeat of a write with an Idempotency-Key replays its first response (mile_platform.idempotency).
    idempotency_retention_h: float = Field(default=24.0, gt=0)
    # How long a consumer remembers an event it applied: must exceed the retention of the topics
    # (7 days) and of the dead-letter topics (30 days) it reads, or a replayed event applies twice.
    inbox_retention_days: float = Field(default=45.0, gt=0)
    retention_interval_s: float = Field(default=600.0, gt=0)  # how often both are applied


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set ``env_prefix``."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    db_pool_min: int = 1
    db_pool_max: int = 10
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
