"""The RTMP chunk stream (Adobe RTMP specification 1.0, sections 5.2-5.4).

`ChunkReader` turns the bytes of one connection into whole messages: the four chunk message
header formats (5.3.1.2), extended timestamps (5.3.1.3, repeated on the type-3 chunks of a
message that uses one), per-chunk-stream timestamp deltas, interleaved chunk streams, and the
protocol control messages that steer the reader itself: Set Chunk Size, Abort Message,
Window Acknowledgement Size (5.4). `encode_message` is the writing side.

A type-3 header that starts a new message reuses the previous header's timestamp *delta*
(5.3.1.2.4): its timestamp is the previous message's plus that delta. After a type-0 header
the "delta" is the type-0 timestamp field itself, as in the spec's example (5.3.2.2).
"""

from __future__ import annotations

import asyncio
import os
import struct
from dataclasses import dataclass

from sender_common.errors import ProtocolError

__all__ = [
    "ACKNOWLEDGEMENT",
    "MAX_CHUNK_SIZE",
    "MAX_MESSAGE_SIZE",
    "ChunkError",
    "ChunkReader",
    "Message",
    "encode_message",
    "handshake",
]

SET_CHUNK_SIZE, ABORT, ACKNOWLEDGEMENT, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = (
    1,
    2,
    3,
    4,
    5,
    6,
)
MAX_CHUNK_SIZE = 1 << 20
MAX_MESSAGE_SIZE = 8 << 20
MAX_BUFFERED = 16 << 20
HANDSHAKE_SIZE = 1536
_EXTENDED = 0xFFFFFF
_TS_MASK = 0xFFFFFFFF


class ChunkError(ProtocolError):
    """The peer broke the chunk stream protocol; the message is safe to log."""


@dataclass(slots=True)
class Message:
    """One complete RTMP message."""

    csid: int
    type_id: int
    stream_id: int
    timestamp: int
    payload: bytes


@dataclass(slots=True)
class _ChunkStream:
    """What one chunk stream id remembers from its previous headers."""

    timestamp: int = 0
    delta: int = 0
    extended: bool = False
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    partial: bytearray | None = None


class ChunkReader:
    """Reads whole messages from one connection's chunk stream."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        *,
        ack_window: int = 5_000_000,
        max_message: int = MAX_MESSAGE_SIZE,
    ) -> None:
        self._reader = reader
        self._streams: dict[int, _ChunkStream] = {}
        self._buffered = 0
        self._max_message = max_message
        self.chunk_size = 128
        self.bytes_read = 0
        self.ack_window = ack_window  # ours until the peer sets one
        self._acked = 0

    async def _read(self, n: int) -> bytes:
        data = await self._reader.readexactly(n)
        self.bytes_read += n
        return data

    def take_ack(self) -> int | None:
        """The sequence number to acknowledge, once a window's worth has arrived (5.4.3)."""
        if self.bytes_read - self._acked < self.ack_window:
            return None
        self._acked = self.bytes_read
        return self.bytes_read & _TS_MASK

    async def read_message(self) -> Message:
        """The next complete message that is not a chunk-stream control message."""
        while True:
            msg = await self._read_chunk()
            if msg is not None and not self._control(msg):
                return msg

    def _control(self, msg: Message) -> bool:
        """Apply a control message addressed to the reader; True when it was one."""
        if msg.stream_id != 0 or msg.type_id not in (SET_CHUNK_SIZE, ABORT, WINDOW_ACK_SIZE):
            return False
        if len(msg.payload) < 4:
            raise ChunkError(f"control message {msg.type_id} too short")
        value = struct.unpack(">I", msg.payload[:4])[0]
        if msg.type_id == SET_CHUNK_SIZE:
            if not 1 <= value <= MAX_CHUNK_SIZE:
                raise ChunkError(f"chunk size {value} out of range")
            self.chunk_size = value
        elif msg.type_id == ABORT:
            stream = self._streams.get(value)
            if stream is not None and stream.partial is not None:
                self._buffered -= len(stream.partial)
                stream.partial = None
        else:
            self.ack_window = max(1, value)
        return True

    async def _basic_header(self) -> tuple[int, int]:
        first = (await self._read(1))[0]
        fmt, csid = first >> 6, first & 0x3F
        if csid == 0:
            csid = 64 + (await self._read(1))[0]
        elif csid == 1:
            low, high = await self._read(2)
            csid = 64 + low + (high << 8)
        return fmt, csid

    async def _read_chunk(self) -> Message | None:
        fmt, csid = await self._basic_header()
        stream = self._streams.get(csid)
        if stream is None:
            if fmt != 0:
                raise ChunkError(f"chunk stream {csid} starts without a type-0 header")
            stream = self._streams[csid] = _ChunkStream()
        continuing = stream.partial is not None
        if continuing and fmt != 3:
            raise ChunkError(f"chunk stream {csid}: new header inside a message")
        if fmt == 3:
            if stream.extended:
                ext = struct.unpack(">I", await self._read(4))[0]
                if not continuing:
                    stream.delta = ext
            if not continuing:
                stream.timestamp = (stream.timestamp + stream.delta) & _TS_MASK
        else:
            await self._message_header(fmt, stream)
        return await self._payload(csid, stream)

    async def _message_header(self, fmt: int, stream: _ChunkStream) -> None:
        size = (11, 7, 3)[fmt]
        header = await self._read(size)
        ts_field = int.from_bytes(header[0:3], "big")
        if fmt <= 1:
            length = int.from_bytes(header[3:6], "big")
            if length > self._max_message:
                raise ChunkError(f"message of {length} bytes exceeds {self._max_message}")
            stream.length, stream.type_id = length, header[6]
        if fmt == 0:
            stream.stream_id = struct.unpack("<I", header[7:11])[0]
        stream.extended = ts_field == _EXTENDED
        if stream.extended:
            ts_field = struct.unpack(">I", await self._read(4))[0]
        stream.delta = ts_field
        if fmt == 0:
            stream.timestamp = ts_field
        else:
            stream.timestamp = (stream.timestamp + ts_field) & _TS_MASK

    async def _payload(self, csid: int, stream: _ChunkStream) -> Message | None:
        partial = stream.partial
        have = 0 if partial is None else len(partial)
        n = min(self.chunk_size, stream.length - have)
        data = await self._read(n) if n else b""
        if have + n == stream.length:
            if partial is not None:
                self._buffered -= have
                partial += data
                data = bytes(partial)
                stream.partial = None
            return Message(csid, stream.type_id, stream.stream_id, stream.timestamp, data)
        if self._buffered + n > MAX_BUFFERED:
            raise ChunkError("too many partial messages buffered")
        self._buffered += n
        if partial is None:
            stream.partial = bytearray(data)
        else:
            partial += data
        return None


def _basic_header(fmt: int, csid: int) -> bytes:
    if 2 <= csid <= 63:
        return bytes([(fmt << 6) | csid])
    if 64 <= csid <= 319:
        return bytes([fmt << 6, csid - 64])
    if 320 <= csid <= 65599:
        return bytes([(fmt << 6) | 1, (csid - 64) & 0xFF, (csid - 64) >> 8])
    raise ValueError(f"chunk stream id {csid} out of range")


def encode_message(msg: Message, chunk_size: int) -> bytes:
    """`msg` as chunks: a type-0 header, then type-3 ones (with the extended timestamp)."""
    ts = msg.timestamp & _TS_MASK
    ext = struct.pack(">I", ts) if ts >= _EXTENDED else b""
    header = _basic_header(0, msg.csid) + min(ts, _EXTENDED).to_bytes(3, "big")
    header += len(msg.payload).to_bytes(3, "big") + bytes([msg.type_id])
    header += struct.pack("<I", msg.stream_id) + ext
    cont = _basic_header(3, msg.csid) + ext
    out = bytearray()
    payload = msg.payload
    for start in range(0, max(len(payload), 1), chunk_size):
        out += header if start == 0 else cont
        out += payload[start : start + chunk_size]
    return bytes(out)


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The simple (non-digest) server handshake (5.2): C0 C1 -> S0 S1 S2 -> C2."""
    c0c1 = await reader.readexactly(1 + HANDSHAKE_SIZE)
    if c0c1[0] != 3:
        raise ChunkError(f"unsupported RTMP version {c0c1[0]}")
    c1 = c0c1[1:]
    s1 = b"\x00" * 8 + os.urandom(HANDSHAKE_SIZE - 8)
    s2 = c1[:4] + b"\x00\x00\x00\x00" + c1[8:]
    writer.write(b"\x03" + s1 + s2)
    await writer.drain()
    await reader.readexactly(HANDSHAKE_SIZE)
