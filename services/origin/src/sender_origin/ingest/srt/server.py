"""The SRT front end: one UDP port for every endpoint,
`srt://HOST:PORT?streamid=publish:live/STREAM_KEY` (or `#!::r=live/STREAM_KEY,m=publish`).

A caller is admitted during its handshake: the stream ID names the key, `admit` says whether
that key may publish now and with which passphrase; a refusal is an SRT reject reason, so a
refused caller never gets a connection. An admitted caller's MPEG-TS goes to the same
`authorize` sink as an RTMP publish (generation, continuity, reconnect grace, ladders).

libsrt (with GnuTLS and libstdc++, ~4.5 MB resident) is loaded by the first datagram: until
then the port is a plain bound UDP socket that the event loop watches, and libsrt takes that
socket over (`srt_bind_acquire`) with the caller's first handshake packet still queued in it.
When libsrt's receive queue reads that packet before `srt_listen` has registered the
listener (about 1 first caller in 10 after a start, measured), the packet is dropped and
the caller's next handshake, about 1 s later, is admitted: only that first caller waits.
"""

from __future__ import annotations

__all__ = ["SrtIngest"]

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sender_common.tasks import cancel_and_wait
from sender_origin.ingest.admission import Admission, PublishRefused, StreamSink
from sender_origin.ingest.srt.libsrt import (
    SRTO_PASSPHRASE,
    SrtLib,
    libsrt_findable,
    libsrt_loaded,
    load_libsrt,
)
from sender_origin.ingest.srt.receive_loop import SrtListener
from sender_origin.ingest.srt.streamid import REJECT_CODES, BadStreamId, parse_stream_id

log = logging.getLogger(__name__)
MAX_QUEUED_BYTES = 16 * 1024 * 1024  # a publisher this far ahead of ffmpeg is dropped


Admit = Callable[[str], Admission]
"""(stream key) -> Admission; synchronous, called on libsrt's thread during a handshake."""
AuthorizeStream = Callable[[str, str, str], Awaitable[StreamSink]]
"""(app, stream key, peer) -> sink taking MPEG-TS bytes, or raises PublishRefused."""
Refused = Callable[[str], None]
"""(reason) -> None: count a refusal that happened before `admit` was asked."""


@dataclass(slots=True)
class _Session:
    sock: int
    peer: str
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    queued: int = 0
    task: asyncio.Task[None] | None = None


class SrtIngest:
    """Runs an `SrtListener` for the app's lifetime and one task per accepted publisher."""

    def __init__(
        self,
        authorize: AuthorizeStream,
        admit: Admit,
        *,
        refused: Refused,
        host: str = "127.0.0.1",
        port: int = 8890,
        idle_timeout: float = 30.0,
        lib: Callable[[], SrtLib] = load_libsrt,
    ) -> None:
        self._authorize = authorize
        self._admit_key = admit
        self._refused = refused
        self._host, self._port = host, port
        self._idle_timeout = idle_timeout
        self._load = lib
        self._lib: SrtLib | None = None
        self._listener: SrtListener | None = None
        self._udp: socket.socket | None = None  # the port until the first datagram
        self._opening: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sessions: dict[int, _Session] = {}

    @property
    def port(self) -> int:
        if self._listener is not None:
            return self._listener.port
        if self._udp is not None:
            return int(self._udp.getsockname()[1])
        return self._port

    @property
    def connections(self) -> int:
        return len(self._sessions)

    @property
    def running(self) -> bool:
        """The port waits for a first datagram, or the receive loop is alive (readiness)."""
        if self._listener is not None:
            return self._listener.running
        return self._udp is not None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if libsrt_loaded() or not await asyncio.to_thread(libsrt_findable):
            # nothing to save (or not found by name: fail now, as a publisher would); libsrt
            # binds the port itself, reusing its own socket from an earlier run here
            self._lib = self._load()
            self._listener = self._listen(self._lib, None)
        else:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((self._host, self._port))
                udp.setblocking(False)
                self._loop.add_reader(udp.fileno(), self._first_datagram)
            except BaseException:
                udp.close()
                raise
            self._udp = udp
        log.info("SRT ingest listening on %s:%s/udp", self._host, self.port)

    def _listen(self, lib: SrtLib, udp: socket.socket | None) -> SrtListener:
        listener = SrtListener(
            lib,
            self._host,
            self._port,
            hook=self._hook,
            events=self,
            idle_timeout=self._idle_timeout,
            udp=udp,
        )
        listener.start()
        return listener

    def _first_datagram(self) -> None:
        """Left queued for libsrt, which is loaded now and takes the socket over."""
        assert self._loop is not None
        assert self._udp is not None
        self._loop.remove_reader(self._udp.fileno())
        self._opening = asyncio.create_task(self._open_listener(self._udp), name="srt:open")

    async def _open_listener(self, udp: socket.socket) -> None:
        try:
            if self._lib is None:
                self._lib = await asyncio.to_thread(self._load)
            listener = self._listen(self._lib, udp)
        except BaseException as exc:
            self._udp = None
            udp.close()  # nothing to do once libsrt has taken it over
            if not isinstance(exc, Exception):
                raise
            log.error("SRT ingest stopped: libsrt did not start (%s)", exc)
            return
        self._udp = None
        self._listener = listener

    async def stop(self) -> None:
        opening, self._opening = self._opening, None
        await cancel_and_wait(opening)
        if self._udp is not None:
            assert self._loop is not None
            self._loop.remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None
        listener, self._listener = self._listener, None
        if listener is not None:
            await asyncio.to_thread(listener.stop)
        for session in list(self._sessions.values()):
            session.queue.put_nowait(None)
        tasks = [s.task for s in self._sessions.values() if s.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._sessions.clear()

    # -- libsrt's thread: the handshake -----------------------------------------------------

    def _hook(self, sock: int, peer: str, raw: bytes) -> int:
        try:
            key = parse_stream_id(raw).key
            admission = self._admit_key(key)
        except BadStreamId as exc:
            self._refused(exc.reason)
            log.info("SRT %s: refused at handshake: %s", peer, exc)
            return self._reject(sock, exc.reason)
        if admission.refusal is not None:
            log.info("SRT %s: refused at handshake: %s", peer, admission.refusal)
            return self._reject(sock, admission.refusal)
        if admission.passphrase:
            assert self._lib is not None
            self._lib.set_bytes(sock, SRTO_PASSPHRASE, admission.passphrase.encode())
        return 0

    def _reject(self, sock: int, reason: str) -> int:
        assert self._lib is not None
        self._lib.reject(sock, REJECT_CODES.get(reason, 1400))
        return -1

    # -- the receive thread: hand over to the event loop ---------------------------------

    def accepted(self, sock: int, stream_id: bytes, peer: str, latency_ms: int) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._open, sock, stream_id, peer, latency_ms)

    def data(self, sock: int, payload: bytes) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._feed, sock, payload)

    def closed(self, sock: int, why: str) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._end, sock, why)

    # -- the event loop ------------------------------------------------------------------

    def _open(self, sock: int, stream_id: bytes, peer: str, latency_ms: int) -> None:
        if self._listener is None:
            return  # stopping: the listener has closed the socket already
        session = _Session(sock, peer)
        self._sessions[sock] = session
        session.task = asyncio.create_task(
            self._run(session, stream_id, latency_ms), name=f"srt:{peer}"
        )

    def _feed(self, sock: int, payload: bytes) -> None:
        session = self._sessions.get(sock)
        if session is None:
            return
        session.queued += len(payload)
        if session.queued > MAX_QUEUED_BYTES:
            log.warning("SRT %s: ffmpeg is not keeping up; dropping the publisher", session.peer)
            self._close(sock)
            return
        session.queue.put_nowait(payload)

    def _end(self, sock: int, why: str) -> None:
        session = self._sessions.get(sock)
        if session is not None:
            log.info("SRT %s: %s", session.peer, why)
            session.queue.put_nowait(None)

    def _close(self, sock: int) -> None:
        if self._listener is not None:
            self._listener.close(sock)

    async def _run(self, session: _Session, stream_id: bytes, latency_ms: int) -> None:
        """One publisher's session; however it ends, it is forgotten and its socket closed."""
        try:
            await self._publish(session, stream_id, latency_ms)
        except (BadStreamId, PublishRefused) as exc:
            # a second caller with the same key can pass the handshake check in a race
            log.warning("SRT %s: publish refused: %s", session.peer, exc)
        except Exception as exc:  # the type only: a message may carry the stream key
            log.error("SRT %s: publish failed (%s)", session.peer, type(exc).__name__)
        finally:
            if self._sessions.pop(session.sock, None) is not None:
                self._close(session.sock)  # not closed by the publish itself

    async def _publish(self, session: _Session, stream_id: bytes, latency_ms: int) -> None:
        key = parse_stream_id(stream_id).key
        sink = await self._authorize("live", key, session.peer)
        log.info("SRT %s: publishing (latency %d ms)", session.peer, latency_ms)
        sink.bind_kick(lambda: self._close(session.sock))
        try:
            while (payload := await session.queue.get()) is not None:
                session.queued -= len(payload)
                await sink.write_bytes(payload)
        finally:
            self._sessions.pop(session.sock, None)
            self._close(session.sock)
            await sink.close()
