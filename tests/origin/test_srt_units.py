"""Pure parts of the SRT ingest: stream ID parsing and where an MPEG-TS input may resume."""

from __future__ import annotations

import pytest

from sender_origin.ingest.mpegts import resume_offset
from sender_origin.ingest.srt_streamid import BadStreamId, parse_stream_id


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


def ts(pid: int, *, unit_start: bool) -> bytes:
    flags = 0x40 if unit_start else 0
    return bytes([0x47, flags | (pid >> 8), pid & 0xFF, 0x10]) + bytes(184)


def test_resume_at_the_first_pat_that_starts_a_section() -> None:
    data = b"\x00junk" + ts(256, unit_start=True) + ts(0, unit_start=False) + ts(0, unit_start=True)
    assert resume_offset(data) == 5 + 188 * 2
    assert resume_offset(ts(256, unit_start=True) * 3) is None
    assert resume_offset(b"") is None
    assert resume_offset(b"\x47" * 1000) is None


def test_resume_regains_sync_after_a_torn_packet() -> None:
    torn = ts(256, unit_start=True)[:100]
    data = ts(256, unit_start=False) + torn + ts(17, unit_start=True) + ts(0, unit_start=True)
    assert resume_offset(data) == 188 + 100 + 188
