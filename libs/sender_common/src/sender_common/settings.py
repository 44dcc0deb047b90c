"""Settings shared by every role (env prefix `SENDER_`), and the environment of a child role.

Each role has one settings model (`OriginSettings`, `EdgeSettings`, `MetricsSettings`, all
`CommonSettings`, which includes `ViewerSettings`), read once when the role starts and passed
down. Whoever starts a role process (`sender up`, tests, the e2e harness) builds its
environment from that model, `role_env("edge", upstream_url=...)` or
`settings_env(given(Model, ...))`, so a misspelled or renamed field fails there, not silently
in the child. Names and defaults are the README's configuration table (tests/docs checks it).
"""

from __future__ import annotations

__all__ = [
    "ROLE_SETTINGS",
    "CommaList",
    "CommonSettings",
    "HlsConfig",
    "ViewerSettings",
    "check_env_names",
    "default_data_dir",
    "env_name",
    "given",
    "role_env",
    "role_settings",
    "settings_env",
    "settings_from_env",
]

import dataclasses
import importlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NoDecode,
    SettingsConfigDict,
)

S = TypeVar("S", bound=BaseSettings)

# the module and class of each role's settings model (a role package may not be installed)
ROLE_SETTINGS = {
    "origin": ("sender_origin.settings", "OriginSettings"),
    "edge": ("sender_edge.settings", "EdgeSettings"),
    "metrics": ("sender_metrics.settings", "MetricsSettings"),
}


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


# -- a child role's environment, from its settings model ---------------------------------------


def role_settings(role: str) -> type[CommonSettings]:
    """The settings model of `role` ("origin", "edge", "metrics")."""
    module, name = ROLE_SETTINGS[role]
    model: type[CommonSettings] = getattr(importlib.import_module(module), name)
    return model


def env_name(model: type[BaseSettings], field: str) -> str:
    """The variable that sets `field` of `model`: its alias, or env prefix and name."""
    info = model.model_fields[field]
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    if alias:
        return alias.upper()
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


def given(model: type[S], /, **values: Any) -> S:
    """`model` validated from these field values and its defaults only (not the environment);
    `hls=HlsConfig(...)` stands for the `hls_*` fields. An unknown field is refused."""
    if (hls := values.pop("hls", None)) is not None:
        values |= {f"hls_{name}": getattr(hls, name) for name in HLS_FIELDS}
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
    return model(_build_sources=((InitSettingsSource(model, values),), {}))


class _GivenEnv(EnvSettingsSource):
    """The env source reading a given mapping instead of `os.environ`."""

    def __init__(self, model: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = dict(env)
        super().__init__(model)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return self._given
        return {key.lower(): value for key, value in self._given.items()}


def check_env_names(model: type[BaseSettings], names: Iterable[str]) -> None:
    """Refuse a variable with the model's prefix (`SENDER_`) that sets none of its fields."""
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    known = {env_name(model, field) for field in model.model_fields}
    unknown = sorted(n for n in names if n.upper().startswith(prefix) and n.upper() not in known)
    if unknown:
        raise ValueError(f"{model.__name__} has no variable {', '.join(unknown)}")


def settings_from_env(model: type[S], env: Mapping[str, str]) -> S:
    """`model` as a child process given exactly `env` reads it (not `os.environ`); see
    `check_env_names`."""
    check_env_names(model, env)
    return model(_build_sources=((_GivenEnv(model, env),), {}))


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):  # NoDecode lists, split on commas by their validators
        return ",".join(_env_value(item) for item in value)
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "2", as people write it
    return str(value)  # str() of a float is exact (its shortest round-tripping form)


def settings_env(settings: BaseSettings) -> dict[str, str]:
    """The variables that give a child process `settings`: each field set explicitly and not
    None (an unset variable means the default). Checked by reading them back."""
    model = type(settings)
    env = {
        env_name(model, name): _env_value(value)
        for name in sorted(settings.model_fields_set)
        if (value := getattr(settings, name)) is not None
    }
    back = settings_from_env(model, env)
    lost = sorted(
        name
        for name in settings.model_fields_set
        if getattr(settings, name) is not None and getattr(back, name) != getattr(settings, name)
    )
    if lost:
        raise ValueError(f"{model.__name__}: the environment cannot carry {', '.join(lost)}")
    return env


def role_env(role: str, /, **values: Any) -> dict[str, str]:
    """The variables giving a child `role` process these field values (see `given`)."""
    return settings_env(given(role_settings(role), **values))
