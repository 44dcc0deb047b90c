"""Settings shared by every role (env prefix `SENDER_`), and the environment of a child role.

Each role has one settings model (`OriginSettings`, `EdgeSettings`, `MetricsSettings`, all
`CommonSettings`, which includes `ViewerSettings`), read once when the role starts and passed
down. A role's package declares its model with `@role_model("<role>")` in its
`sender_<role>.settings`; this module names no role's model, and `role_settings(role)` finds
it there. HLS defaults are written once, in `HlsConfig` (`HLS_DEFAULTS`).

Whoever starts a role process builds its environment from that model (`settings_env.py`).
Names and defaults are the README's configuration table (tests/docs checks it).
"""

from __future__ import annotations

__all__ = [
    "HLS_DEFAULTS",
    "ROLES",
    "CommaList",
    "CommonSettings",
    "HlsConfig",
    "ViewerSettings",
    "default_data_dir",
    "role_model",
    "role_settings",
]

import dataclasses
import importlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)

# the roles, in the order the configuration table lists them (a role package may not be
# installed); role `r` lives in the package `sender_r`
ROLES = ("origin", "edge", "metrics")


def default_data_dir() -> Path:
    """`./data` in the working directory."""
    return Path.cwd() / "data"


DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class HlsConfig:
    """HLS timing and retention, one definition for every role."""

    segment_seconds: float = 2.0
    window_segments: int = 6
    retention_seconds: float = 3600.0
    part_seconds: float = 0.5  # the LL-HLS part target: SENDER_HLS_PART_SECONDS, PART-TARGET
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


# the one place HLS defaults are written: every role's `hls_*` setting, the edge's timing and
# `sender up` take theirs from here
HLS_DEFAULTS = HlsConfig()


def split_commas(value: object) -> object:
    """`a, b,c` -> ["a", "b", "c"]: how a list setting is written in one variable."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# a list setting: comma-separated in its variable (not JSON)
CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_commas)]

# HlsConfig's env form: the `hls_<name>` field of CommonSettings for each of its fields
HLS_FIELDS = tuple(f.name for f in dataclasses.fields(HlsConfig))


class ViewerSettings(BaseModel):
    """Viewer counting and reporting (`sender_common.viewers`), part of `CommonSettings`.

    The token and the idle time are shared: nodes present the token and metrics checks it;
    nodes and metrics end a silent viewer after the same idle time."""

    viewer_salt: str = ""
    viewer_idle_seconds: float | None = Field(default=None, gt=0)
    viewer_report_seconds: float = Field(default=2.0, gt=0)
    # on shutdown: how long the final batch (and the rest of the bulk queue) may take
    viewer_final_flush_seconds: float = Field(default=2.0, ge=0)
    viewer_retry_max_seconds: float = Field(default=5.0, gt=0)
    viewer_bulk_max_batches: int = Field(default=1000, ge=1)
    viewer_bulk_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    viewer_events_rate: float = Field(default=5.0, gt=0)
    viewer_events_burst: int = Field(default=10, ge=1)
    viewer_label_limit: int = Field(default=100, ge=1)
    viewer_max_per_client: int = Field(default=50, ge=1)
    metrics_ingest_token: str | None = None


class CommonSettings(BaseSettings, ViewerSettings):
    """What every role reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="SENDER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    ffmpeg_executable: str | None = None
    trusted_proxies: CommaList = Field(default_factory=list)
    count_localhost: bool = False
    api_token: str | None = None
    metrics_url: str | None = None
    node_name: str | None = None
    hls_segment_seconds: float = Field(default=HLS_DEFAULTS.segment_seconds, gt=0.2, le=30)
    hls_window_segments: int = Field(default=HLS_DEFAULTS.window_segments, ge=2, le=100)
    hls_retention_seconds: float = Field(default=HLS_DEFAULTS.retention_seconds, ge=0)
    hls_part_seconds: float = Field(default=HLS_DEFAULTS.part_seconds, ge=0.2, le=1.0)
    hls_low_latency: bool = HLS_DEFAULTS.low_latency
    log_level: str = "INFO"

    # -- secure by default (management credentials off loopback) -------------------------
    # Off a loopback bind a role refuses to start without SENDER_API_TOKEN, unless the
    # operator says their own auth sits in front (logged as a warning at every start).
    insecure_no_token: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"SENDER_TRUSTED_PROXIES: {cidr!r} is not a CIDR") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0].split("+", 1)[0]
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                "SENDER_DATABASE_URL: Sender stores its state in SQLite or PostgreSQL "
                "(sqlite:///path or postgresql://user:pass@host/db)"
            )
        return value

    @property
    def hls(self) -> HlsConfig:
        return HlsConfig(**{name: getattr(self, f"hls_{name}") for name in HLS_FIELDS})

    @property
    def idle_seconds(self) -> float:
        """When a silent viewer has gone: `SENDER_VIEWER_IDLE_SECONDS` or from HLS timing."""
        return self.viewer_idle_seconds or self.hls.viewer_idle_seconds

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'sender.db'}"

    def effective_database_url(self) -> str:
        """The configured URL, PostgreSQL through psycopg 3 (the driver that ships) unless the
        URL names another driver."""
        url = self.database_url or self.sqlite_url()
        scheme, rest = url.split("://", 1)
        if scheme in ("postgresql", "postgres"):
            return f"postgresql+psycopg://{rest}"
        return url


# -- each role's model, declared by the role ---------------------------------------------------


C = TypeVar("C", bound=CommonSettings)
_ROLE_MODELS: dict[str, type[CommonSettings]] = {}


def role_model(role: str) -> Callable[[type[C]], type[C]]:
    """Class decorator: the settings model of `role`, as `role_settings(role)` returns it."""

    def register(model: type[C]) -> type[C]:
        _ROLE_MODELS[role] = model
        return model

    return register


def role_settings(role: str) -> type[CommonSettings]:
    """The settings model of `role` (one of ROLES), declared in `sender_<role>.settings`."""
    if role not in ROLES:
        raise KeyError(role)
    if role not in _ROLE_MODELS:
        importlib.import_module(f"sender_{role}.settings")  # declaring its model registers it
    return _ROLE_MODELS[role]
