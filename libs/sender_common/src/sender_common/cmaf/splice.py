"""One rendition's fragmented MP4 kept as one stream across ffmpeg runs (ISO/IEC 14496-12 8.8).

Every ffmpeg run starts its fragments at sequence number 1 (`mfhd`) and its decode times at
the publisher's first timestamp (`tfdt`), and writes its own init section. Announced as a new
`EXT-X-MAP` after `EXT-X-DISCONTINUITY` (RFC 8216 4.3.2.3), hls.js and ffmpeg follow, but a
byte-stream client that keeps the first init section of a playlist and restarts its MP4
demuxer at a discontinuity without it (VLC 3) stops there. When a run's init section is the
same as the previous run's (the same publisher settings), nothing about the encoding changed:
the run's fragments are joined onto the previous timeline instead, with rising sequence
numbers and decode times that continue where the previous run ended, so the playlist needs
neither a new map nor a discontinuity. A different init section still starts a new timeline;
then the first segment file after the break starts with that init section (`ftyp`+`moov`,
before its first `moof`), so a demuxer restarted there without the map finds its tracks. The
parts stay bare fragments; players that use the map ignore an init section they already have.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from sender_common.cmaf.fmp4 import Fmp4Error, InitInfo, iter_boxes, track_spans

__all__ = ["Splice"]


@dataclass(slots=True)
class _Traf:
    track_id: int
    tfdt_at: int  # offset of the tfdt payload (version byte) in the moof
    base: int  # the decode time as written


@dataclass(slots=True)
class Splice:
    """Where one rendition's timeline stands: its init section and each track's end."""

    init: bytes | None = None
    map_uri: str | None = None
    next_seq: int = 1
    ends: dict[int, int] = field(default_factory=dict)  # track id -> decode time after its end
    _info: InitInfo | None = None
    _shift: float | None = None  # seconds added to this run's decode times
    _offsets: dict[int, int] = field(default_factory=dict)

    def begin(self, init: bytes, info: InitInfo, map_uri: str | None) -> bool:
        """A run's init section; True when it continues the timeline of `map_uri`, the map
        the playlist has in force (the previous run's, unless something came in between)."""
        joined = (
            init == self.init
            and map_uri is not None
            and map_uri == self.map_uri
            and bool(self.ends)
        )
        if not joined:
            self.ends = {}
        self.init, self._info = init, info
        self._shift, self._offsets = (None if joined else 0.0), {}
        return joined

    def placed(self, map_uri: str) -> None:
        """The map the playlist announces for this run (a new one, or the joined one)."""
        self.map_uri = map_uri

    def fragment(self, moof: bytes) -> bytes:
        """The `moof` with its sequence number and decode times on the joined timeline."""
        if self._info is None:
            raise Fmp4Error("fragment before an init section")
        out = bytearray(moof)
        trafs = self._read(out)
        if self._shift is None:  # the first fragment of a joined run: line every track up
            gaps = [
                (self.ends[t.track_id] - t.base) / self._scale(t.track_id)
                for t in trafs
                if t.track_id in self.ends
            ]
            self._shift = max(gaps, default=0.0)
        for t in trafs:
            self._write_tfdt(out, t, t.base + self._offset(t))
        joined = bytes(out)
        for track_id, (base, duration) in track_spans(joined, self._info).items():
            self.ends[track_id] = max(base + duration, self.ends.get(track_id, 0))
        return joined

    def _scale(self, track_id: int) -> int:
        assert self._info is not None
        track = self._info.tracks.get(track_id)
        return track.timescale if track is not None else 1000

    def _offset(self, t: _Traf) -> int:
        found = self._offsets.get(t.track_id)
        if found is None:
            found = round((self._shift or 0.0) * self._scale(t.track_id))
            end = self.ends.get(t.track_id)
            if end is not None and t.base + found < end:  # never overlap the previous run
                found = end - t.base
            found = max(found, -t.base)  # decode times stay unsigned
            self._offsets[t.track_id] = found
        return found

    def _read(self, out: bytearray) -> list[_Traf]:
        """Renumber the `mfhd` in place; the tracks' `tfdt` positions and values."""
        data = bytes(out)
        trafs: list[_Traf] = []
        for kind, body, stop in iter_boxes(data):
            if kind != b"moof":
                continue
            for inner, ib, ie in iter_boxes(data, body, stop):
                if inner == b"mfhd":
                    struct.pack_into(">I", out, ib + 4, self.next_seq & 0xFFFFFFFF)
                    self.next_seq += 1
                elif inner == b"traf":
                    trafs.append(_traf(data, ib, ie))
        return trafs

    @staticmethod
    def _write_tfdt(out: bytearray, t: _Traf, value: int) -> None:
        if out[t.tfdt_at] == 1:
            struct.pack_into(">Q", out, t.tfdt_at + 4, value)
        elif value < 1 << 32:
            struct.pack_into(">I", out, t.tfdt_at + 4, value)
        else:
            raise Fmp4Error("a 32-bit tfdt cannot hold the joined decode time")


def _traf(data: bytes, start: int, end: int) -> _Traf:
    track_id, tfdt_at, base = 0, -1, 0
    for kind, body, _stop in iter_boxes(data, start, end):
        if kind == b"tfhd":
            track_id = struct.unpack_from(">I", data, body + 4)[0]
        elif kind == b"tfdt":
            tfdt_at = body
            fmt = ">Q" if data[body] == 1 else ">I"
            base = struct.unpack_from(fmt, data, body + 4)[0]
    if tfdt_at < 0:
        raise Fmp4Error("traf without tfdt")
    return _Traf(track_id, tfdt_at, base)
