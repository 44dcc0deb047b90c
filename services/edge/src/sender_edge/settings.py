"""Edge settings (env prefix `SENDER_`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from sender_common.settings import CommaList, CommonSettings, role_model
from sender_common.webrtc.config import WebrtcSettings
from sender_edge.mirror.upstream.policy import parse_entry


def check_upstream_url(value: str) -> str:
    """An upstream is an http(s) base URL without query, fragment or credentials."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must not carry a query, a fragment or credentials")
    return value.rstrip("/")


@role_model("edge")
class EdgeSettings(CommonSettings, WebrtcSettings):
    http_port: int = Field(default=8081, ge=0, le=65535)
    upstream_url: str | None = None
    on_demand: bool = True
    reconcile_seconds: float = Field(default=10.0, gt=0)
    upstream_timeout: float = Field(default=5.0, gt=0)
    fetch_concurrency: int = Field(default=4, ge=1, le=64)
    stale_after_targets: float = Field(default=3.0, gt=0)
    upstream_grace_seconds: float = Field(default=10.0, ge=0)
    upstream_bind: str | None = None  # local address upstream fetches come from
    retention_check_seconds: float = Field(default=30.0, gt=0)

    # -- secure by default: allowlisted upstreams, bounded sessions ------------------------
    upstream_allow: CommaList = Field(default_factory=list)
    on_demand_idle_seconds: float = Field(default=60.0, gt=0)
    edge_max_sessions: int = Field(default=100, ge=1)

    @field_validator("upstream_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_entry(entry)  # its ValueError names SENDER_UPSTREAM_ALLOW
        return value

    @field_validator("upstream_url")
    @classmethod
    def _check_upstream(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return check_upstream_url(value)
        except ValueError as exc:
            raise ValueError(f"SENDER_UPSTREAM_URL: {exc}") from exc
