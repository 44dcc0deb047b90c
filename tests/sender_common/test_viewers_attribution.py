"""Request attribution: forwarded headers only from trusted peers, localhost rules."""

from __future__ import annotations

import pytest

from sender_common.viewers.attribution import Attributor


def scope(peer: str | None, *headers: tuple[str, str]) -> dict[str, object]:
    return {
        "type": "http",
        "client": (peer, 5555) if peer is not None else None,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }


TRUSTED = ["10.0.0.0/8", "fd00::/8"]
XFF, FWD = "X-Forwarded-For", "Forwarded"


@pytest.mark.parametrize(
    ("peer", "headers", "client", "local", "proxy"),
    [
        # untrusted peer: its forwarded headers are ignored
        ("203.0.113.5", [(XFF, "198.51.100.1")], "203.0.113.5", False, False),
        # trusted peer: the client is the first untrusted hop from the right
        ("10.0.0.2", [(XFF, "198.51.100.1")], "198.51.100.1", False, False),
        ("10.0.0.2", [(XFF, "6.6.6.6, 198.51.100.1, 10.1.1.1")], "198.51.100.1", False, False),
        # two XFF headers are one list
        ("10.0.0.2", [(XFF, "6.6.6.6"), (XFF, "198.51.100.9")], "198.51.100.9", False, False),
        # a trusted peer without forwarded headers is a proxy filling its spool
        ("10.0.0.2", [], "10.0.0.2", False, True),
        ("10.0.0.2", [(XFF, "10.3.3.3")], "10.3.3.3", False, True),
        # garbage in the chain stops the walk at the last trusted hop
        ("10.0.0.2", [(XFF, "198.51.100.1, bogus")], "10.0.0.2", False, True),
        # RFC 7239 Forwarded, with ports and IPv6 brackets
        ("10.0.0.2", [(FWD, "for=198.51.100.7:4711;proto=https")], "198.51.100.7", False, False),
        ("fd00::1", [(FWD, 'for="[2001:db8::7]:443"')], "2001:db8::7", False, False),
        # localhost is exactly 127.0.0.1 and ::1
        ("127.0.0.1", [], "127.0.0.1", True, False),
        ("::1", [], "::1", True, False),
        ("::ffff:127.0.0.1", [], "127.0.0.1", True, False),
        ("127.0.0.2", [], "127.0.0.2", False, False),
        # not an address at all (a test client, a unix socket)
        ("testclient", [], "testclient", False, False),
        (None, [], "", False, False),
    ],
)
def test_attribution_table(
    peer: str | None, headers: list[tuple[str, str]], client: str, local: bool, proxy: bool
) -> None:
    info = Attributor(TRUSTED, count_localhost=False).from_scope(scope(peer, *headers), "vsid1234")
    assert (info.client_ip, info.is_local, info.is_trusted_proxy) == (client, local, proxy)
    assert info.vsid == "vsid1234"


def test_forwarded_headers_ignored_without_trusted_proxies() -> None:
    info = Attributor([], count_localhost=False).from_scope(
        scope("127.0.0.1", ("X-Forwarded-For", "198.51.100.1"))
    )
    assert info.client_ip == "127.0.0.1" and info.is_local


def test_user_agent_kept_and_bounded() -> None:
    info = Attributor([], count_localhost=False).from_scope(
        scope("198.51.100.1", ("User-Agent", "x" * 500))
    )
    assert info.user_agent == "x" * 200


@pytest.mark.parametrize(
    ("peer", "count_localhost", "counts"),
    [
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("127.0.0.2", False, True),
        ("10.0.0.2", True, False),  # proxies never count, even in local mode
        ("198.51.100.1", False, True),
    ],
)
def test_counts(peer: str, count_localhost: bool, counts: bool) -> None:
    attributor = Attributor(TRUSTED, count_localhost=count_localhost)
    assert attributor.counts(attributor.from_scope(scope(peer))) is counts
