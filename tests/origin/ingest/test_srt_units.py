"""Parts of the SRT ingest: stream ID parsing and where an MPEG-TS input may resume."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sender_common.ffmpeg import resolve_ffmpeg
from sender_origin.ingest.srt.streamid import BadStreamId, parse_stream_id
from sender_origin.media.mpegts import TsResume, pmt_pid, video_pid
from tests.tools import ffprobe


@pytest.mark.parametrize(
    "raw",
    [
        b"publish:live/sk_abc",
        b"publish:live/sk_abc?user=x",
        b"#!::r=live/sk_abc,m=publish",
        b"#!::m=publish,r=live/sk_abc",
        b"#!:: r=live/sk_abc, m=publish",
    ],
)
def test_both_syntaxes_name_the_key(raw: bytes) -> None:
    sid = parse_stream_id(raw)
    assert (sid.app, sid.key) == ("live", "sk_abc")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "bad_stream_id"),
        (b"x" * 513, "bad_stream_id"),
        (b"\xff\xfe", "bad_stream_id"),
        (b"live/sk_abc", "bad_stream_id"),
        (b"read:live/sk_abc", "bad_mode"),
        (b"#!::r=live/sk_abc", "bad_mode"),  # m defaults to request
        (b"#!::r=live/sk_abc,m=request", "bad_mode"),
        (b"#!::r=live/sk_abc,m=publish,junk", "bad_stream_id"),
        (b"publish:other/sk_abc", "bad_stream_id"),
        (b"publish:live/", "bad_stream_id"),
        (b"publish:live/a/b", "bad_stream_id"),
    ],
)
def test_anything_else_is_refused_without_the_key(raw: bytes, reason: str) -> None:
    with pytest.raises(BadStreamId) as exc:
        parse_stream_id(raw)
    assert exc.value.reason == reason
    assert "sk_abc" not in str(exc.value)


def ts(pid: int, payload: bytes = b"", *, unit_start: bool = True, rai: bool = False) -> bytes:
    """One 188-byte packet; with `rai` an adaptation field carrying the random access flag."""
    head = bytes([0x47, (0x40 if unit_start else 0) | (pid >> 8), pid & 0xFF])
    if rai:
        body = bytes([0x30, 1, 0x40]) + payload
    else:
        body = bytes([0x10]) + payload
    return head + body + b"\xff" * (185 - len(body))


def section(table_id: int, body: bytes) -> bytes:
    length = len(body) + 5 + 4  # the 5 bytes after section_length, then the CRC
    head = bytes([table_id, 0xB0 | (length >> 8), length & 0xFF, 0, 1, 0xC1, 0, 0])
    return b"\x00" + head + body + b"\0\0\0\0"  # pointer_field first


PAT = ts(0, section(0x00, bytes([0, 1, 0xE1, 0x00])))  # programme 1 -> PMT PID 0x100
AUDIO_ES = bytes([0x0F, 0xE1, 0x02, 0xF0, 0])  # AAC on PID 0x102
VIDEO_ES = bytes([0x1B, 0xE1, 0x01, 0xF0, 0])  # H.264 on PID 0x101
PMT = ts(0x100, section(0x02, bytes([0xE1, 0x01, 0xF0, 0]) + AUDIO_ES + VIDEO_ES))


def test_pmt_and_video_pids_are_read() -> None:
    assert pmt_pid(PAT) == 0x100
    assert video_pid(PMT) == 0x101


def test_resume_at_a_keyframe_with_the_tables_in_front() -> None:
    resume = TsResume()
    audio, video = ts(0x102), ts(0x101, unit_start=True)
    key = ts(0x101, rai=True)
    assert resume.start(b"junk" + audio + PAT + PMT + video + audio) is None  # mid-GOP
    out = resume.start(audio + key + audio)
    assert out == PAT + PMT + key + audio
    assert TsResume().start(key + PAT + PMT) is None  # tables are needed first


def test_resume_regains_sync_after_a_torn_packet() -> None:
    key = ts(0x101, rai=True)
    data = PAT + PMT + ts(0x102)[:100] + key
    assert TsResume().start(data) == PAT + PMT + key


def test_resume_in_real_ffmpeg_output_starts_with_a_keyframe(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi"]
    argv += ["-i", "testsrc2=size=320x180:rate=15", "-f", "lavfi", "-i", "sine", "-t", "3"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac"]
    data = subprocess.run(
        [*argv, "-f", "mpegts", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    cut = data[len(data) // 3 + 57 :]  # mid-GOP, mid-packet
    out = TsResume().start(cut)
    assert out is not None
    (tmp_path / "resumed.ts").write_bytes(out)
    probe = ffprobe(
        tmp_path / "resumed.ts", "-select_streams", "v", "-show_entries", "frame=pict_type"
    )
    frames = [f["pict_type"] for f in probe["frames"]]
    assert frames[0] == "I"
    assert len(frames) >= 15
