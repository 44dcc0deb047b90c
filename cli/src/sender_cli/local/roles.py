"""What `sender up` runs: one spec per role, its argv and environment, port checks."""

from __future__ import annotations

from sender_cli.client import SenderCliError

__all__ = [
    "PortBusyError",
    "RoleSpec",
    "UpConfig",
    "UpSettings",
    "check_ports",
    "role_available",
    "role_specs",
]

import copy
import errno
import importlib.util
import secrets
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sender_common.hls import HTTP_PROTOCOL
from sender_common.settings import HLS_DEFAULTS, role_settings
from sender_common.settings_env import role_env

# the origin's model declares what `sender up` shares with it (names, defaults, bounds)
_ORIGIN = role_settings("origin")


def _origin_field(name: str) -> Any:
    """A field of the origin's settings model, for `UpSettings` to read the same way."""
    return copy.deepcopy(_ORIGIN.model_fields[name])


def _origin_default(name: str) -> Any:
    return _ORIGIN.model_fields[name].get_default(call_default_factory=True)


class PortBusyError(SenderCliError):
    """A port `sender up` needs is taken; the message names the flag to change."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class UpConfig:
    """Everything `sender up` was asked for."""

    data_dir: Path
    host: str = "127.0.0.1"
    origin_port: int = _origin_default("http_port")
    rtmp_port: int = _origin_default("rtmp_port")
    srt_port: int = _origin_default("srt_port")  # 0: any free port (tests)
    edge_port: int = 8081
    metrics_port: int = 8082
    demo: bool = False
    segment_seconds: float = HLS_DEFAULTS.segment_seconds
    window_segments: int = HLS_DEFAULTS.window_segments
    ready_timeout: float = 60.0
    stop_timeout: float = 10.0
    child_log_level: str = "warning"
    restart_budget: int = 5  # restarts of one role within restart_window seconds
    restart_window: float = 120.0
    # admits the local origin and edge at the metrics role (their first batch carries it)
    ingest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def url(self, port: int) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"


class UpSettings(BaseSettings):
    """What `sender up` reads: its flags (passed in) over SENDER_* variables over defaults.
    The settings it shares with the origin are the origin's fields; only its own are here."""

    model_config = SettingsConfigDict(env_prefix="SENDER_", extra="ignore")

    data_dir: Path = _origin_field("data_dir")
    host: str = _origin_field("host")
    rtmp_port: int = _origin_field("rtmp_port")
    srt_port: int = _origin_field("srt_port")
    hls_segment_seconds: float = _origin_field("hls_segment_seconds")
    hls_window_segments: int = _origin_field("hls_window_segments")
    up_restart_budget: int = Field(default=5, ge=0)  # restarts of one role within 120 s

    @classmethod
    def from_flags(cls, **flags: Any) -> UpSettings:
        """Flags left unset (None) fall through to the environment, then the defaults."""
        return cls(**{name: value for name, value in flags.items() if value is not None})

    def config(self, **rest: Any) -> UpConfig:
        values = {_CONFIG_NAMES.get(name, name): v for name, v in self.model_dump().items()}
        return UpConfig(**{**values, "data_dir": self.data_dir.resolve(), **rest})


# UpSettings field -> UpConfig field, where the names differ
_CONFIG_NAMES = {
    "hls_segment_seconds": "segment_seconds",
    "hls_window_segments": "window_segments",
    "up_restart_budget": "restart_budget",
}


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """One role as a child process."""

    name: str
    port: int
    flag: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def factory(self) -> str:
        return f"sender_{self.name}.main:create_app"

    def argv(self, host: str, log_level: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            self.factory,
            "--http",
            HTTP_PROTOCOL,
            "--host",
            host,
            "--port",
            str(self.port),
            "--log-level",
            log_level,
            "--no-access-log",
        ]


def role_available(name: str) -> bool:
    """True when `sender_<name>.main` can be found (a role may not be installed)."""
    try:
        return importlib.util.find_spec(f"sender_{name}.main") is not None
    except ImportError:
        return False


def _role_env(config: UpConfig, name: str, port: int, **values: Any) -> dict[str, str]:
    """The role's SENDER_* variables, built from its settings model."""
    return role_env(
        name,
        data_dir=(config.data_dir / name).resolve(),
        host=config.host,
        http_port=port,
        count_localhost=True,
        hls_segment_seconds=config.segment_seconds,
        hls_window_segments=config.window_segments,
        **values,
    )


def role_specs(config: UpConfig, available: set[str]) -> list[RoleSpec]:
    """The roles to start, in start order (metrics first: the others report to it)."""
    admit = {"metrics_ingest_token": config.ingest_token}
    report: dict[str, Any] = {}
    if "metrics" in available:
        report = {"metrics_url": config.url(config.metrics_port), **admit}
    ingest = {"rtmp_port": config.rtmp_port, "srt_port": config.srt_port}
    roles: list[tuple[str, int, dict[str, Any]]] = [
        ("metrics", config.metrics_port, admit),
        ("origin", config.origin_port, {**ingest, **report}),
        ("edge", config.edge_port, {"upstream_url": config.url(config.origin_port), **report}),
    ]
    return [
        RoleSpec(name, port, f"--{name}-port", _role_env(config, name, port, **values))
        for name, port, values in roles
        if name == "origin" or name in available
    ]


def _port_free(host: str, port: int, kind: int = socket.SOCK_STREAM) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as sock:
        if kind == socket.SOCK_STREAM:
            # uvicorn sets SO_REUSEADDR too, so a socket in TIME_WAIT does not count as busy
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def check_ports(config: UpConfig, specs: list[RoleSpec]) -> None:
    """Fail fast, naming the flag, when a port is taken or two flags share a port."""
    wanted = [(s.port, s.flag) for s in specs] + [(config.rtmp_port, "--rtmp-port")]
    seen: dict[int, str] = {}
    for port, flag in wanted:
        if port in seen:
            raise PortBusyError(f"{flag} and {seen[port]} both ask for port {port}")
        seen[port] = flag
    udp = [(config.srt_port, "--srt-port")] if config.srt_port else []  # 0: any free port
    for port, flag in wanted + udp:
        kind = socket.SOCK_DGRAM if flag == "--srt-port" else socket.SOCK_STREAM
        if not _port_free(config.host, port, kind):
            raise PortBusyError(
                f"port {port} on {config.host} is already in use: "
                f"stop what holds it or choose another with {flag}"
            )
