"""Two ffmpeg runs with the same init section joined into one fMP4 timeline."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from sender_common.cmaf.fmp4 import iter_boxes, parse_init, split_file, track_spans
from sender_common.cmaf.splice import Splice
from sender_common.ffmpeg import resolve_ffmpeg


def _run(out: Path, seconds: int) -> bytes:
    subprocess.run(
        [
            resolve_ffmpeg(),
            *("-hide_banner", "-loglevel", "error"),
            *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"),
            *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
            *("-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25"),
            *("-c:a", "aac", "-fflags", "+bitexact", "-f", "mp4"),
            *("-movflags", "empty_moov+default_base_moof+frag_keyframe", str(out)),
        ],
        check=True,
    )
    return out.read_bytes()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    tmp = tmp_path_factory.mktemp("splice")
    return _run(tmp / "a.mp4", 2), _run(tmp / "b.mp4", 2)


def _seq(moof: bytes) -> int:
    for kind, body, stop in iter_boxes(moof):
        if kind == b"moof":
            for inner, ib, _ in iter_boxes(moof, body, stop):
                if inner == b"mfhd":
                    return int(struct.unpack_from(">I", moof, ib + 4)[0])
    raise AssertionError("no mfhd")


def test_same_init_continues_sequence_and_decode_times(runs: tuple[bytes, bytes]) -> None:
    (init_a, frags_a), (init_b, frags_b) = split_file(runs[0]), split_file(runs[1])
    assert init_a == init_b  # the same settings give the same init section
    info = parse_init(init_a)
    splice = Splice()
    assert not splice.begin(init_a, info, None)
    splice.placed("1/src/init0.mp4")
    first = [splice.fragment(f) for f in frags_a]
    ends = dict(splice.ends)
    assert splice.begin(init_b, info, "1/src/init0.mp4")
    second = [splice.fragment(f) for f in frags_b]
    seqs = [_seq(f) for f in first + second]
    assert seqs == list(range(1, len(seqs) + 1))
    video = next(t.track_id for t in info.tracks.values() if t.kind == "vide")
    starts = [track_spans(f, info)[video][0] for f in second]
    assert starts[0] == ends[video]  # the second run starts where the first ended
    assert starts == sorted(starts)
    for track_id, (base, _) in track_spans(second[0], info).items():
        assert base >= ends[track_id]  # no track overlaps the previous run
    assert len(second[0]) == len(frags_b[0])  # rewritten in place, sizes unchanged


def test_a_different_init_or_map_starts_a_new_timeline(runs: tuple[bytes, bytes]) -> None:
    init, frags = split_file(runs[0])
    info = parse_init(init)
    splice = Splice()
    splice.begin(init, info, None)
    splice.placed("1/src/init0.mp4")
    splice.fragment(frags[0])
    assert not splice.begin(init, info, "slate/init.mp4")  # something else came in between
    assert not splice.begin(init + b"\0", info, "1/src/init0.mp4")
    again = splice.fragment(frags[0])
    assert track_spans(again, info) == track_spans(frags[0], info)  # times as written
    assert _seq(again) == 2  # sequence numbers keep rising
