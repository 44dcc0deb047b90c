"""Viewer sessions: keys, expiry, plain clients, drains for the reporter."""

from __future__ import annotations

from sender_common.viewers.tracker import ViewerTracker, client_key, vsid_key


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_sessions_expire_after_idle() -> None:
    clock = Clock()
    tracker = ViewerTracker(15.0, clock=clock)
    assert tracker.touch("ep", vsid_key("aaaaaaaa"))
    assert not tracker.touch("ep", vsid_key("aaaaaaaa"))
    tracker.touch("ep", vsid_key("bbbbbbbb"))
    assert tracker.active("ep") == 2
    clock.t += 10
    tracker.touch("ep", vsid_key("aaaaaaaa"))
    clock.t += 10
    assert tracker.active("ep") == 1  # b went silent 20 s ago
    assert tracker.sweep() == 1
    clock.t += 15
    assert tracker.active("ep") == 0
    tracker.sweep()
    assert tracker.counts() == {}


def test_end_drops_session() -> None:
    tracker = ViewerTracker(15.0)
    tracker.touch("ep", vsid_key("aaaaaaaa"))
    tracker.end("ep", vsid_key("aaaaaaaa"))
    tracker.end("other", vsid_key("aaaaaaaa"))
    assert tracker.active("ep") == 0


def test_client_key_is_salted_and_never_the_address() -> None:
    a = client_key("198.51.100.1", "salt")
    assert "198.51.100.1" not in a and a.startswith("h:")
    assert a == client_key("198.51.100.1", "salt") != client_key("198.51.100.1", "other")


def test_plain_fetch_from_a_vsid_player_is_not_a_second_viewer() -> None:
    tracker = ViewerTracker(15.0)
    ip = client_key("198.51.100.1", "")
    tracker.touch("ep", vsid_key("aaaaaaaa"), via=ip)
    assert not tracker.touch("ep", ip)
    assert tracker.active("ep") == 1
    # another plain client is its own viewer
    assert tracker.touch("ep", client_key("198.51.100.2", ""))
    assert tracker.active("ep") == 2


def test_drain_reports_touched_sessions_and_counter_deltas() -> None:
    clock = Clock()
    tracker = ViewerTracker(15.0, clock=clock)
    tracker.touch("ep", vsid_key("aaaaaaaa"))
    tracker.count_request("ep", 100)
    tracker.count_request("ep", 50)
    tracker.count_heartbeat("ep")
    viewers, counters = tracker.drain()
    assert viewers == [("ep", "v:aaaaaaaa", clock.t)]
    c = counters["ep"]
    assert (c.requests, c.bytes, c.heartbeats, c.sessions_started) == (2, 150, 1, 1)
    assert tracker.drain() == ([], {})
    assert tracker.active("ep") == 1  # draining reports, it does not forget


def test_session_cap() -> None:
    tracker = ViewerTracker(15.0, max_sessions=2)
    for i in range(3):
        tracker.touch("ep", vsid_key(f"viewer{i:04d}"))
    assert tracker.active("ep") == 2 and tracker.refused == 1
