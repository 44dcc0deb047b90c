from __future__ import annotations

import os
from pathlib import Path

import pytest

from sender_common.errors import ConfigurationError
from sender_common.ffmpeg import CmafOutput, build_cmaf_command, resolve_ffmpeg
from sender_common.ffmpeg.command import fragment_micros
from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig


def _outputs(argv: list[str]) -> list[list[str]]:
    """The options of each output file (everything before each `pipe:N` after the input)."""
    rest = argv[argv.index("-i") + 2 :]
    outs, cur = [], []
    for arg in rest:
        cur.append(arg)
        if arg.startswith("pipe:"):
            outs.append(cur)
            cur = []
    return outs


def test_passthrough_copies_into_fragmented_mp4_on_a_pipe() -> None:
    hls = HlsConfig(segment_seconds=2, window_segments=6, part_seconds=0.5)
    argv = build_cmaf_command("/usr/bin/ffmpeg", CmafOutput(hls), [7])
    assert argv[0] == "/usr/bin/ffmpeg"
    assert argv[argv.index("-i") + 1] == "pipe:0"
    assert argv[argv.index("-c") + 1] == "copy"
    assert argv[argv.index("-f", argv.index("-i")) + 1] == "mp4"
    flags = argv[argv.index("-movflags") + 1].split("+")
    assert {"empty_moov", "default_base_moof", "frag_keyframe"} <= set(flags)
    # parts are cut between keyframes too, a little under the part target
    assert argv[argv.index("-frag_duration") + 1] == str(fragment_micros(hls))
    assert 0.8 * 500_000 <= fragment_micros(hls) < 500_000
    assert argv[-1] == "pipe:7"


def test_ladder_writes_each_rung_to_its_own_pipe() -> None:
    ladder = [
        RenditionSpec(name="src"),
        RenditionSpec(name="720p", height=720),
        RenditionSpec(name="360p", height=360, video_bitrate_kbps=800),
    ]
    argv = build_cmaf_command("ffmpeg", CmafOutput(HlsConfig(), ladder), [5, 6, 9])
    graph = argv[argv.index("-filter_complex") + 1]
    assert "split=2" in graph and "scale=-2:720" in graph and "scale=-2:360" in graph
    src, r720, r360 = _outputs(argv)
    assert src[-1] == "pipe:5" and r720[-1] == "pipe:6" and r360[-1] == "pipe:9"
    assert src[src.index("-c:v") + 1] == "copy"
    assert r720[r720.index("-c:v") + 1] == "libx264"
    assert r360[r360.index("-b:v") + 1] == "800k"
    assert "-force_key_frames" in r720 and "-force_key_frames" not in src
    with pytest.raises(ValueError):
        build_cmaf_command("ffmpeg", CmafOutput(HlsConfig(), ladder), [5])


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


def test_mpegts_input_gets_its_aac_config_into_the_init_section() -> None:
    """AAC in MPEG-TS is ADTS: raw in MP4, and the init waits for the config (delay_moov)."""
    hls = HlsConfig(segment_seconds=2, window_segments=6, part_seconds=0.5)
    ts = build_cmaf_command("ffmpeg", CmafOutput(hls), [7], input_format="mpegts")
    assert ts[ts.index("-f") + 1] == "mpegts"
    assert ts[ts.index("-bsf:a") + 1] == "aac_adtstoasc"
    assert "delay_moov" in ts[ts.index("-movflags") + 1].split("+")
    ladder = [RenditionSpec(name="src"), RenditionSpec(name="low", height=90)]
    for out in _outputs(
        build_cmaf_command("ffmpeg", CmafOutput(hls, ladder), [7, 8], input_format="mpegts")
    ):
        assert "delay_moov" in out[out.index("-movflags") + 1].split("+")
    flv = build_cmaf_command("ffmpeg", CmafOutput(hls), [7])
    assert "-bsf:a" not in flv
    assert "delay_moov" not in flv[flv.index("-movflags") + 1]
