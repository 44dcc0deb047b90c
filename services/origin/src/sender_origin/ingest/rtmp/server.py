"""The RTMP front end: one port for every endpoint, `rtmp://HOST:PORT/live/STREAM_KEY`.

Chunk stream in `chunks.py`, AMF0 in `amf0.py`. Each connection must finish its handshake
and publish within a deadline, and may stay silent only so long; a refused publish gets
`NetStream.Publish.BadName` and the connection is closed. Application names, stream names
and tcUrls may carry a stream key, so none of them is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct

from sender_origin.ingest.admission import Authorize, PublishRefused, PublishSink
from sender_origin.ingest.rtmp.amf0 import AmfError, AmfValue, decode_all, encode
from sender_origin.ingest.rtmp.chunks import (
    ACKNOWLEDGEMENT,
    ChunkError,
    ChunkReader,
    Message,
    encode_message,
    handshake,
)
from sender_origin.media.flv import TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO

log = logging.getLogger(__name__)
WINDOW = 5_000_000
OUT_CHUNK_SIZE = 4096
_AUDIO, _VIDEO, _DATA_AMF3, _COMMAND_AMF3, _DATA, _COMMAND = 8, 9, 15, 17, 18, 20
_SET_DATA_FRAME = encode("@setDataFrame")


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
            # `stop` cancels the connection: it ends quietly (a task of asyncio's stream
            # server that ends cancelled is logged as an error with a traceback on 3.11)
            with contextlib.suppress(asyncio.CancelledError):
                await conn.run()
        finally:
            self._conns.discard(task)
            await conn.finish()


class _Connection:
    def __init__(
        self, server: RtmpIngest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.chunks = ChunkReader(reader, ack_window=WINDOW)
        self.out_chunk_size = 128
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.app = ""
        self.sink: PublishSink | None = None
        self.kicked = False

    async def run(self) -> None:
        try:
            async with asyncio.timeout(self.server._handshake_timeout):
                await handshake(self.reader, self.writer)
            while not self.kicked:
                timeout = self.server._idle_timeout if self.sink else self.server._handshake_timeout
                async with asyncio.timeout(timeout):
                    msg = await self.chunks.read_message()
                seq = self.chunks.take_ack()
                if seq is not None:
                    self._send(2, ACKNOWLEDGEMENT, 0, struct.pack(">I", seq))
                await self._handle(msg)
        except (asyncio.IncompleteReadError, ConnectionError):
            log.debug("RTMP %s: closed", self.peer)
        except TimeoutError:
            log.info("RTMP %s: timed out", self.peer)
        except PublishRefused as exc:
            log.warning("RTMP %s: publish refused: %s", self.peer, exc)
        except (ChunkError, AmfError) as exc:
            log.info("RTMP %s: protocol error: %s", self.peer, exc)
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

    def _send(self, csid: int, type_id: int, stream_id: int, payload: bytes) -> None:
        msg = Message(csid, type_id, stream_id, 0, payload)
        self.writer.write(encode_message(msg, self.out_chunk_size))

    async def _handle(self, msg: Message) -> None:
        if msg.type_id in (_AUDIO, _VIDEO):
            if self.sink is not None:
                tag = TAG_VIDEO if msg.type_id == _VIDEO else TAG_AUDIO
                await self.sink.write_tag(tag, msg.timestamp, msg.payload)
        elif msg.type_id in (_DATA, _DATA_AMF3):
            payload = msg.payload[1:] if msg.type_id == _DATA_AMF3 else msg.payload
            payload = payload.removeprefix(_SET_DATA_FRAME)
            if self.sink is not None and payload.startswith(encode("onMetaData")):
                await self.sink.write_tag(TAG_SCRIPT, 0, payload)
        elif msg.type_id in (_COMMAND, _COMMAND_AMF3):
            payload = msg.payload[1:] if msg.type_id == _COMMAND_AMF3 else msg.payload
            await self._command(msg, decode_all(payload))

    async def _command(self, msg: Message, values: list[AmfValue]) -> None:
        name = values[0] if values else None
        txn = values[1] if len(values) > 1 and isinstance(values[1], float) else 0.0
        if name == "connect":
            obj = values[2] if len(values) > 2 and isinstance(values[2], dict) else {}
            self.app = str(obj.get("app", "") or "").strip("/")
            self._send(2, 5, 0, struct.pack(">I", WINDOW))
            self._send(2, 6, 0, struct.pack(">IB", WINDOW, 2))
            self._send(2, 4, 0, struct.pack(">HI", 0, 0))  # StreamBegin 0
            self._send(2, 1, 0, struct.pack(">I", OUT_CHUNK_SIZE))
            self.out_chunk_size = OUT_CHUNK_SIZE
            result = encode(
                "_result",
                txn,
                {"fmsVer": "FMS/3,0,123", "capabilities": 31},
                {
                    "level": "status",
                    "code": "NetConnection.Connect.Success",
                    "description": "Connection succeeded",
                    "objectEncoding": 0,
                },
            )
            self._send(3, _COMMAND, 0, result)
            await self.writer.drain()
        elif name == "createStream":
            self._send(3, _COMMAND, 0, encode("_result", txn, None, 1))
            await self.writer.drain()
        elif name == "publish":
            stream = values[3] if len(values) > 3 and isinstance(values[3], str) else ""
            await self._publish(msg.stream_id, stream)
        elif name in ("closeStream", "deleteStream") and self.sink is not None:
            sink, self.sink = self.sink, None
            await sink.close()

    async def _publish(self, stream_id: int, stream: str) -> None:
        if self.sink is not None:
            raise PublishRefused("second publish on one connection")
        key = stream.split("?", 1)[0]
        try:
            if self.app.split("?", 1)[0] != "live":
                raise PublishRefused("unknown application (publish to rtmp://HOST/live/KEY)")
            self.sink = await self.server._authorize(self.app, key, self.peer)
        except PublishRefused:
            self._send(3, _COMMAND, stream_id, _status("error", "NetStream.Publish.BadName"))
            with contextlib.suppress(Exception):
                await self.writer.drain()
            raise
        self.sink.bind_kick(self.kick)
        self._send(2, 4, 0, struct.pack(">HI", 0, stream_id))  # StreamBegin
        self._send(3, _COMMAND, stream_id, _status("status", "NetStream.Publish.Start"))
        await self.writer.drain()


def _status(level: str, code: str) -> bytes:
    return encode("onStatus", 0, None, {"level": level, "code": code, "description": code})
