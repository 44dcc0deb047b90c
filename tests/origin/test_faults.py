"""Faults the origin survives: a killed ffmpeg, hostile RTMP clients, a late database."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import MediaPlaylist, parse_media_playlist
from tests import scrape
from tests.procs import (
    create_endpoint,
    pid_alive,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
    stream_state,
    stream_status,
)
from tests.waiting import wait_for


def test_killed_ffmpeg_restarts_fast_and_its_timeline_continues(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    key = create_endpoint(origin.url, "crashy")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(
            lambda: (
                len(
                    parse_media_playlist(
                        httpx.get(f"{origin.url}/sender/hls/crashy/live.m3u8").text
                    ).segments
                )
                >= 2
            ),
            30,
            "segments",
        )
        old_pid = stream_status(origin.url, "crashy")["ffmpeg"]["pid"]
        killed_at = time.monotonic()
        os.kill(old_pid, signal.SIGKILL)
        st = wait_for(
            lambda: (
                (s := stream_status(origin.url, "crashy"))["ffmpeg"]["pid"] not in (None, old_pid)
                and s
            ),
            10,
            "a new ffmpeg",
        )
        restart_s = time.monotonic() - killed_at
        assert restart_s < 5, f"restart took {restart_s:.2f}s"
        assert st["ffmpeg"]["restarts"] == 1
        assert st["state"] == "live" and st["generation"] == 1

        live_url = f"{origin.url}/sender/hls/crashy/live.m3u8"
        at_restart = parse_media_playlist(httpx.get(live_url).text).last_sequence

        def segments_after_restart() -> MediaPlaylist | None:
            pl = parse_media_playlist(httpx.get(live_url).text)
            return pl if pl.last_sequence >= at_restart + 3 else None

        # deadline for a loaded machine (the new packager starts over): not a speed claim
        pl = wait_for(segments_after_restart, 45, "segments after the restart")
        # the new run's init section is the same: its fragments join the timeline
        assert not any(s.discontinuity for s in pl.segments)
        metrics = scrape.scrape(origin.url)
        assert scrape.value(metrics, "sender_origin_ffmpeg_restarts_total") == 1.0
        print(f"ffmpeg restart after SIGKILL: {restart_s:.2f}s")
        assert not pid_alive(old_pid)
    finally:
        stop_publisher(pub)
        origin.stop()


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def _closed_by_server(s: socket.socket, timeout: float) -> bool:
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except TimeoutError:
        return False
    except OSError:
        return True


def test_hostile_rtmp_clients_do_not_disturb_a_publisher(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"rtmp_handshake_timeout": 2})
    port = origin.extra["rtmp_port"]
    key = create_endpoint(origin.url, "steady")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: stream_state(origin.url, "steady") == "live", 20, "live")
        junk = _connect(port)
        junk.sendall(os.urandom(5000))
        truncated = _connect(port)
        truncated.sendall(b"\x03" + os.urandom(700))  # C0 + half a C1
        idle = _connect(port)  # slowloris: says nothing at all
        handshake_only = _connect(port)
        handshake_only.sendall(b"\x03" + bytes(1536))
        handshake_only.recv(3073)
        handshake_only.sendall(bytes(1536))  # C2, then never connects or publishes
        huge = _connect(port)
        huge.sendall(b"\x03" + bytes(1536))
        huge.recv(3073)
        huge.sendall(bytes(1536))
        # a Set Chunk Size of 0x7fffffff on chunk stream 2
        huge.sendall(
            bytes([0x02])
            + b"\x00\x00\x00"
            + b"\x00\x00\x04"
            + b"\x01"
            + b"\x00\x00\x00\x00"
            + (0x7FFFFFFF).to_bytes(4, "big")
        )
        for name, s in [
            ("junk", junk),
            ("truncated", truncated),
            ("idle", idle),
            ("handshake-only", handshake_only),
            ("huge chunk", huge),
        ]:
            assert _closed_by_server(s, 8), f"{name} connection was not closed"
            s.close()
        assert stream_state(origin.url, "steady") == "live"
        before = stream_status(origin.url, "steady")["publisher"]["bytes_in"]
        wait_for(
            lambda: stream_status(origin.url, "steady")["publisher"]["bytes_in"] > before,
            10,
            "the real publisher still flowing",
        )
    finally:
        stop_publisher(pub)
        origin.stop()


def test_keys_never_leak_and_token_guards_management(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"api_token": "s3cret-token"})
    auth = {"Authorization": "Bearer s3cret-token"}
    try:
        assert httpx.post(f"{origin.url}/api/v1/endpoints", json={"slug": "tok"}).status_code == 401
        wrong = httpx.get(f"{origin.url}/api/v1/endpoints", headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401 and wrong.json()["detail"]
        created = httpx.post(f"{origin.url}/api/v1/endpoints", json={"slug": "tok"}, headers=auth)
        key = created.json()["stream_key"]
        pub = publish(rtmp_url(origin, key))
        try:
            wait_for(
                lambda: (
                    httpx.get(f"{origin.url}/api/v1/streams/tok", headers=auth).json()["state"]
                    == "live"
                ),
                20,
                "live",
            )
            public = httpx.get(f"{origin.url}/api/v1/playback/tok")
            assert public.status_code == 200  # players need no token
            texts = [
                httpx.get(f"{origin.url}/api/v1/streams/tok", headers=auth).text,
                httpx.get(f"{origin.url}/api/v1/endpoints/tok", headers=auth).text,
                httpx.get(f"{origin.url}/api/v1/endpoints", headers=auth).text,
                httpx.get(f"{origin.url}/metrics").text,
                public.text,
            ]
        finally:
            stop_publisher(pub)
        for text in texts:
            assert key not in text
        assert key not in origin.log()
    finally:
        origin.stop()


def test_database_late_at_startup_means_not_ready_then_ready(tmp_path: Path) -> None:
    db_dir = tmp_path / "db-not-yet"
    origin = start_origin(
        tmp_path / "o", settings={"database_url": f"sqlite:///{db_dir}/sender.db"}, ready=False
    )
    try:
        r = wait_for(lambda: httpx.get(f"{origin.url}/readyz", timeout=2), 30, "up (not ready)")
        assert r.status_code == 503
        assert r.json()["checks"]["database"] is False
        assert httpx.get(f"{origin.url}/healthz").status_code == 200
        db_dir.mkdir()
        wait_for(lambda: httpx.get(f"{origin.url}/readyz").status_code == 200, 30, "ready")
        assert create_endpoint(origin.url, "late")
    finally:
        origin.stop()


def test_bad_input_gets_json_4xx(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    try:
        cases = [
            ("post", "/api/v1/endpoints", {"slug": "../x"}, 422),
            ("post", "/api/v1/endpoints", {"slug": "UPPER"}, 422),
            (
                "post",
                "/api/v1/endpoints",
                {"slug": "ok", "renditions": [{"name": "a"}, {"name": "a"}]},
                422,
            ),
            (
                "post",
                "/api/v1/endpoints",
                {"slug": "ok2", "renditions": [{"name": "x", "height": 1}]},
                422,
            ),
            ("get", "/api/v1/endpoints/nope", None, 404),
            ("post", "/api/v1/streams/nope/start", None, 404),
            ("get", "/api/v1/playback/nope", None, 404),
        ]
        for method, path, body, code in cases:
            r = httpx.request(method, f"{origin.url}{path}", json=body)
            assert r.status_code == code, (path, body, r.text)
            assert "detail" in r.json()
        create_endpoint(origin.url, "dup")
        r = httpx.post(f"{origin.url}/api/v1/endpoints", json={"slug": "dup"})
        assert r.status_code == 409 and "already exists" in r.json()["detail"]
        raw = httpx.post(
            f"{origin.url}/api/v1/endpoints",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert raw.status_code == 422
    finally:
        origin.stop()
