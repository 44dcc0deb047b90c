"""The chunk-stream reader against hand-built chunk bytes, one header format at a time."""

from __future__ import annotations

import asyncio
import struct

import pytest

from sender_origin.ingest.rtmp.chunks import (
    MAX_CHUNK_SIZE,
    ChunkError,
    ChunkReader,
    Message,
    encode_message,
)

EXT = 0xFFFFFF


def basic(fmt: int, csid: int) -> bytes:
    if csid < 64:
        return bytes([fmt << 6 | csid])
    if csid < 320:
        return bytes([fmt << 6, csid - 64])
    return bytes([fmt << 6 | 1, (csid - 64) & 0xFF, (csid - 64) >> 8])


def t0(csid: int, ts: int, length: int, type_id: int, sid: int, ext: int | None = None) -> bytes:
    head = basic(0, csid) + ts.to_bytes(3, "big") + length.to_bytes(3, "big") + bytes([type_id])
    head += struct.pack("<I", sid)
    return head + (b"" if ext is None else struct.pack(">I", ext))


def t1(csid: int, delta: int, length: int, type_id: int) -> bytes:
    return basic(1, csid) + delta.to_bytes(3, "big") + length.to_bytes(3, "big") + bytes([type_id])


def t2(csid: int, delta: int) -> bytes:
    return basic(2, csid) + delta.to_bytes(3, "big")


def t3(csid: int, ext: int | None = None) -> bytes:
    return basic(3, csid) + (b"" if ext is None else struct.pack(">I", ext))


def control(type_id: int, value: int) -> bytes:
    return t0(2, 0, 4, type_id, 0) + struct.pack(">I", value)


def reader_of(data: bytes, **kw: int) -> ChunkReader:
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    return ChunkReader(stream, **kw)


async def read_all(reader: ChunkReader) -> list[Message]:
    out = []
    while True:
        try:
            out.append(await reader.read_message())
        except asyncio.IncompleteReadError:
            return out


def stamps(msgs: list[Message]) -> list[int]:
    return [m.timestamp for m in msgs]


async def test_type0_carries_everything() -> None:
    [msg] = await read_all(reader_of(t0(3, 1000, 5, 20, 1) + b"hello"))
    assert msg == Message(3, 20, 1, 1000, b"hello")


async def test_type1_adds_delta_and_keeps_stream_id() -> None:
    data = t0(4, 1000, 3, 9, 1) + b"abc" + t1(4, 40, 2, 8) + b"de"
    msgs = await read_all(reader_of(data))
    assert [(m.type_id, m.stream_id, m.timestamp, m.payload) for m in msgs] == [
        (9, 1, 1000, b"abc"),
        (8, 1, 1040, b"de"),
    ]


async def test_type2_adds_delta_and_keeps_length_and_type() -> None:
    data = t0(4, 10, 2, 8, 1) + b"ab" + t2(4, 23) + b"cd" + t2(4, 23) + b"ef"
    msgs = await read_all(reader_of(data))
    assert stamps(msgs) == [10, 33, 56]
    assert {m.type_id for m in msgs} == {8}


async def test_type3_new_message_reuses_the_previous_delta() -> None:
    data = t0(4, 0, 2, 8, 1) + b"aa" + t2(4, 23) + b"bb" + t3(4) + b"cc" + t3(4) + b"dd"
    assert stamps(await read_all(reader_of(data))) == [0, 23, 46, 69]


async def test_type3_after_type0_uses_its_timestamp_as_delta() -> None:
    data = t0(4, 40, 1, 9, 1) + b"a" + t3(4) + b"b"
    assert stamps(await read_all(reader_of(data))) == [40, 80]


async def test_continuation_chunks_keep_the_timestamp_then_a_new_message_advances() -> None:
    body = bytes(range(200)) + bytes(100)
    data = t0(4, 0, 300, 9, 1) + body[:128] + t3(4) + body[128:256] + t3(4) + body[256:]
    data += t1(4, 33, 300, 9) + body[:128] + t3(4) + body[128:256] + t3(4) + body[256:]
    data += t3(4) + body[:128] + t3(4) + body[128:256] + t3(4) + body[256:]
    msgs = await read_all(reader_of(data))
    assert stamps(msgs) == [0, 33, 66]
    assert all(m.payload == body for m in msgs)


async def test_extended_timestamp_repeated_on_continuation_chunks() -> None:
    big = 0x01000000
    body = bytes(200)
    data = t0(5, EXT, 200, 9, 1, ext=big) + body[:128] + t3(5, ext=big) + body[128:]
    data += t3(5, ext=big) + body[:128] + t3(5, ext=big) + body[128:]  # a new message
    data += t2(5, 10) + body[:128] + t3(5) + body[128:]  # back to a 3-byte delta
    msgs = await read_all(reader_of(data))
    assert stamps(msgs) == [big, 2 * big, 2 * big + 10]
    assert all(m.payload == body for m in msgs)


async def test_extended_delta_on_type1() -> None:
    data = t0(5, 100, 1, 8, 1) + b"a" + t1(5, EXT, 1, 8) + struct.pack(">I", 0x02000000) + b"b"
    assert stamps(await read_all(reader_of(data))) == [100, 100 + 0x02000000]


async def test_interleaved_chunk_streams() -> None:
    video = bytes(range(256)) + bytes(44)
    data = t0(6, 0, 300, 9, 1) + video[:128]
    data += t0(4, 0, 4, 8, 1) + b"aud1"
    data += t3(6) + video[128:256]
    data += t2(4, 23) + b"aud2"
    data += t3(6) + video[256:]
    msgs = await read_all(reader_of(data))
    assert [(m.csid, m.timestamp, m.payload) for m in msgs] == [
        (4, 0, b"aud1"),
        (4, 23, b"aud2"),
        (6, 0, video),
    ]


async def test_set_chunk_size_mid_stream() -> None:
    body = bytes(range(250)) + bytes(250)
    data = t0(4, 0, 3, 8, 1) + b"abc" + control(1, 4096) + t0(4, 5, 500, 9, 1) + body
    reader = reader_of(data)
    msgs = await read_all(reader)
    assert [m.payload for m in msgs] == [b"abc", body]
    assert reader.chunk_size == 4096


async def test_abort_drops_the_partial_message() -> None:
    data = t0(4, 0, 300, 9, 1) + bytes(128) + control(2, 4) + t0(4, 7, 2, 8, 1) + b"ok"
    [msg] = await read_all(reader_of(data))
    assert (msg.timestamp, msg.payload) == (7, b"ok")


async def test_new_header_inside_a_message_is_refused() -> None:
    data = t0(4, 0, 300, 9, 1) + bytes(128) + t0(4, 7, 2, 8, 1) + b"ok"
    with pytest.raises(ChunkError, match="inside a message"):
        await read_all(reader_of(data))


@pytest.mark.parametrize("csid", [64, 100, 319, 320, 1000, 65599])
async def test_two_and_three_byte_basic_headers(csid: int) -> None:
    data = t0(csid, 10, 2, 8, 1) + b"ab" + t2(csid, 20) + b"cd" + t3(csid) + b"ef"
    msgs = await read_all(reader_of(data))
    assert [(m.csid, m.timestamp) for m in msgs] == [(csid, 10), (csid, 30), (csid, 50)]


async def test_chunk_stream_state_is_per_csid() -> None:
    data = t0(4, 0, 1, 8, 1) + b"a" + t0(300, 1000, 1, 9, 1) + b"v"
    data += t2(4, 21) + b"b" + t2(300, 33) + b"w" + t3(4) + b"c" + t3(300) + b"x"
    msgs = await read_all(reader_of(data))
    assert [(m.csid, m.timestamp) for m in msgs] == [
        (4, 0),
        (300, 1000),
        (4, 21),
        (300, 1033),
        (4, 42),
        (300, 1066),
    ]


@pytest.mark.parametrize("size", [0, MAX_CHUNK_SIZE + 1, 0x80000000])
async def test_bad_chunk_size_is_refused(size: int) -> None:
    with pytest.raises(ChunkError, match="chunk size"):
        await read_all(reader_of(control(1, size)))


async def test_oversized_message_is_refused() -> None:
    with pytest.raises(ChunkError, match="exceeds"):
        await read_all(reader_of(t0(4, 0, 0xFFFFFF, 9, 1), max_message=1 << 20))


async def test_header_without_a_type0_first_is_refused() -> None:
    with pytest.raises(ChunkError, match="without a type-0"):
        await read_all(reader_of(t3(4) + b"x"))


async def test_acknowledgement_due_once_per_window() -> None:
    data = b"".join(t0(4, i, 100, 9, 1) + bytes(100) for i in range(10))  # 112 bytes each
    reader = reader_of(data, ack_window=500)
    acks = []
    for _ in range(10):
        await reader.read_message()
        acks.append(reader.take_ack())
    assert acks == [None, None, None, None, 560, None, None, None, None, 1120]


async def test_peer_window_acknowledgement_size_is_honoured() -> None:
    data = control(5, 200) + t0(4, 0, 300, 9, 1) + bytes(128) + t3(4) + bytes(128) + t3(4)
    reader = reader_of(data + bytes(44), ack_window=5_000_000)
    await reader.read_message()
    assert reader.ack_window == 200
    assert reader.take_ack() == reader.bytes_read == len(data) + 44


@pytest.mark.parametrize("ts", [0, 1234, 0xFFFFFE, 0xFFFFFF, 0x7FFFFFFF])
async def test_encode_message_round_trips(ts: int) -> None:
    msg = Message(300, 9, 1, ts, bytes(range(256)) * 3)
    [back] = await read_all(reader_of(encode_message(msg, 128)))
    assert back == msg
