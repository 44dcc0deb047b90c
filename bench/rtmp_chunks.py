"""Throughput of the RTMP chunk-stream reader on a synthetic publish held in memory.

Interleaved video (csid 6) and audio (csid 4) messages, as encoded by `encode_message`, are
read back with `ChunkReader`; prints messages/s and MB/s for each chunk size.

    .venv/bin/python bench/rtmp_chunks.py [--messages 20000] [--video-bytes 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sender_origin.ingest.rtmp.chunks import ChunkReader, Message, encode_message


def stream_bytes(messages: int, video_bytes: int, chunk_size: int) -> bytes:
    out = bytearray()
    for i in range(messages):
        if i % 2:
            msg = Message(6, 9, 1, i * 33, bytes(video_bytes))
        else:
            msg = Message(4, 8, 1, i * 23, bytes(24))
        out += encode_message(msg, chunk_size)
    return bytes(out)


async def read_all(data: bytes, messages: int, chunk_size: int) -> float:
    reader = asyncio.StreamReader(limit=len(data) + 1)
    reader.feed_data(data)
    reader.feed_eof()
    chunks = ChunkReader(reader)
    chunks.chunk_size = chunk_size
    t0 = time.perf_counter()
    for _ in range(messages):
        await chunks.read_message()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--video-bytes", type=int, default=6000)
    args = ap.parse_args()
    for chunk_size in (128, 4096):
        data = stream_bytes(args.messages, args.video_bytes, chunk_size)
        seconds = asyncio.run(read_all(data, args.messages, chunk_size))
        print(
            f"chunk size {chunk_size:>4}: {args.messages / seconds:,.0f} messages/s, "
            f"{len(data) / seconds / 1e6:,.1f} MB/s"
        )


if __name__ == "__main__":
    main()
