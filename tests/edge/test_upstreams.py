"""SENDER_UPSTREAM_ALLOW: the validator on resolved addresses (an injected resolver, no
connection) and the connect-time check (a real server on 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sender_edge.main import create_app
from sender_edge.mirror.upstream.failures import classify
from sender_edge.mirror.upstream.fetch import UpstreamRefused, get_bytes, make_client
from sender_edge.mirror.upstream.policy import (
    UpstreamNotAllowed,
    UpstreamPolicy,
    parse_entry,
)
from sender_edge.settings import EdgeSettings
from tests.http_stub import QuietHandler, serving

Addr = ipaddress.IPv4Address | ipaddress.IPv6Address


class FakeDns:
    """Answers from a table and counts lookups; never touches the network."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[Addr]:
        del port
        self.lookups += 1
        if host not in self.table:
            raise OSError(f"{host}: no such name")
        return [ipaddress.ip_address(a) for a in self.table[host]]


def check(policy: UpstreamPolicy, url: str) -> str | None:
    try:
        asyncio.run(policy.check_url(url))
    except UpstreamNotAllowed as exc:
        return exc.detail
    return None


DNS = FakeDns(
    {
        "origin.example": ["198.51.100.7"],
        "cdn.example": ["8.8.4.4"],
        "sneaky.example": ["8.8.4.4", "10.0.0.9"],
        "metadata.example": ["169.254.169.254"],
        "internal.example": ["10.1.2.3"],
        "origin.internal": ["10.9.9.9"],
    }
)


@pytest.mark.parametrize(
    ("allow", "url", "refused"),
    [
        # default: only SENDER_UPSTREAM_URL's host
        ([], "http://origin.example:8080", None),
        ([], "http://origin.example:8080/live/cam", None),
        ([], "http://ORIGIN.Example:8080", None),
        ([], "http://origin.example:9000", "only SENDER_UPSTREAM_URL's own"),
        ([], "http://origin.example", "SENDER_UPSTREAM_URL's own"),
        ([], "https://origin.example:8080", "SENDER_UPSTREAM_URL's own"),
        ([], "http://cdn.example", "not in SENDER_UPSTREAM_ALLOW"),
        ([], "http://8.8.8.8", "not in SENDER_UPSTREAM_ALLOW"),
        ([], "http://169.254.169.254/latest", "link-local"),
        ([], "http://[fe80::1]:80", "link-local"),
        ([], "http://127.0.0.1:8080", "loopback/private"),
        ([], "http://[::1]:8080", "loopback/private"),
        ([], "http://192.168.1.10", "loopback/private"),
        ([], "http://10.0.0.1", "loopback/private"),
        ([], "http://nowhere.example", "does not resolve"),
        # a public CIDR admits public addresses only
        (["0.0.0.0/0"], "http://cdn.example", None),
        (["0.0.0.0/0"], "http://10.0.0.1", "loopback/private"),
        (["0.0.0.0/0"], "http://metadata.example", "link-local"),
        (["0.0.0.0/0"], "http://sneaky.example", "10.0.0.9"),
        (["0.0.0.0/0"], "http://[::ffff:127.0.0.1]", "loopback/private"),
        # explicit non-public entries
        (["10.0.0.0/8"], "http://internal.example", None),
        (["127.0.0.0/8"], "http://127.0.0.1:9000", None),
        (["169.254.169.254"], "http://169.254.169.254", None),
        (["origin.internal:8080"], "http://origin.internal:8080", None),
        (["origin.internal:8080"], "http://origin.internal:8081", "loopback/private"),
        (["cdn.example"], "https://cdn.example", None),
        # a listed name still never reaches link-local
        (["metadata.example"], "http://metadata.example", "link-local"),
    ],
)
def test_validator(allow: list[str], url: str, refused: str | None) -> None:
    policy = UpstreamPolicy.for_edge(allow, "http://origin.example:8080", DNS)
    reason = check(policy, url)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


LOOPBACK = FakeDns({"localhost": ["127.0.0.1", "::1"]})


@pytest.mark.parametrize(
    ("upstream", "allow", "url", "refused"),
    [
        # the example: another port of the origin's host (Redis, PostgreSQL, ...)
        ("http://127.0.0.1:8080", [], "http://127.0.0.1:8080", None),
        ("http://127.0.0.1:8080", [], "http://localhost:9", "loopback/private"),
        ("http://127.0.0.1:8080", [], "http://127.0.0.1:9", "only SENDER_UPSTREAM_URL's own"),
        ("http://127.0.0.1:8080", [], "http://127.0.0.1:6379", "loopback/private"),
        ("http://127.0.0.1:8080", [], "http://127.0.0.1", "loopback/private"),
        ("http://127.0.0.1:8080", [], "https://127.0.0.1:8080", "loopback/private"),
        # localhost and 127.0.0.1 are different hosts, even on the upstream's port
        ("http://127.0.0.1:8080", [], "http://localhost:8080", "loopback/private"),
        ("http://localhost:8080", [], "http://localhost:8080", None),
        ("http://localhost:8080", [], "http://127.0.0.1:8080", "loopback/private"),
        ("http://localhost:8080", [], "http://localhost:5432", "loopback/private"),
        # default ports come from the scheme
        ("http://127.0.0.1", [], "http://127.0.0.1:80", None),
        ("https://127.0.0.1", [], "https://127.0.0.1:443/x", None),
        ("https://127.0.0.1", [], "https://127.0.0.1:80", "loopback/private"),
        ("http://[::1]:8080", [], "http://[0:0::1]:8080", None),
        ("http://[::1]:8080", [], "http://[::1]:8081", "loopback/private"),
        # an explicit allowlist still admits what it lists, beside the default
        ("http://127.0.0.1:8080", ["127.0.0.1:9000"], "http://127.0.0.1:9000", None),
        ("http://127.0.0.1:8080", ["127.0.0.1:9000"], "http://127.0.0.1:9001", "loopback"),
        ("http://127.0.0.1:8080", ["127.0.0.0/8", "::1"], "http://localhost:9", None),
        ("http://127.0.0.1:8080", ["localhost"], "http://localhost:9", None),
    ],
)
def test_default_is_the_upstream_origin_only(
    upstream: str, allow: list[str], url: str, refused: str | None
) -> None:
    reason = check(UpstreamPolicy.for_edge(allow, upstream, LOOPBACK), url)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


def test_connect_time_check_knows_the_upstream_port() -> None:
    """At connect the scheme is unknown: host and port alone decide (no connection made)."""
    policy = UpstreamPolicy.for_edge([], "http://127.0.0.1:8080", LOOPBACK)
    assert asyncio.run(policy.addresses("127.0.0.1", 8080))
    with pytest.raises(UpstreamNotAllowed):
        asyncio.run(policy.addresses("127.0.0.1", 6379))


@pytest.mark.parametrize("bad", ["http://x", "host:99999", "a b", "10.0.0.0/33x"])
def test_bad_entries_are_refused_at_startup(bad: str) -> None:
    with pytest.raises(ValueError, match="SENDER_UPSTREAM_ALLOW"):
        parse_entry(bad)
    with pytest.raises(ValueError, match="SENDER_UPSTREAM_ALLOW"):
        EdgeSettings(upstream_allow=bad)


def test_env_list_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDER_UPSTREAM_ALLOW", "cdn.example, 10.0.0.0/8,origin:8080")
    assert EdgeSettings().upstream_allow == ["cdn.example", "10.0.0.0/8", "origin:8080"]


def test_api_refuses_with_422_and_persists_nothing(tmp_path: Path) -> None:
    calls: list[httpx.Request] = []

    def transport(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    settings = EdgeSettings(data_dir=tmp_path, upstream_url="http://origin.example:8080")
    app = create_app(settings, transport=httpx.MockTransport(transport), resolver=DNS)
    with TestClient(app) as client:
        for url in ("http://169.254.169.254", "http://10.0.0.1:8080", "http://cdn.example"):
            r = client.post("/api/v1/edge/sessions", json={"endpoint": "cam", "upstream_url": url})
            assert r.status_code == 422, r.text
            assert "SENDER_UPSTREAM_ALLOW" in r.json()["detail"]
        assert client.get("/api/v1/edge/sessions").json()["count"] == 0
    assert calls == []


class _Ok(QuietHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def local_server() -> Iterator[int]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Ok)) as server:
        yield int(server.server_address[1])


def test_connect_time_check_catches_a_name_that_moves(local_server: int) -> None:
    """Allowed when asked for; later the name resolves to a private address: refused at
    connect, before any connection is opened (the only connection made is to 127.0.0.1)."""
    dns = FakeDns({"up.example": ["127.0.0.1"]})
    policy = UpstreamPolicy(["127.0.0.0/8"], dns)
    url = f"http://up.example:{local_server}/x"

    async def run() -> tuple[int, str]:
        await policy.check_url(url)
        client = make_client(verify=True, timeout=2, policy=policy)
        async with client:
            first = await client.get(url, headers={"connection": "close"})
            dns.table["up.example"] = ["10.0.0.9"]
            with pytest.raises(httpx.ConnectError) as info:
                await client.get(url)
        return first.status_code, str(info.value)

    status, error = asyncio.run(run())
    assert status == 200
    assert "10.0.0.9" in error and "SENDER_UPSTREAM_ALLOW" in error


def test_a_refusal_at_connect_is_final_not_retried() -> None:
    """The refused name is looked up once (no retries) and the session's failure is fatal;
    no connection is opened (the refusal comes before any connect)."""
    dns = FakeDns({"up.example": ["10.0.0.9"]})
    policy = UpstreamPolicy(["127.0.0.0/8"], dns)

    async def run() -> UpstreamRefused:
        async with make_client(verify=True, timeout=2, policy=policy) as client:
            with pytest.raises(UpstreamRefused) as info:
                await get_bytes(client, "http://up.example:8080/x", limit=100, attempts=3)
        return info.value

    refused = asyncio.run(run())
    assert dns.lookups == 1
    failure = classify(refused, 1.0, 2.0)
    assert failure.kind == "not_allowed" and failure.fatal
    assert "SENDER_UPSTREAM_ALLOW" in failure.message
