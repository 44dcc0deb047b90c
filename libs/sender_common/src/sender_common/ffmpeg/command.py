"""Pure ffmpeg argv builders (no I/O): RTMP/FLV in, HLS out.

Output layout of one generation directory::

    {gen_dir}/{rendition}/index.m3u8    media playlist (RFC 8216 4.3.3)
    {gen_dir}/{rendition}/seg_00001.ts  segments
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig

SEGMENT_PATTERN = "seg_%05d.ts"
MEDIA_PLAYLIST = "index.m3u8"
SOURCE = RenditionSpec(name="src")


@dataclass(frozen=True, slots=True)
class HlsOutput:
    """Where and how one generation is written."""

    gen_dir: Path
    hls: HlsConfig
    renditions: Sequence[RenditionSpec] = field(default_factory=lambda: [SOURCE])
    append: bool = True  # a restarted ffmpeg continues the playlist with a discontinuity


def _hls_flags(out: HlsOutput) -> str:
    flags = ["delete_segments", "independent_segments", "program_date_time", "temp_file"]
    if out.append:
        flags += ["append_list", "discont_start"]
    return "+".join(flags)


def _hls_options(out: HlsOutput) -> list[str]:
    return [
        "-f",
        "hls",
        "-hls_time",
        f"{out.hls.segment_seconds:g}",
        "-hls_list_size",
        str(out.hls.window_segments),
        "-hls_delete_threshold",
        "2",
        "-hls_flags",
        _hls_flags(out),
        "-hls_allow_cache",
        "0",
    ]


def _input(source: str, input_format: str | None) -> list[str]:
    args = ["-hide_banner", "-nostats", "-loglevel", "warning"]
    if input_format:
        # A live FLV input announces its streams up front: probe briefly, start at once.
        args += ["-analyzeduration", "1000000", "-probesize", "65536"]
        args += ["-f", input_format]
    return [*args, "-i", source]


def build_hls_command(
    ffmpeg: str, out: HlsOutput, *, source: str = "pipe:0", input_format: str | None = "flv"
) -> list[str]:
    """argv turning one FLV input into HLS: passthrough for a lone source rung, else a ladder."""
    if len(out.renditions) == 1 and out.renditions[0].height is None:
        return _passthrough(ffmpeg, out, source, input_format)
    return _ladder(ffmpeg, out, source, input_format)


def _passthrough(ffmpeg: str, out: HlsOutput, source: str, input_format: str | None) -> list[str]:
    rdir = out.gen_dir / out.renditions[0].name
    return [
        ffmpeg,
        *_input(source, input_format),
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-c",
        "copy",
        *_hls_options(out),
        "-hls_segment_filename",
        str(rdir / SEGMENT_PATTERN),
        str(rdir / MEDIA_PLAYLIST),
    ]


def _ladder(ffmpeg: str, out: HlsOutput, source: str, input_format: str | None) -> list[str]:
    """Source plus scaled rungs; each rung is video + audio, keyframes forced on segment edges."""
    scaled = [(i, r) for i, r in enumerate(out.renditions) if r.height is not None]
    args = [ffmpeg, *_input(source, input_format)]
    if scaled:
        split = f"[0:v]split={len(scaled)}" + "".join(f"[s{i}]" for i, _ in scaled)
        chains = [f"[s{i}]scale=-2:{r.height}[v{i}]" for i, r in scaled]
        args += ["-filter_complex", ";".join([split, *chains])]
    stream_map = []
    for i, r in enumerate(out.renditions):
        args += ["-map", "0:v:0" if r.height is None else f"[v{i}]", "-map", "0:a:0"]
        stream_map.append(f"v:{i},a:{i},name:{r.name}")
    for i, r in enumerate(out.renditions):
        if r.height is None:
            args += [f"-c:v:{i}", "copy"]
        else:
            kbps = r.video_bitrate_kbps or max(200, r.height * 4)
            args += [
                f"-c:v:{i}",
                "libx264",
                f"-preset:v:{i}",
                "veryfast",
                f"-b:v:{i}",
                f"{kbps}k",
                f"-maxrate:v:{i}",
                f"{kbps}k",
                f"-bufsize:v:{i}",
                f"{kbps * 2}k",
            ]
        args += [f"-c:a:{i}", "aac", f"-b:a:{i}", f"{r.audio_bitrate_kbps}k"]
    seg = out.hls.segment_seconds
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{seg:g})", "-sc_threshold", "0"]
    args += [
        *_hls_options(out),
        "-var_stream_map",
        " ".join(stream_map),
        "-hls_segment_filename",
        str(out.gen_dir / "%v" / SEGMENT_PATTERN),
        str(out.gen_dir / "%v" / MEDIA_PLAYLIST),
    ]
    return args


def build_test_publisher_command(
    ffmpeg: str,
    url: str,
    *,
    size: str = "320x180",
    rate: int = 15,
    gop_seconds: float = 2.0,
    duration: float | None = None,
    realtime: bool = True,
) -> list[str]:
    """argv of a test-pattern + tone publisher over RTMP (the demo and the tests)."""
    args = [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error"]
    if realtime:
        args.append("-re")
    args += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]
    args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    if duration is not None:
        args += ["-t", f"{duration:g}"]
    gop = max(1, round(rate * gop_seconds))
    args += [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(gop),
        "-keyint_min",
        str(gop),
        "-b:v",
        "300k",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "flv",
        url,
    ]
    return args


SLATE_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def build_slate_command(
    ffmpeg: str,
    out_path: Path,
    *,
    seconds: float,
    text: str = "Stream offline",
    font: str | None = None,
    size: str = "640x360",
    rate: int = 25,
) -> list[str]:
    """argv of one self-contained "offline" MPEG-TS segment (video + silent audio)."""
    video = f"color=c=0x1d2430:s={size}:r={rate}:d={seconds:g}"
    if font:
        safe = text.replace("\\", "").replace(":", "").replace("'", "")
        video += (
            f",drawtext=fontfile={font}:text='{safe}':fontcolor=white:fontsize=36:"
            "x=(w-text_w)/2:y=(h-text_h)/2"
        )
    return [
        ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", video,
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo",
        "-t", f"{seconds:g}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-g", str(round(rate * seconds)),
        "-c:a", "aac", "-b:a", "64k",
        "-f", "mpegts", str(out_path),
    ]  # fmt: skip
