"""Edge test helpers on top of `tests.procs`: start an edge, drive its sessions, TLS certs."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import subprocess
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from sender_common.hls.playlist.parse import parse_media_playlist
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.mirror.follow.context import MirrorContext, Timing
from sender_edge.settings import EdgeSettings
from tests.procs import Proc, field_values, publish, rtmp_url, start_role
from tests.waiting import wait_for

EDGE_SETTINGS = {
    "reconcile_seconds": 1,
    "upstream_timeout": 2,
    "stale_after_targets": 3,
}


def mirror_context(data_dir: Path, *, spool_dir: Path | None = None) -> MirrorContext:
    """What an edge's mirror parts share, as an edge with `data_dir` has it (its spool at
    `spool_dir` when given): for tests of those parts in this process."""
    settings = EdgeSettings(data_dir=data_dir)
    spool = settings.spool_dir if spool_dir is None else spool_dir
    metrics = EdgeMetrics(CollectorRegistry())
    return MirrorContext(
        SpoolCache(spool), spool, Timing.of(settings), metrics, asyncio.Semaphore(4)
    )


def start_edge(data_dir: Path, upstream: str | None, **kw: Any) -> Proc:
    """An edge process (reconciling every second) mirroring `upstream` by default."""
    values = {**EDGE_SETTINGS, **field_values(kw.pop("settings", None))}
    if upstream is not None:
        values["upstream_url"] = upstream
    return start_role("edge", data_dir, settings=values, **kw)


def start_session(edge: Proc, endpoint: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(
        f"{edge.url}/api/v1/edge/sessions", json={"endpoint": endpoint, **body}, timeout=10
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def session(edge: Proc, endpoint: str) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(
        f"{edge.url}/api/v1/edge/sessions/{endpoint}", timeout=5
    ).json()
    return data


def session_in(edge: Proc, endpoint: str, state: str) -> dict[str, Any] | None:
    data = session(edge, endpoint)
    return data if data.get("state") == state else None


def sequences(base_url: str, endpoint: str) -> dict[str, int]:
    """URI -> media sequence number of the live media playlist ({} when not there)."""
    r = httpx.get(f"{base_url}/sender/hls/{endpoint}/live.m3u8", timeout=5, verify=False)
    if r.status_code != 200:
        return {}
    pl = parse_media_playlist(r.text)
    return {s.uri: pl.media_sequence + i for i, s in enumerate(pl.segments)}


def start_live_endpoint(origin: Proc, slug: str) -> subprocess.Popen[bytes]:
    """Create `slug` on the origin, publish to it and wait for its live playlist."""
    r = httpx.post(f"{origin.url}/api/v1/endpoints", json={"slug": slug}, timeout=10, verify=False)
    r.raise_for_status()
    pub = publish(rtmp_url(origin, r.json()["stream_key"]))
    wait_for(lambda: len(sequences(origin.url, slug)) >= 2, 40, f"{slug} live on the origin")
    return pub


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """(certfile, keyfile) of a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sender-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp / "cert.pem", tmp / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def wait_state(edge: Proc, endpoint: str, state: str, timeout: float) -> dict[str, Any]:
    """Poll the session until it reports `state`; returns that status."""
    found: dict[str, Any] = wait_for(
        lambda: session_in(edge, endpoint, state) or {}, timeout, f"{endpoint} {state}"
    )
    return found


def follow_live(edge: Proc, endpoint: str, timeout: float = 20, **body: Any) -> dict[str, Any]:
    """Start mirroring `endpoint` on `edge` and wait for the session to be live."""
    start_session(edge, endpoint, **body)
    return wait_state(edge, endpoint, "live", timeout)
