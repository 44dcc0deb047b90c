"""The RTMP front end: one port for every endpoint, `rtmp://HOST:PORT/live/STREAM_KEY`.

Built on pyrtmp's chunk and AMF0 codec. Each connection must finish its handshake and
publish within a deadline, and may stay silent only so long; a refused publish gets
`NetStream.Publish.BadName` and the connection is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sender_origin.ingest.base import Authorize, PublishRefused, PublishSink
from sender_origin.ingest.flv import TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO
from sender_origin.ingest.quiet import import_pyrtmp

log = logging.getLogger(__name__)
_pyrtmp = import_pyrtmp()
StreamClosedException = _pyrtmp.StreamClosedException
Chunk = _pyrtmp.Chunk
MessageFactory = _pyrtmp.MessageFactory
cmd = _pyrtmp.command
pc = _pyrtmp.protocol_control
uc = _pyrtmp.user_control
AMF0Serializer = _pyrtmp.AMF0Serializer
BitStream = _pyrtmp.BitStream
SessionManager = _pyrtmp.SessionManager
MAX_CHUNK_SIZE = 1 << 20


class RtmpIngest:
    """asyncio RTMP server that hands each accepted publish to `authorize`'s sink."""

    def __init__(
        self,
        authorize: Authorize,
        *,
        host: str = "127.0.0.1",
        port: int = 1935,
        handshake_timeout: float = 10.0,
        idle_timeout: float = 30.0,
    ) -> None:
        self._authorize = authorize
        self._host = host
        self._port = port
        self._handshake_timeout = handshake_timeout
        self._idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    @property
    def connections(self) -> int:
        return len(self._conns)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        log.info("RTMP ingest listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._conns):
            task.cancel()
        for task in list(self._conns):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        conn = _Connection(self, reader, writer)
        try:
            await conn.run()
        finally:
            self._conns.discard(task)
            await conn.finish()


class _Connection:
    def __init__(
        self, server: RtmpIngest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.writer = writer
        self.session = SessionManager(reader=reader, writer=writer)
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.app = ""
        self.sink: PublishSink | None = None
        self.kicked = False

    async def run(self) -> None:
        try:
            await asyncio.wait_for(self.session.handshake(), self.server._handshake_timeout)
            chunks = self.session.read_chunks_from_stream().__aiter__()
            while not self.kicked:
                timeout = self.server._idle_timeout if self.sink else self.server._handshake_timeout
                chunk = await asyncio.wait_for(chunks.__anext__(), timeout)
                await self._handle(MessageFactory.from_chunk(chunk))
        except (StreamClosedException, StopAsyncIteration, ConnectionError):
            log.debug("RTMP %s: closed", self.peer)
        except TimeoutError:
            log.info("RTMP %s: timed out", self.peer)
        except PublishRefused as exc:
            log.warning("RTMP %s: publish refused: %s", self.peer, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # malformed input from the network must not kill the server
            log.info("RTMP %s: protocol error: %s", self.peer, type(exc).__name__)

    async def finish(self) -> None:
        if self.sink is not None:
            sink, self.sink = self.sink, None
            await sink.close()
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 1)

    def kick(self) -> None:
        self.kicked = True
        self.writer.close()

    async def _handle(self, msg: object) -> None:
        s = self.session
        if isinstance(msg, _pyrtmp.VideoMessage | _pyrtmp.AudioMessage):
            if self.sink is not None:
                tag = TAG_VIDEO if isinstance(msg, _pyrtmp.VideoMessage) else TAG_AUDIO
                await self.sink.write_tag(tag, msg.timestamp, msg.payload)
        elif isinstance(msg, _pyrtmp.MetaDataMessage):
            if self.sink is not None:
                await self.sink.write_tag(TAG_SCRIPT, 0, msg.to_raw_meta())
        elif isinstance(msg, pc.SetChunkSize):
            if not 1 <= msg.chunk_size <= MAX_CHUNK_SIZE:
                raise PublishRefused(f"chunk size {msg.chunk_size} out of range")
            s.reader_chunk_size = msg.chunk_size
        elif isinstance(msg, cmd.NCConnect):
            obj = msg.command_object if isinstance(msg.command_object, dict) else {}
            self.app = str(obj.get("app", "")).strip("/")
            s.write_chunk_to_stream(pc.WindowAcknowledgementSize(ack_window_size=5_000_000))
            s.write_chunk_to_stream(pc.SetPeerBandwidth(ack_window_size=5_000_000, limit_type=2))
            s.write_chunk_to_stream(uc.StreamBegin(stream_id=0))
            s.write_chunk_to_stream(pc.SetChunkSize(chunk_size=4096))
            s.writer_chunk_size = 4096
            s.write_chunk_to_stream(msg.create_response())
            await s.drain()
        elif isinstance(msg, cmd.NCCreateStream):
            s.write_chunk_to_stream(msg.create_response())
            await s.drain()
        elif isinstance(msg, cmd.NSPublish):
            await self._publish(msg)
        elif isinstance(msg, cmd.NSCloseStream | cmd.NSDeleteStream):
            if self.sink is not None:
                sink, self.sink = self.sink, None
                await sink.close()

    async def _publish(self, msg: object) -> None:
        if self.sink is not None:
            raise PublishRefused("second publish on one connection")
        key = str(getattr(msg, "publishing_name", "") or "").split("?", 1)[0]
        try:
            if self.app != "live":
                raise PublishRefused(f"unknown application {self.app[:32]!r}")
            self.sink = await self.server._authorize(self.app, key, self.peer)
        except PublishRefused:
            self.session.write_chunk_to_stream(_status(msg, "error", "NetStream.Publish.BadName"))
            with contextlib.suppress(Exception):
                await self.session.drain()
            raise
        self.sink.bind_kick(self.kick)
        self.session.write_chunk_to_stream(uc.StreamBegin(stream_id=1))
        self.session.write_chunk_to_stream(_status(msg, "status", "NetStream.Publish.Start"))
        await self.session.drain()


def _status(msg: object, level: str, code: str) -> object:
    data = BitStream()
    AMF0Serializer.create_object(data, "onStatus")
    AMF0Serializer.create_object(data, 0)
    AMF0Serializer.create_object(data, None)
    AMF0Serializer.create_object(data, {"level": level, "code": code, "description": code})
    return Chunk(
        chunk_type=0,
        chunk_id=3,
        timestamp=0,
        msg_length=len(data.bytes),
        msg_type_id=0x14,
        msg_stream_id=getattr(msg, "msg_stream_id", 1),
        payload=data.bytes,
    )
