"""Management credentials: the bearer-token guard and the off-loopback start check."""

from __future__ import annotations

__all__ = [
    "AuthFailures",
    "bearer_guard",
    "is_loopback_host",
    "require_credentials",
    "require_credentials_or_exit",
]

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from prometheus_client import CollectorRegistry, Counter

from sender_common.errors import ConfigurationError, UnauthorizedError
from sender_common.settings import CommonSettings

log = logging.getLogger(__name__)


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses; wildcard binds (`0.0.0.0`, `::`) are not."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_credentials(settings: CommonSettings, role: str) -> None:
    """Refuse to run a management API reachable off loopback without a token."""
    if settings.api_token or is_loopback_host(settings.host):
        return
    if settings.insecure_no_token:
        log.warning(
            "%s: the management API on %s has no token (SENDER_INSECURE_NO_TOKEN=true): "
            "anyone who reaches it can manage this node",
            role,
            settings.host,
        )
        return
    raise ConfigurationError(
        f"SENDER_HOST={settings.host} is not a loopback address and SENDER_API_TOKEN is not set: "
        "set SENDER_API_TOKEN (or SENDER_INSECURE_NO_TOKEN=true when your own auth is in front)"
    )


def require_credentials_or_exit(settings: CommonSettings, role: str) -> None:
    """`require_credentials` at process start: one clear log line and exit status 2."""
    try:
        require_credentials(settings, role)
    except ConfigurationError as exc:
        log.critical("%s will not start: %s", role, exc.detail)
        raise SystemExit(2) from None


class AuthFailures:
    """`sender_<role>_auth_failures_total`: requests refused for a missing or wrong token."""

    def __init__(self, registry: CollectorRegistry, role: str) -> None:
        self.counter = Counter(
            f"sender_{role}_auth_failures",
            "Management requests refused for a missing or wrong bearer token",
            registry=registry,
        )

    def __call__(self) -> None:
        self.counter.inc()


def bearer_guard(
    token: str | None, on_failure: Callable[[], None] | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A dependency requiring `Authorization: Bearer <token>` when a token is configured.

    The comparison is constant-time; the given value is never logged."""
    expected = f"Bearer {token}".encode() if token else None

    async def _check(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            if on_failure is not None:
                on_failure()
            raise UnauthorizedError("missing or wrong bearer token")

    return _check
