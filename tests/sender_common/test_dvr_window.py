"""The DVR window's playlist as it slides: discontinuity sequence, no EVENT promise, caching."""

from __future__ import annotations

from sender_common.hls.playlist.dvr_playlist import DvrEntry, DvrTrack
from sender_common.hls.playlist.parse import parse_media_playlist


def _entries() -> list[DvrEntry]:
    """Generation 1 (seg 0-3), a reconnect with a new init section (seg 4-5), generation 2."""
    out = []
    for i in range(10):
        gen = 1 if i < 6 else 2
        init = "init0.mp4" if i < 4 else "init4.mp4"
        out.append(
            DvrEntry(i, f"{gen}/src/seg{i}.m4s", f"{gen}/src/{init}", 2.0, 1000.0 + 2 * i, 10,
                     discontinuity=i == 6)
        )  # fmt: skip
    return out


def _disc_seq(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            return int(line.split(":")[1])
    return 0


def test_window_sliding_over_breaks_keeps_the_discontinuity_sequence() -> None:
    track = DvrTrack(_entries())
    seen: list[tuple[int, int, int]] = []
    for start in range(10):
        body = track.render(1000.0 + 2 * start + 1, prefix="", ended=False)
        assert body is not None
        text = body.decode()
        shown = text.count("#EXT-X-DISCONTINUITY\n")
        seen.append((start, _disc_seq(text), shown))
        # the first segment's discontinuity number is the same whatever the window
        pl = parse_media_playlist(text)
        assert pl.media_sequence == start
    # breaks before seg 4 and seg 6: the count rises as each one leaves the window
    assert seen == [
        (0, 0, 2), (1, 0, 2), (2, 0, 2), (3, 0, 2), (4, 1, 1),
        (5, 1, 1), (6, 2, 0), (7, 2, 0), (8, 2, 0), (9, 2, 0),
    ]  # fmt: skip


def test_breaks_that_left_stay_counted_when_a_generation_is_forgotten() -> None:
    entries = _entries()
    track = DvrTrack(entries[6:], breaks_before=DvrTrack(entries).breaks_through(6))
    body = track.render(0.0, prefix="", ended=True)
    assert body is not None and _disc_seq(body.decode()) == 2


def test_no_playlist_type_even_before_anything_left_the_window() -> None:
    track = DvrTrack(_entries())
    whole = track.render(0.0, prefix="../", ended=False)
    assert whole is not None
    text = whole.decode()
    assert "#EXT-X-PLAYLIST-TYPE" not in text  # EVENT would promise no segment ever leaves
    assert "#EXT-X-DISCONTINUITY-SEQUENCE" not in text
    assert '#EXT-X-MAP:URI="../1/src/init0.mp4"' in text
    assert text.count("#EXT-X-PROGRAM-DATE-TIME:") == 10


def test_rendering_is_kept_until_the_window_changes() -> None:
    track = DvrTrack(_entries()[:5])
    first = track.render(1001.0, prefix="", ended=False)
    assert first is not None and track.render(1001.5, prefix="", ended=False) is first
    track.append(_entries()[5])
    again = track.render(1001.5, prefix="", ended=False)
    assert again is not first and again is not None and b"seg5.m4s" in again
    assert track.render(2000.0, prefix="", ended=False) is None
