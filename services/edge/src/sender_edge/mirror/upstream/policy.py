"""Which upstreams an edge may mirror from (`SENDER_UPSTREAM_ALLOW`), checked on resolved
addresses both when a session is asked for and at every connect.

Rules, per resolved address of the upstream's host:

- link-local addresses (169.254.0.0/16 — cloud metadata — and fe80::/10) only when a listed
  CIDR or address covers them;
- other non-public addresses (loopback, private, reserved, ...) when the host is listed by
  name, or a listed non-public CIDR or address covers them (`0.0.0.0/0` does not);
- public addresses when the host is listed by name or a listed CIDR covers them.

SENDER_UPSTREAM_URL's origin (scheme, host as written, port; 80/443 from the scheme) is always
allowed, and only that origin: `http://127.0.0.1:8080` admits neither another port of that
host (a database, a cache) nor `localhost:8080`; other origins need listing. A name entry
trusts what that name resolves to (link-local excepted); a CIDR entry admits any name, so
each connect re-checks the addresses it is about to use (a name that starts resolving
elsewhere is refused, never connected to).
"""

from __future__ import annotations

__all__ = ["GuardedBackend", "Resolver", "UpstreamNotAllowed", "UpstreamPolicy", "system_resolver"]

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from sender_common.errors import InvalidInputError, SenderError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class UpstreamNotAllowed(InvalidInputError):
    """An upstream outside SENDER_UPSTREAM_ALLOW (422 with the reason)."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the system resolver, as a connect would use)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _plain(addr: IPAddress) -> IPAddress:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _special(addr: IPAddress) -> bool:
    return not addr.is_global or addr.is_multicast


# A listed network inside one of these is an explicit choice of non-public addresses.
_SPECIAL_BLOCKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "::/127",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
]


def _special_net(net: IPNetwork) -> bool:
    return any(net.version == b.version and net.subnet_of(b) for b in _SPECIAL_BLOCKS)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str | None
    net: IPNetwork | None
    port: int | None

    def covers_port(self, port: int) -> bool:
        return self.port is None or self.port == port


def _host_key(host: str) -> str:
    """A host as written, compared literally (an address in its canonical spelling)."""
    name = host.strip("[]").lower().rstrip(".")
    literal = _literal(name)
    return str(literal) if literal is not None else name


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True, slots=True)
class Origin:
    """SENDER_UPSTREAM_URL's scheme, host (as written) and port: the default allowlist."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin | None:
        parts = urlsplit(url)
        if not parts.hostname:
            return None
        scheme = parts.scheme.lower()
        return cls(scheme, _host_key(parts.hostname), parts.port or default_port(scheme))

    def matches(self, host: str, port: int, scheme: str | None) -> bool:
        """Same host and port; same scheme when known (a connect does not know it)."""
        same_scheme = scheme is None or scheme.lower() == self.scheme
        return same_scheme and port == self.port and _host_key(host) == self.host


def parse_entry(text: str) -> _Entry:
    """`host`, `host:port`, `[v6]:port`, an address or a CIDR."""
    raw = text.strip().lower()
    try:
        return _Entry(None, ipaddress.ip_network(raw, strict=False), None)
    except ValueError:
        pass
    host, port = raw, None
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        port = rest.removeprefix(":") or None
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"SENDER_UPSTREAM_ALLOW: {text!r} has a bad port")
    number = int(port) if port is not None else None
    literal = _literal(host)
    if literal is not None:
        return _Entry(None, ipaddress.ip_network(literal), number)
    if not host or not all(c.isalnum() or c in "-._" for c in host):
        raise ValueError(f"SENDER_UPSTREAM_ALLOW: {text!r} is not a host, host:port or CIDR")
    return _Entry(host.rstrip("."), None, number)


class UpstreamPolicy:
    """The allowlist and the resolver it checks addresses with."""

    def __init__(
        self,
        entries: Iterable[str],
        resolver: Resolver | None = None,
        origin: Origin | None = None,
    ) -> None:
        self.entries = [parse_entry(e) for e in entries if e.strip()]
        self.resolver = resolver or system_resolver
        self.origin = origin

    @classmethod
    def for_edge(
        cls, allow: list[str], upstream_url: str | None, resolver: Resolver | None = None
    ) -> UpstreamPolicy:
        """The listed entries plus SENDER_UPSTREAM_URL's origin (the whole default)."""
        return cls(allow, resolver, Origin.of(upstream_url) if upstream_url else None)

    def refusal(
        self, host: str, port: int, addr: IPAddress, scheme: str | None = None
    ) -> str | None:
        """Why `addr` (one address of `host`) may not be used, or None. Pure: no I/O.
        `scheme` is None at connect time (the URL's scheme was checked on request)."""
        addr = _plain(addr)
        name = host.strip("[]").lower().rstrip(".")
        origin = self.origin is not None and self.origin.matches(host, port, scheme)
        named = origin or any(e.name == name and e.covers_port(port) for e in self.entries)
        nets = [e.net for e in self.entries if e.net is not None and e.covers_port(port)]
        covered = [n for n in nets if n.version == addr.version and addr in n]
        # The configured upstream written as an address is an explicit choice of it.
        explicit = (origin and _literal(name) is not None) or any(_special_net(n) for n in covered)
        where = f"upstream {host}:{port}"
        hint = ""
        if self.origin is not None and _host_key(host) == self.origin.host:
            hint = " (only SENDER_UPSTREAM_URL's own scheme, host and port are allowed by default)"
        if addr.is_link_local:
            if explicit:
                return None
            return (
                f"{where} resolves to {addr}, a link-local address: "
                "only allowed when listed in SENDER_UPSTREAM_ALLOW"
            )
        if _special(addr):
            if named or explicit:
                return None
            return (
                f"{where} resolves to {addr}, a loopback/private/reserved address not listed "
                f"in SENDER_UPSTREAM_ALLOW{hint}"
            )
        if named or covered:
            return None
        return f"{where} ({addr}) is not in SENDER_UPSTREAM_ALLOW{hint}"

    async def addresses(self, host: str, port: int, scheme: str | None = None) -> list[IPAddress]:
        """The addresses of `host` that may be used; raises UpstreamNotAllowed otherwise."""
        literal = _literal(host)
        if literal is not None:
            found = [literal]
        else:
            try:
                found = await self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise UpstreamNotAllowed(f"upstream host {host!r} does not resolve") from exc
        if not found:
            raise UpstreamNotAllowed(f"upstream host {host!r} does not resolve")
        for addr in found:
            reason = self.refusal(host, port, addr, scheme)
            if reason is not None:  # any bad address refuses the name (round-robin tricks)
                raise UpstreamNotAllowed(reason)
        return found

    async def check_url(self, url: str) -> None:
        """Raise UpstreamNotAllowed (422) unless every address of `url`'s host is allowed."""
        parts = urlsplit(url)
        if not parts.hostname:
            raise UpstreamNotAllowed("upstream_url has no host")
        scheme = parts.scheme.lower()
        await self.addresses(parts.hostname, parts.port or default_port(scheme), scheme)


class PolicyRefusal(httpcore.ConnectError, SenderError):
    """A connection the policy refused (no retry helps: the address is not allowed)."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the policy allows, resolved here and used as resolved."""

    def __init__(self, policy: UpstreamPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self.policy = policy
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.policy.addresses(host, port)
        except UpstreamNotAllowed as exc:
            raise PolicyRefusal(exc.detail) from exc
        last: Exception | None = None
        for addr in addresses:  # the checked address itself: no second resolution to race
            try:
                return await self.inner.connect_tcp(
                    str(addr), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        del path, timeout, socket_options
        raise httpcore.ConnectError("unix sockets are not upstreams")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
