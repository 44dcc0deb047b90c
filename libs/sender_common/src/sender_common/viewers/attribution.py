"""Who made a request: one `RequestInfo` for every HLS fetch and player event.

The client address comes from `X-Forwarded-For` (or RFC 7239 `Forwarded`) only when the
direct peer is a trusted proxy; the chain is walked right to left, skipping trusted hops,
so a client cannot forge its address by prepending entries.

"Localhost" means exactly `127.0.0.1` or `::1`: those requests are not counted unless
`count_localhost` is on. Other loopback addresses (`127.0.0.2`, ...) are ordinary clients,
which lets a single machine run several nodes and clients on distinct addresses.
"""

from __future__ import annotations

__all__ = ["LOCALHOST", "Attributor", "RequestInfo"]

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from starlette.types import Scope

LOCALHOST = frozenset({"127.0.0.1", "::1"})
_IP_CACHE_LIMIT = 4096

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """The attributed client of one request."""

    client_ip: str
    peer_ip: str
    is_local: bool
    is_trusted_proxy: bool
    vsid: str | None
    user_agent: str


@functools.lru_cache(maxsize=4096)  # every request asks for its peer's: parse each once
def _normalize(text: str) -> str | None:
    """A canonical IP string, or None when `text` is not an address."""
    text = text.strip().strip('"')
    if text.startswith("["):  # "[v6]:port" (Forwarded) or "[v6]"
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # "v4:port"
        text = text.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]


def _forwarded_chain(scope: Scope) -> list[str]:
    """Client addresses claimed by proxies, leftmost (original client) first."""
    xff = _header_values(scope, b"x-forwarded-for")
    if xff:
        return [part.strip() for value in xff for part in value.split(",") if part.strip()]
    chain: list[str] = []
    for value in _header_values(scope, b"forwarded"):
        for element in value.split(","):
            for pair in element.split(";"):
                key, _, val = pair.partition("=")
                if key.strip().lower() == "for":
                    chain.append(val.strip())
    return chain


class Attributor:
    """Turns an ASGI scope into a `RequestInfo` and decides whether it counts."""

    def __init__(self, trusted_proxies: Sequence[str], *, count_localhost: bool) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies
        )
        self.count_localhost = count_localhost
        self._trusted_cache: dict[str, bool] = {}
        self._counts_cache: dict[str, bool] = {}  # untrusted peers: whether they count

    def is_trusted(self, ip: str) -> bool:
        """True when `ip` (canonical form) is inside one of the trusted-proxy networks."""
        if not self.networks:
            return False
        hit = self._trusted_cache.get(ip)
        if hit is None:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                hit = False
            else:
                hit = any(addr in net for net in self.networks)
            if len(self._trusted_cache) >= _IP_CACHE_LIMIT:
                self._trusted_cache.clear()
            self._trusted_cache[ip] = hit
        return hit

    def client_ip(self, peer: str, chain: Iterable[str]) -> str:
        """Walk the forwarded chain right to left from a trusted peer."""
        client = peer
        if not self.is_trusted(peer):
            return client
        for raw in reversed(list(chain)):
            hop = _normalize(raw)
            if hop is None:  # garbage in the chain: stop at the last address we trust
                break
            client = hop
            if not self.is_trusted(hop):
                break
        return client

    def from_scope(self, scope: Scope, vsid: str | None = None) -> RequestInfo:
        """Attribute one request from its ASGI scope."""
        peer_pair = scope.get("client")
        raw_peer = str(peer_pair[0]) if peer_pair else ""
        peer = _normalize(raw_peer) or raw_peer
        client = self.client_ip(peer, _forwarded_chain(scope)) if self.networks else peer
        agents = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"user-agent"]
        return RequestInfo(
            client_ip=client,
            peer_ip=peer,
            is_local=client in LOCALHOST,
            is_trusted_proxy=self.is_trusted(client),
            vsid=vsid,
            user_agent=agents[0][:200] if agents else "",
        )

    def counts_peer(
        self, client: tuple[str, int] | None, headers: Iterable[tuple[bytes, bytes]]
    ) -> bool:
        """`counts(from_scope(...))` of a request from `client` with `headers`, remembered per
        peer address when the peer is not a trusted proxy (then its headers cannot change the
        answer)."""
        raw_peer = str(client[0]) if client else ""
        hit = self._counts_cache.get(raw_peer)
        if hit is None:
            peer = _normalize(raw_peer) or raw_peer
            if self.is_trusted(peer):
                return self.counts(self.from_scope({"client": client, "headers": headers}))
            hit = self.count_localhost or peer not in LOCALHOST
            if len(self._counts_cache) >= _IP_CACHE_LIMIT:
                self._counts_cache.clear()
            self._counts_cache[raw_peer] = hit
        return hit

    def counts(self, info: RequestInfo) -> bool:
        """Whether this request is a viewer's (not a proxy filling its spool, not localhost)."""
        if info.is_trusted_proxy:
            return False
        return self.count_localhost or not info.is_local
