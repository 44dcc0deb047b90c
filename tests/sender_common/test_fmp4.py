"""Reading fragmented MP4 as ffmpeg writes it for the packager."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from sender_common.cmaf.fmp4 import Fmp4Error, NoMainTrack, parse_fragment, parse_init, split_file
from sender_common.ffmpeg import resolve_ffmpeg


@pytest.fixture(scope="module")
def fmp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("fmp4") / "t.mp4"
    subprocess.run(
        [
            resolve_ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "mp4",
            "-movflags",
            "empty_moov+default_base_moof+frag_keyframe",
            "-frag_duration",
            "200000",
            str(out),
        ],
        check=True,
    )
    return Path(out).read_bytes()


def test_init_names_tracks_and_codecs(fmp4: bytes) -> None:
    init, _ = split_file(fmp4)
    info = parse_init(init)
    kinds = sorted(t.kind for t in info.tracks.values())
    assert kinds == ["soun", "vide"]
    assert info.main is not None and info.main.kind == "vide"
    assert info.codecs is not None
    video, audio = info.codecs.split(",")
    assert video.startswith("avc1.") and len(video) == len("avc1.42c00d")
    assert audio == "mp4a.40.2"


def test_fragments_cover_the_stream_and_keyframes_are_independent(fmp4: bytes) -> None:
    init, frags = split_file(fmp4)
    info = parse_init(init)
    parsed = [parse_fragment(f, info) for f in frags]
    assert len(parsed) >= 16  # cut between keyframes too, not only at them
    total = sum(p.duration for p in parsed)
    assert total == pytest.approx(4.0, abs=0.05)
    for a, b in itertools.pairwise(parsed):
        assert b.start == pytest.approx(a.start + a.duration, abs=1e-6)
    keyframes = [p.start for p in parsed if p.independent]
    assert keyframes[:4] == pytest.approx([0, 1, 2, 3], abs=0.05)  # GOP of 25 at 25 fps
    assert all(p.duration <= 0.25 for p in parsed)


def test_garbage_is_refused() -> None:
    with pytest.raises(Fmp4Error):
        split_file(b"\x00\x00\x00\x10moof")
    with pytest.raises(Fmp4Error):
        parse_init(b"\x00\x00\x00\x08ftyp")


def test_a_fragment_without_the_main_track_is_told_apart(fmp4: bytes) -> None:
    """What a packager skips (a restarted run's audio before its first video) is not garbage."""
    init, frags = split_file(fmp4)
    info = parse_init(init)
    assert info.main is not None
    main_id = info.main.track_id.to_bytes(4, "big")
    moof = bytearray(frags[0])
    at = moof.find(b"tfhd")
    while at != -1:  # renumber the main track's traf: its samples are then another track's
        if moof[at + 8 : at + 12] == main_id:
            moof[at + 8 : at + 12] = (99).to_bytes(4, "big")
        at = moof.find(b"tfhd", at + 4)
    with pytest.raises(NoMainTrack):
        parse_fragment(bytes(moof), info)
