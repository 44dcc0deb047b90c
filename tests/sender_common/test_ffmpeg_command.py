from __future__ import annotations

import os
from pathlib import Path

import pytest

from sender_common.errors import ConfigurationError
from sender_common.ffmpeg import HlsOutput, build_hls_command, resolve_ffmpeg
from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig


def test_passthrough_copies_and_passes_live_window(tmp_path: Path) -> None:
    out = HlsOutput(tmp_path / "3", HlsConfig(segment_seconds=2, window_segments=6))
    argv = build_hls_command("/usr/bin/ffmpeg", out)
    assert argv[0] == "/usr/bin/ffmpeg"
    assert argv[argv.index("-i") + 1] == "pipe:0"
    assert argv[argv.index("-c") + 1] == "copy"
    assert argv[argv.index("-hls_time") + 1] == "2"
    assert argv[argv.index("-hls_list_size") + 1] == "6"
    flags = argv[argv.index("-hls_flags") + 1].split("+")
    for flag in ("delete_segments", "independent_segments", "program_date_time"):
        assert flag in flags
    assert argv[argv.index("-hls_segment_filename") + 1] == str(tmp_path / "3/src/seg_%05d.ts")
    assert argv[-1] == str(tmp_path / "3/src/index.m3u8")


def test_ladder_scales_and_maps_every_rung(tmp_path: Path) -> None:
    ladder = [
        RenditionSpec(name="src"),
        RenditionSpec(name="720p", height=720),
        RenditionSpec(name="360p", height=360, video_bitrate_kbps=800),
    ]
    argv = build_hls_command("ffmpeg", HlsOutput(tmp_path, HlsConfig(), ladder))
    graph = argv[argv.index("-filter_complex") + 1]
    assert "split=2" in graph and "scale=-2:720" in graph and "scale=-2:360" in graph
    assert argv[argv.index("-c:v:0") + 1] == "copy"
    assert argv[argv.index("-c:v:1") + 1] == "libx264"
    assert argv[argv.index("-b:v:2") + 1] == "800k"
    assert argv[argv.index("-var_stream_map") + 1] == (
        "v:0,a:0,name:src v:1,a:1,name:720p v:2,a:2,name:360p"
    )
    assert argv[-1] == str(tmp_path / "%v/index.m3u8")


def test_resolve_ffmpeg_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SENDER_FFMPEG_EXECUTABLE"):
        resolve_ffmpeg(str(tmp_path / "nope"))
    plain = tmp_path / "ffmpeg"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(ConfigurationError, match="not executable"):
        resolve_ffmpeg(str(plain))
    os.chmod(plain, 0o755)
    assert resolve_ffmpeg(str(plain)) == str(plain)


def test_missing_ffmpeg_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SENDER_FFMPEG_EXECUTABLE"):
        resolve_ffmpeg(None)
