from sender_common.recent import RecentMisses


def test_misses_expire_and_stay_bounded() -> None:
    now = [0.0]
    misses = RecentMisses(ttl=2, size=3, clock=lambda: now[0])
    misses.add("a")
    assert "a" in misses and "b" not in misses
    now[0] = 2.5
    assert "a" not in misses
    for key in "bcde":
        misses.add(key)
    assert "b" not in misses  # the oldest went first
    assert all(k in misses for k in "cde")
    misses.discard("c")
    assert "c" not in misses
