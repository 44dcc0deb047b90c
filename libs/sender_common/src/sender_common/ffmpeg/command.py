"""Pure ffmpeg argv builders (no I/O): RTMP/FLV in, fragmented MP4 (CMAF) out.

Each rendition's ffmpeg output is a fragmented MP4 stream written to an inherited pipe
(`pipe:FD`): `ftyp+moov` (the init section), then one `moof+mdat` per fragment, cut at
every keyframe and, between keyframes, about every part duration. The node turns those
fragments into LL-HLS parts and segments (`sender_origin.streams.packager`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig

SOURCE = RenditionSpec(name="src")
MP4_FLAGS = "empty_moov+default_base_moof+frag_keyframe"
FRAGMENT_SHARE = 0.85  # ffmpeg closes a fragment at the first frame past this: parts stay
# within the advertised part target (RFC 8216bis: at least 85 % of it, except segment ends)


@dataclass(frozen=True, slots=True)
class CmafOutput:
    """How one generation is packaged: its renditions and the shared HLS timing."""

    hls: HlsConfig
    renditions: Sequence[RenditionSpec] = field(default_factory=lambda: [SOURCE])

    @property
    def passthrough(self) -> bool:
        return len(self.renditions) == 1 and self.renditions[0].height is None


def fragment_micros(hls: HlsConfig) -> int:
    """ffmpeg's `-frag_duration` for the part target."""
    return max(50_000, round(hls.part_seconds * FRAGMENT_SHARE * 1_000_000))


def _mp4_output(hls: HlsConfig, fd: int, input_format: str | None = None) -> list[str]:
    # MPEG-TS carries AAC's decoder config in its packets (ADTS), not up front: the init
    # section waits for the first fragment so that its `esds` has it (browsers need it)
    flags = f"{MP4_FLAGS}+delay_moov" if input_format == "mpegts" else MP4_FLAGS
    return [
        "-f",
        "mp4",
        "-movflags",
        flags,
        "-frag_duration",
        str(fragment_micros(hls)),
        "-flush_packets",
        "1",
        f"pipe:{fd}",
    ]


def _input(source: str, input_format: str | None) -> list[str]:
    args = ["-hide_banner", "-nostats", "-loglevel", "warning"]
    if input_format:
        # A live FLV input announces its streams up front: probe briefly, start at once.
        args += ["-analyzeduration", "1000000", "-probesize", "65536"]
        args += ["-f", input_format]
    return [*args, "-i", source]


def build_cmaf_command(
    ffmpeg: str,
    out: CmafOutput,
    fds: Sequence[int],
    *,
    source: str = "pipe:0",
    input_format: str | None = "flv",
) -> list[str]:
    """argv writing rendition i's fragmented MP4 to `pipe:{fds[i]}`: passthrough for a lone
    source rung, else a ladder (scaled rungs re-encoded, keyframes on segment edges)."""
    if len(fds) != len(out.renditions):
        raise ValueError("one pipe per rendition")
    args = [ffmpeg, *_input(source, input_format)]
    if out.passthrough:
        args += ["-map", "0:v?", "-map", "0:a?", "-c", "copy"]
        if input_format == "mpegts":  # AAC in MPEG-TS is ADTS-framed; MP4 wants it raw
            args += ["-bsf:a", "aac_adtstoasc"]
        return [*args, *_mp4_output(out.hls, fds[0], input_format)]
    scaled = [(i, r) for i, r in enumerate(out.renditions) if r.height is not None]
    if scaled:
        split = f"[0:v]split={len(scaled)}" + "".join(f"[s{i}]" for i, _ in scaled)
        chains = [f"[s{i}]scale=-2:{r.height}[v{i}]" for i, r in scaled]
        args += ["-filter_complex", ";".join([split, *chains])]
    seg = out.hls.segment_seconds
    for i, r in enumerate(out.renditions):
        args += ["-map", "0:v:0" if r.height is None else f"[v{i}]", "-map", "0:a:0?"]
        if r.height is None:
            args += ["-c:v", "copy"]
        else:
            kbps = r.video_bitrate_kbps or max(200, r.height * 4)
            args += ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"]
            args += ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 2}k"]
            args += ["-force_key_frames", f"expr:gte(t,n_forced*{seg:g})", "-sc_threshold", "0"]
        args += ["-c:a", "aac", "-b:a", f"{r.audio_bitrate_kbps}k"]
        args += _mp4_output(out.hls, fds[i], input_format)
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
    """argv of a test-pattern + tone publisher over RTMP, or over SRT (MPEG-TS) for an
    `srt://` URL (the demo and the tests)."""
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
        "mpegts" if url.startswith("srt://") else "flv",
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
    """argv of one self-contained "offline" fragmented MP4 (video + silent audio)."""
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
        "-f", "mp4", "-movflags", MP4_FLAGS, str(out_path),
    ]  # fmt: skip
