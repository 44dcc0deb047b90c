"""Settings shared by every role (env prefix `SENDER_`)."""

from __future__ import annotations

__all__ = ["CommonSettings", "HlsConfig", "default_data_dir"]

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    """`./data` in the working directory."""
    return Path.cwd() / "data"


@dataclass(frozen=True, slots=True)
class HlsConfig:
    """HLS timing and retention, one definition for every role."""

    segment_seconds: float = 2.0
    window_segments: int = 6
    retention_seconds: float = 3600.0
    part_seconds: float = 0.5
    low_latency: bool = True

    @property
    def block_seconds(self) -> float:
        """How long a blocking reload or a preload-hinted part may wait (three targets)."""
        return 3 * max(1, round(self.segment_seconds))

    @property
    def window_seconds(self) -> float:
        return self.segment_seconds * self.window_segments

    @property
    def reload_seconds(self) -> float:
        """How often a client reloads a live playlist (RFC 8216 6.3.4: about half the target)."""
        return max(0.25, self.segment_seconds / 2)

    @property
    def viewer_idle_seconds(self) -> float:
        """A viewer silent this long has gone: a few reloads, at least a heartbeat period."""
        return max(self.window_seconds, 15.0)


class CommonSettings(BaseSettings):
    """What every role reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="SENDER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    ffmpeg_executable: str | None = None
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    count_localhost: bool = False
    api_token: str | None = None
    metrics_url: str | None = None
    node_name: str | None = None
    hls_segment_seconds: float = Field(default=2.0, gt=0.2, le=30)
    hls_window_segments: int = Field(default=6, ge=2, le=100)
    hls_retention_seconds: float = Field(default=3600.0, ge=0)
    hls_part_seconds: float = Field(default=0.5, ge=0.2, le=1.0)
    hls_low_latency: bool = True
    log_level: str = "INFO"

    # -- secure by default (management credentials off loopback) -------------------------
    # Off a loopback bind a role refuses to start without SENDER_API_TOKEN, unless the
    # operator says their own auth sits in front (logged as a warning at every start).
    insecure_no_token: bool = False

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"SENDER_TRUSTED_PROXIES: {cidr!r} is not a CIDR") from exc
        return value

    @property
    def hls(self) -> HlsConfig:
        return HlsConfig(
            segment_seconds=self.hls_segment_seconds,
            window_segments=self.hls_window_segments,
            retention_seconds=self.hls_retention_seconds,
            part_seconds=self.hls_part_seconds,
            low_latency=self.hls_low_latency,
        )

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'sender.db'}"

    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_url()
