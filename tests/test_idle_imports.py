"""What an idle role has not loaded: the modules of paths it has not taken yet (memory it
does not hold, see the README's idle RSS). Each role's app runs its lifespan in a fresh
interpreter, as uvicorn runs it, with nothing published and no viewer; then it answers a
first live-playlist request (a 404 for an unknown endpoint) and `/api/v1/node` (the key
is read then). The origin's SRT listener is on, and libsrt is not mapped until a first datagram
arrives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.procs import free_port, role_env_for_tests

RUN_IDLE = """
import asyncio, json, sys
import uvloop

role, watched = sys.argv[1], json.loads(sys.argv[2])
app = __import__(f"sender_{role}.main", fromlist=["create_app"]).create_app()

async def call(path):
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    await app(scope, receive, send)
    return sent[0]["status"]

async def main():
    async with app.router.lifespan_context(app):
        idle = [m for m in watched if m in sys.modules]
        libsrt = "libsrt" in open("/proc/self/maps").read()
        hls = await call("/sender/hls/nothing/live.m3u8")
        after_hls = [m for m in watched if m in sys.modules]
        node = await call("/api/v1/node")
        print(json.dumps({"idle": idle, "libsrt": libsrt, "hls": hls, "after_hls": after_hls,
                          "node": node, "crypto": "cryptography" in sys.modules}))

uvloop.run(main())
"""

# loaded by the path that needs them: WebRTC, the key, Redis replicas, the metrics client,
# a PostgreSQL database
LAZY = ["aiortc", "av", "cryptography", "redis", "sqlalchemy.dialects.postgresql"]
ROLES = {"origin": [*LAZY, "httpx"], "edge": LAZY, "metrics": [*LAZY, "httpx"]}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_an_idle_role_has_not_loaded_the_paths_it_has_not_taken(tmp_path: Path, role: str) -> None:
    extra: dict[str, object] = {"rtmp_port": free_port(), "srt_port": 0} if role == "origin" else {}
    env = {**os.environ, **role_env_for_tests(role, tmp_path, "127.0.0.1", free_port(), extra)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_IDLE, role, json.dumps(ROLES[role])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["idle"] == [], seen
    assert not seen["libsrt"], "libsrt (and GnuTLS, libstdc++) mapped before any SRT caller"
    assert seen["hls"] == 404
    assert seen["after_hls"] == [], seen
    assert seen["node"] == 200
    assert seen["crypto"]
