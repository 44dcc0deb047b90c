"""Metrics settings (env prefix `SENDER_`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from sender_common.settings import CommaList, CommonSettings, role_model


@role_model("metrics")
class MetricsSettings(CommonSettings):
    http_port: int = Field(default=8082, ge=0, le=65535)
    # public keys (base64url ed25519) of nodes accepted without a token: SENDER_METRICS_NODE_KEYS
    metrics_node_keys: CommaList = Field(default_factory=list)
    snapshot_seconds: float = Field(default=60.0, gt=0)
    snapshot_retention_seconds: float = Field(default=7 * 86400.0, gt=0)
    history_retention_days: int = Field(default=400, ge=1)
    max_batch_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_batch_age_seconds: float = Field(default=3600.0, gt=0)
    endpoint_label_limit: int = Field(default=100, ge=1)
    # replicas share viewers, pins and sequences here (SENDER_METRICS_REDIS_URL); unset: in-process
    metrics_redis_url: str | None = None

    @field_validator("metrics_redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "SENDER_METRICS_REDIS_URL must be a redis://, rediss:// or unix:// URL"
            )
        return value or None
