"""The SRT receive loop: one listener socket on one UDP port, and one thread that waits on an
SRT epoll over it and every accepted socket, accepts, receives and closes.

libsrt runs the handshake in its own threads and calls the listen hook there, before a socket
is accepted; a rejected caller never gets a socket. Media is handed on as whole messages
(each up to 1316 bytes: seven MPEG-TS packets), batched per wake-up.
"""

from __future__ import annotations

__all__ = ["SrtEvents", "SrtListener"]

import ctypes
import logging
import queue
import socket
import threading
import time
from typing import Protocol

from sender_origin.ingest.srt.libsrt import (
    EPOLL_ERR,
    EPOLL_IN,
    SRTO_PEERIDLETIMEO,
    SRTO_RCVLATENCY,
    SRTO_RCVSYN,
    SRTO_STREAMID,
    ListenHook,
    SrtError,
    SrtLib,
)

log = logging.getLogger(__name__)
WAIT_MS = 100  # how soon a close request or stop is noticed
MAX_BATCH = 256  # messages read from one socket per wake-up
BACKLOG = 64


class SrtEvents(Protocol):
    """What the loop reports, from its own thread (implementations hand over thread-safely)."""

    def accepted(self, sock: int, stream_id: bytes, peer: str, latency_ms: int) -> None: ...

    def data(self, sock: int, payload: bytes) -> None: ...

    def closed(self, sock: int, why: str) -> None: ...


class SrtListener:
    """Owns the listener socket, the epoll and the receive thread."""

    def __init__(
        self,
        lib: SrtLib,
        host: str,
        port: int,
        *,
        hook: ListenHook,
        events: SrtEvents,
        idle_timeout: float,
        min_latency_ms: int = 20,
        udp: socket.socket | None = None,
    ) -> None:
        self._lib = lib
        self._udp = udp  # bound already: the listener takes it over instead of binding
        self._host, self._port = host, port
        self._hook = hook
        self._events = events
        self._idle_timeout = idle_timeout
        self._min_latency_ms = min_latency_ms
        self._sock: int | None = None
        self._eid: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._close_requests: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._peers: dict[int, tuple[str, float]] = {}  # hook-admitted, not yet accepted
        self._conns: dict[int, float] = {}  # accepted socket -> last data (monotonic)

    @property
    def port(self) -> int:
        if self._sock is not None:
            return self._lib.local_port(self._sock)
        return self._port

    @property
    def connections(self) -> int:
        return len(self._conns)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        lib = self._lib
        sock = lib.socket()
        try:
            lib.set_bool(sock, SRTO_RCVSYN, False)  # inherited: accepted sockets never block
            # the receiver's latency is the larger of both sides': a low floor here lets the
            # caller's `latency` decide
            lib.set_int(sock, SRTO_RCVLATENCY, self._min_latency_ms)
            lib.set_int(sock, SRTO_PEERIDLETIMEO, 5000)
            lib.listen_hook(sock, self._admit)
            if self._udp is not None:
                self._udp.setblocking(True)  # as a socket libsrt makes itself
                lib.bind_acquire(sock, self._udp.fileno())
                self._udp.detach()  # closed by libsrt with the listener
            else:
                lib.bind(sock, self._host, self._port)
            lib.listen(sock, BACKLOG)  # right after binding: the receive queue runs now
            self._eid = lib.epoll()
            lib.epoll_add(self._eid, sock, EPOLL_IN | EPOLL_ERR)
        except SrtError:
            lib.close(sock)
            if self._eid is not None:
                lib.epoll_release(self._eid)
                self._eid = None
            raise
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="srt-receive")
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then close every socket (callers see the connection end)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for sock in list(self._conns):
            self._lib.close(sock)
        self._conns.clear()
        if self._sock is not None:
            self._lib.close(self._sock)
            self._sock = None
        if self._eid is not None:
            self._lib.epoll_release(self._eid)
            self._eid = None

    def close(self, sock: int) -> None:
        """Ask the loop to drop one connection (any thread); `closed` follows."""
        self._close_requests.put(sock)

    def _admit(self, sock: int, peer: str, stream_id: bytes) -> int:
        result = self._hook(sock, peer, stream_id)
        if result == 0:
            self._peers[sock] = (peer, time.monotonic())
        return result

    def _run(self) -> None:
        assert self._eid is not None
        assert self._sock is not None
        buf = ctypes.create_string_buffer(1500)
        while not self._stopping.is_set():
            try:
                ready = self._lib.epoll_wait(self._eid, WAIT_MS)
            except SrtError as exc:
                log.warning("SRT epoll failed: %s", exc)
                break
            for sock, flags in ready:
                if sock == self._sock:
                    self._accept()
                elif sock in self._conns:
                    self._receive(sock, flags, buf)
            self._housekeeping()

    def _accept(self) -> None:
        """One waiting connection (the epoll is level-triggered: the next wake takes the
        next one)."""
        assert self._sock is not None
        assert self._eid is not None
        try:
            sock = self._lib.accept(self._sock)
        except SrtError:
            return
        peer, _ = self._peers.pop(sock, ("?", 0.0))
        try:
            stream_id = self._lib.get_bytes(sock, SRTO_STREAMID)
            latency = self._lib.get_int(sock, SRTO_RCVLATENCY)
            self._lib.epoll_add(self._eid, sock, EPOLL_IN | EPOLL_ERR)
        except SrtError as exc:
            log.info("SRT %s: dropped at accept (%s)", peer, exc.code)
            self._lib.close(sock)
            return
        self._conns[sock] = time.monotonic()
        self._events.accepted(sock, stream_id, peer, latency)

    def _receive(self, sock: int, flags: int, buf: ctypes.Array[ctypes.c_char]) -> None:
        chunks: list[bytes] = []
        why = ""
        try:
            for _ in range(MAX_BATCH):
                n = self._lib.recv(sock, buf)
                if n == 0:
                    break
                chunks.append(buf.raw[:n])
        except SrtError as exc:
            why = f"connection ended ({exc.code})"
        if chunks:
            self._conns[sock] = time.monotonic()
            self._events.data(sock, b"".join(chunks))
        if why or (flags & EPOLL_ERR and not chunks):
            self._drop(sock, why or "connection ended")

    def _drop(self, sock: int, why: str) -> None:
        if self._conns.pop(sock, None) is None:
            return
        assert self._eid is not None
        self._lib.epoll_remove(self._eid, sock)
        self._lib.close(sock)
        self._events.closed(sock, why)

    def _housekeeping(self) -> None:
        while True:
            try:
                self._drop(self._close_requests.get_nowait(), "closed by the origin")
            except queue.Empty:
                break
        now = time.monotonic()
        for sock, last in list(self._conns.items()):
            if now - last > self._idle_timeout:
                self._drop(sock, "idle timeout")
        for sock, (_, since) in list(self._peers.items()):
            if now - since > 30:  # admitted by the hook but the handshake never finished
                self._peers.pop(sock, None)
