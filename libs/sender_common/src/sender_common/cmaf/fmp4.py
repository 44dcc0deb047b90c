"""Pure reading of fragmented MP4 (ISO/IEC 14496-12), as much as CMAF packaging needs.

An fMP4 stream is `ftyp`, `moov` (the init section: tracks, timescales, codecs, `trex`
defaults), then `moof`+`mdat` pairs (fragments). For a fragment we want its start and
duration on the main track (video if there is one) and whether it starts with a sync
sample, so it can be an LL-HLS part (RFC 8216bis 4.4.4.9) and a segment may start there.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from sender_common.errors import FormatError

__all__ = [
    "Fmp4Error",
    "FragmentInfo",
    "InitInfo",
    "NoMainTrack",
    "TrackInfo",
    "iter_boxes",
    "parse_fragment",
    "parse_init",
    "split_file",
    "track_spans",
]

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"edts"}
NON_SYNC = 0x00010000  # sample_is_non_sync_sample in the sample flags


class Fmp4Error(FormatError, ValueError):
    """Bytes that are not the fragmented MP4 we expect."""


class NoMainTrack(Fmp4Error):
    """A well-formed fragment with samples of other tracks only (e.g. audio before the first
    video keyframe of an ffmpeg run restarted mid-stream): nothing to time a part by."""


@dataclass(slots=True)
class TrackInfo:
    track_id: int
    kind: str  # "vide", "soun", ...
    timescale: int = 1000
    codec: str | None = None  # RFC 6381 string for CODECS
    default_duration: int = 0
    default_flags: int = 0


@dataclass(slots=True)
class InitInfo:
    tracks: dict[int, TrackInfo] = field(default_factory=dict)

    @property
    def main(self) -> TrackInfo | None:
        """The track whose time drives parts and segments: video if any."""
        video = [t for t in self.tracks.values() if t.kind == "vide"]
        found = video or list(self.tracks.values())
        return found[0] if found else None

    @property
    def codecs(self) -> str | None:
        found = [t.codec for t in sorted(self.tracks.values(), key=_video_first) if t.codec]
        return ",".join(found) or None


def _video_first(t: TrackInfo) -> tuple[int, int]:
    return (0 if t.kind == "vide" else 1, t.track_id)


@dataclass(frozen=True, slots=True)
class FragmentInfo:
    start: float  # seconds, main track's base media decode time
    duration: float  # seconds, main track's samples
    independent: bool  # starts with a sync sample of the main track (always for audio only)


def iter_boxes(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Fmp4Error("truncated large box header")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Fmp4Error(f"bad size for box {kind!r}")
        yield kind, pos + header, pos + size
        pos += size


def _find(data: bytes, start: int, end: int, path: list[bytes]) -> Iterator[tuple[int, int]]:
    for kind, body, stop in iter_boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                yield body, stop
            else:
                yield from _find(data, body, stop, path[1:])


def _first(data: bytes, start: int, end: int, path: list[bytes]) -> tuple[int, int] | None:
    return next(_find(data, start, end, path), None)


def parse_init(data: bytes) -> InitInfo:
    """Tracks of an init section (`ftyp`+`moov`)."""
    moov = _first(data, 0, len(data), [b"moov"])
    if moov is None:
        raise Fmp4Error("no moov box")
    info = InitInfo()
    for tb, te in _find(data, moov[0], moov[1], [b"trak"]):
        tkhd = _first(data, tb, te, [b"tkhd"])
        mdhd = _first(data, tb, te, [b"mdia", b"mdhd"])
        hdlr = _first(data, tb, te, [b"mdia", b"hdlr"])
        if tkhd is None or mdhd is None or hdlr is None:
            raise Fmp4Error("incomplete trak")
        version = data[tkhd[0]]
        track_id = struct.unpack_from(">I", data, tkhd[0] + (20 if version == 1 else 12))[0]
        version = data[mdhd[0]]
        timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if version == 1 else 12))[0]
        kind = data[hdlr[0] + 8 : hdlr[0] + 12].decode("latin-1")
        stsd = _first(data, tb, te, [b"mdia", b"minf", b"stbl", b"stsd"])
        codec = _codec(data, stsd[0] + 8, stsd[1]) if stsd else None
        info.tracks[track_id] = TrackInfo(track_id, kind, timescale or 1000, codec)
    for body, _ in _find(data, moov[0], moov[1], [b"mvex", b"trex"]):
        track_id, _desc, duration, _size, flags = struct.unpack_from(">5I", data, body + 4)
        if track_id in info.tracks:
            info.tracks[track_id].default_duration = duration
            info.tracks[track_id].default_flags = flags
    if not info.tracks:
        raise Fmp4Error("moov without tracks")
    return info


def _codec(data: bytes, start: int, end: int) -> str | None:
    """RFC 6381 codec string of the first sample entry (avc1/hvc1/mp4a)."""
    for kind, body, stop in iter_boxes(data, start, end):
        if kind in (b"avc1", b"avc3"):
            avcc = _first(data, body + 78, stop, [b"avcC"])
            if avcc is not None and avcc[1] - avcc[0] >= 4:
                p, c, lvl = data[avcc[0] + 1], data[avcc[0] + 2], data[avcc[0] + 3]
                return f"{kind.decode()}.{p:02x}{c:02x}{lvl:02x}"
            return kind.decode()
        if kind == b"mp4a":
            return _mp4a(data, body + 28, stop)
        return kind.decode("latin-1")
    return None


def _mp4a(data: bytes, start: int, end: int) -> str:
    """mp4a.40.N from the esds DecoderSpecificInfo (AAC-LC is 2)."""
    esds = _first(data, start, end, [b"esds"])
    if esds is None:
        return "mp4a.40.2"
    raw = data[esds[0] + 4 : esds[1]]
    i = raw.find(b"\x05")  # DecoderSpecificInfo tag; audio object type in its top 5 bits
    while i != -1:
        j = i + 1
        while j < len(raw) and raw[j] & 0x80:
            j += 1
        if j + 1 < len(raw):
            aot = raw[j + 1] >> 3
            if 0 < aot < 31:
                return f"mp4a.40.{aot}"
        i = raw.find(b"\x05", i + 1)
    return "mp4a.40.2"


def parse_fragment(moof: bytes, init: InitInfo) -> FragmentInfo:
    """Start, duration and independence of one `moof` (the box bytes, header included)."""
    main = init.main
    if main is None:
        raise Fmp4Error("no tracks")
    for kind, body, stop in iter_boxes(moof):
        if kind != b"moof":
            continue
        for tb, te in _find(moof, body, stop, [b"traf"]):
            found = _traf(moof, tb, te, init)
            if found is not None and found[0] == main.track_id:
                _, start, duration, first_flags = found
                independent = main.kind != "vide" or not first_flags & NON_SYNC
                return FragmentInfo(start / main.timescale, duration / main.timescale, independent)
        break
    raise NoMainTrack("fragment without the main track")


def track_spans(moof: bytes, init: InitInfo) -> dict[int, tuple[int, int]]:
    """Track id -> (base media decode time, samples' duration) of one `moof`, in each
    track's timescale."""
    spans: dict[int, tuple[int, int]] = {}
    for kind, body, stop in iter_boxes(moof):
        if kind == b"moof":
            for tb, te in _find(moof, body, stop, [b"traf"]):
                found = _traf(moof, tb, te, init)
                if found is not None:
                    spans[found[0]] = (found[1], found[2])
    return spans


def _traf(data: bytes, start: int, end: int, init: InitInfo) -> tuple[int, int, int, int] | None:
    tfhd = _first(data, start, end, [b"tfhd"])
    if tfhd is None:
        raise Fmp4Error("traf without tfhd")
    flags = int.from_bytes(data[tfhd[0] + 1 : tfhd[0] + 4], "big")
    track_id = struct.unpack_from(">I", data, tfhd[0] + 4)[0]
    track = init.tracks.get(track_id)
    if track is None:
        return None
    pos = tfhd[0] + 8
    pos += 8 if flags & 0x01 else 0  # base-data-offset
    pos += 4 if flags & 0x02 else 0  # sample-description-index
    default_duration, default_flags = track.default_duration, track.default_flags
    if flags & 0x08:
        default_duration = struct.unpack_from(">I", data, pos)[0]
        pos += 4
    pos += 4 if flags & 0x10 else 0  # default-sample-size
    if flags & 0x20:
        default_flags = struct.unpack_from(">I", data, pos)[0]
    tfdt = _first(data, start, end, [b"tfdt"])
    base = 0
    if tfdt is not None:
        if data[tfdt[0]] == 1:
            base = struct.unpack_from(">Q", data, tfdt[0] + 4)[0]
        else:
            base = struct.unpack_from(">I", data, tfdt[0] + 4)[0]
    total, first_flags, seen_first = 0, default_flags, False
    for rb, _re in _find(data, start, end, [b"trun"]):
        tflags = int.from_bytes(data[rb + 1 : rb + 4], "big")
        count = struct.unpack_from(">I", data, rb + 4)[0]
        pos = rb + 8 + (4 if tflags & 0x01 else 0)
        run_first = None
        if tflags & 0x04:
            run_first = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if tflags & bit]
        for i in range(count):
            duration, sample_flags = default_duration, default_flags
            for bit in fields:
                value = struct.unpack_from(">I", data, pos)[0]
                pos += 4
                if bit == 0x100:
                    duration = value
                elif bit == 0x400:
                    sample_flags = value
            if i == 0 and run_first is not None:
                sample_flags = run_first
            if not seen_first:
                first_flags, seen_first = sample_flags, True
            total += duration
    return track_id, base, total, first_flags


def split_file(data: bytes) -> tuple[bytes, list[bytes]]:
    """A whole fragmented MP4 file: (init section, [moof+mdat, ...])."""
    init = bytearray()
    frags: list[bytes] = []
    pending: bytes | None = None
    pos = 0
    for kind, _body, stop in iter_boxes(data):
        box, pos = data[pos:stop], stop
        if kind in (b"ftyp", b"moov"):
            init += box
        elif kind == b"moof":
            pending = box
        elif kind == b"mdat" and pending is not None:
            frags.append(pending + box)
            pending = None
    if not init or not frags:
        raise Fmp4Error("not a fragmented MP4 file")
    return bytes(init), frags
