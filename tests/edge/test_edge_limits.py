"""On-demand mirrors are bounded: idle ones stop and are forgotten; a session cap holds."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sender_edge.mirror.sessions import store
from tests.edge.test_edge_api import LIVE, UP, make_client, media
from tests.waiting import wait_for


def _stored(client_app: object) -> list[store.StoredSession]:
    manager = client_app.state.manager  # type: ignore[attr-defined]
    return store.load_sessions(manager.db.engine)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_idle_on_demand_mirror_stops_and_is_forgotten(tmp_path: Path) -> None:
    with make_client(tmp_path, upstream_url=UP, on_demand_idle_seconds=2) as c:
        clock = Clock()
        c.app.state.manager.on_demand._clock = clock  # type: ignore[attr-defined]
        checks = c.app.state.runtime.idle  # type: ignore[attr-defined]

        def checked_after(runs: int) -> bool:
            return bool(checks.runs > runs + 1)  # a whole idle check ran since

        assert c.get("/sender/hls/cam/live.m3u8").status_code == 200
        assert c.post("/api/v1/edge/sessions", json={"endpoint": "ladder"}).status_code == 200
        assert [s.slug for s in _stored(c.app)] == ["cam", "ladder"]
        for _ in range(3):  # a viewer keeps reloading: 4.5 s in all, never 2 s silent
            clock.now += 1.5
            assert c.get("/sender/hls/cam/live.m3u8").status_code == 200
            runs = checks.runs
            wait_for(partial(checked_after, runs), 10, "an idle check", interval=0.05)
        assert c.get("/api/v1/edge/sessions/cam").json()["desired"] is True
        clock.now += 2.1  # nobody asked for the idle period
        wait_for(
            lambda: c.get("/api/v1/edge/sessions/cam").status_code == 404,
            10,
            "cam idle",
            interval=0.05,
        )
        assert [s.slug for s in _stored(c.app)] == ["ladder"]  # the operator's stays
        assert c.get("/api/v1/edge/sessions/ladder").json()["desired"] is True
        # the next viewer starts it again
        assert c.get("/sender/hls/cam/live.m3u8").status_code == 200


def test_session_cap_503_for_viewers_409_for_operators(tmp_path: Path) -> None:
    LIVE["cam2"] = LIVE["cam3"] = media(1, ["1/src/seg_00001.ts"])
    try:
        with make_client(tmp_path, upstream_url=UP, edge_max_sessions=2) as c:
            assert c.post("/api/v1/edge/sessions", json={"endpoint": "cam"}).status_code == 200
            assert c.get("/sender/hls/cam2/live.m3u8").status_code == 200  # on demand: 2
            r = c.get("/sender/hls/cam3/live.m3u8")
            assert r.status_code == 503
            assert int(r.headers["retry-after"]) >= 1
            assert "SENDER_EDGE_MAX_SESSIONS" in r.json()["detail"]
            r = c.post("/api/v1/edge/sessions", json={"endpoint": "cam3"})
            assert r.status_code == 409
            assert "SENDER_EDGE_MAX_SESSIONS" in r.json()["detail"]
            # existing sessions are still served and restartable
            assert c.post("/api/v1/edge/sessions", json={"endpoint": "cam"}).status_code == 200
            assert c.post("/api/v1/edge/sessions/cam/stop").status_code == 200
            # a stopped session keeps its row but no longer counts
            assert c.post("/api/v1/edge/sessions", json={"endpoint": "cam3"}).status_code == 200
    finally:
        del LIVE["cam2"], LIVE["cam3"]
