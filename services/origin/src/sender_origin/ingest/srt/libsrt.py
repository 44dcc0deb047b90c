"""A small typed ctypes binding to the system's libsrt (1.4/1.5): only the calls the SRT
ingest needs (a listener with a listen callback, epoll, receiving) and the few a test caller
uses (connect, send, reject reason).

No maintained Python binding exists; the C API is stable and `ctypes` needs no build step.
Every call returns the C result; `SrtError` carries `srt_getlasterror`'s code and text.
"""

from __future__ import annotations

from sender_common.errors import ProtocolError

__all__ = [
    "EPOLL_ERR",
    "EPOLL_IN",
    "ListenHook",
    "SrtError",
    "SrtLib",
    "libsrt_findable",
    "libsrt_loaded",
    "load_libsrt",
]

import ctypes
import ctypes.util
import logging
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# SRT_SOCKOPT values (srt.h; stable since 1.3)
SRTO_RCVSYN = 2
SRTO_LATENCY = 23
SRTO_PASSPHRASE = 26
SRTO_CONNTIMEO = 36
SRTO_RCVLATENCY = 43
SRTO_PEERLATENCY = 44
SRTO_STREAMID = 46
SRTO_PEERIDLETIMEO = 55
LOG_ERR = 3  # syslog levels
EPOLL_IN = 0x1
EPOLL_ERR = 0x8
ERR_ASYNC_RCV = 6002  # SRT_EASYNCRCV: nothing to read now
ERR_TIMEOUT = 6003
LIBRARY_NAMES = (
    "libsrt-gnutls.so.1.5",
    "libsrt-openssl.so.1.5",
    "libsrt.so.1.5",
    "libsrt-gnutls.so.1.4",
    "libsrt.so.1.4",
)

# int hook(void* opaque, SRTSOCKET ns, int hsversion, const sockaddr* peer, const char* streamid)
_HOOK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p
)
ListenHook = Callable[[int, str, bytes], int]
"""(new socket, peer "host:port", raw stream ID) -> 0 to accept, -1 to reject."""


class SrtError(ProtocolError, OSError):
    """A libsrt call failed; `code` is SRT's error code (SRT_E*)."""

    def __init__(self, call: str, code: int, text: str) -> None:
        super().__init__(f"{call}: {text} ({code})")
        self.code = code


class _EpollEvent(ctypes.Structure):
    _fields_ = (("fd", ctypes.c_int), ("events", ctypes.c_int))


def _sockaddr_in(host: str, port: int) -> bytes:
    family = struct.pack("=H", socket.AF_INET)
    return family + struct.pack("!H", port) + socket.inet_aton(host) + bytes(8)


def _peer_of(addr: int | None) -> str:
    if not addr:
        return "?"
    raw = ctypes.string_at(addr, 16)
    if struct.unpack("=H", raw[:2])[0] != socket.AF_INET:
        return "?"
    return f"{socket.inet_ntoa(raw[4:8])}:{struct.unpack('!H', raw[2:4])[0]}"


class SrtLib:
    """The loaded library; one per process (libsrt keeps global state)."""

    _startup_lock = threading.Lock()

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.path = path
        self._c = cdll
        self._hooks: dict[int, Any] = {}  # keeps each ctypes callback alive
        c = cdll
        for name, restype, argtypes in (
            ("srt_startup", ctypes.c_int, ()),
            ("srt_setloglevel", None, (ctypes.c_int,)),
            ("srt_create_socket", ctypes.c_int, ()),
            ("srt_bind", ctypes.c_int, (ctypes.c_int, ctypes.c_char_p, ctypes.c_int)),
            ("srt_bind_acquire", ctypes.c_int, (ctypes.c_int, ctypes.c_int)),
            ("srt_listen", ctypes.c_int, (ctypes.c_int, ctypes.c_int)),
            ("srt_getsockname", ctypes.c_int, (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)),
            ("srt_listen_callback", ctypes.c_int, (ctypes.c_int, _HOOK, ctypes.c_void_p)),
            ("srt_setrejectreason", ctypes.c_int, (ctypes.c_int, ctypes.c_int)),
            ("srt_getrejectreason", ctypes.c_int, (ctypes.c_int,)),
            ("srt_accept", ctypes.c_int, (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)),
            ("srt_connect", ctypes.c_int, (ctypes.c_int, ctypes.c_char_p, ctypes.c_int)),
            ("srt_close", ctypes.c_int, (ctypes.c_int,)),
            (
                "srt_setsockflag",
                ctypes.c_int,
                (ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int),
            ),
            (
                "srt_getsockflag",
                ctypes.c_int,
                (ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)),
            ),
            ("srt_recvmsg", ctypes.c_int, (ctypes.c_int, ctypes.c_char_p, ctypes.c_int)),
            (
                "srt_sendmsg2",
                ctypes.c_int,
                (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p),
            ),
            ("srt_epoll_create", ctypes.c_int, ()),
            (
                "srt_epoll_add_usock",
                ctypes.c_int,
                (ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)),
            ),
            ("srt_epoll_remove_usock", ctypes.c_int, (ctypes.c_int, ctypes.c_int)),
            (
                "srt_epoll_uwait",
                ctypes.c_int,
                (ctypes.c_int, ctypes.POINTER(_EpollEvent), ctypes.c_int, ctypes.c_int64),
            ),
            ("srt_epoll_release", ctypes.c_int, (ctypes.c_int,)),
            ("srt_getlasterror", ctypes.c_int, (ctypes.c_void_p,)),
            ("srt_getlasterror_str", ctypes.c_char_p, ()),
        ):
            fn = getattr(c, name)
            fn.restype, fn.argtypes = restype, argtypes
        with self._startup_lock:
            self._check("srt_startup", c.srt_startup())
        # libsrt logs to stderr from its own threads; only its errors are worth an operator's
        # attention (a refused handshake is logged by the ingest, without the stream ID)
        c.srt_setloglevel(LOG_ERR)

    # -- errors -------------------------------------------------------------------------

    def last_error(self) -> int:
        return int(self._c.srt_getlasterror(None))

    def _check(self, call: str, result: int) -> int:
        if result < 0:
            text = (self._c.srt_getlasterror_str() or b"").decode(errors="replace")
            raise SrtError(call, self.last_error(), text)
        return result

    # -- sockets ------------------------------------------------------------------------

    def socket(self) -> int:
        return self._check("srt_create_socket", self._c.srt_create_socket())

    def set_int(self, sock: int, opt: int, value: int) -> None:
        v = ctypes.c_int(value)
        self._check("srt_setsockflag", self._c.srt_setsockflag(sock, opt, ctypes.byref(v), 4))

    def set_bool(self, sock: int, opt: int, value: bool) -> None:
        v = ctypes.c_bool(value)
        self._check("srt_setsockflag", self._c.srt_setsockflag(sock, opt, ctypes.byref(v), 1))

    def set_bytes(self, sock: int, opt: int, value: bytes) -> None:
        buf = ctypes.create_string_buffer(value, len(value))
        self._check(
            "srt_setsockflag", self._c.srt_setsockflag(sock, opt, buf, ctypes.c_int(len(value)))
        )

    def get_int(self, sock: int, opt: int) -> int:
        v, n = ctypes.c_int(0), ctypes.c_int(4)
        self._check(
            "srt_getsockflag", self._c.srt_getsockflag(sock, opt, ctypes.byref(v), ctypes.byref(n))
        )
        return v.value

    def get_bytes(self, sock: int, opt: int, size: int = 512) -> bytes:
        buf, n = ctypes.create_string_buffer(size + 1), ctypes.c_int(size + 1)
        self._check("srt_getsockflag", self._c.srt_getsockflag(sock, opt, buf, ctypes.byref(n)))
        return buf.raw[: n.value]

    def bind(self, sock: int, host: str, port: int) -> None:
        addr = _sockaddr_in(host, port)
        self._check("srt_bind", self._c.srt_bind(sock, addr, len(addr)))

    def bind_acquire(self, sock: int, udp_fd: int) -> None:
        """Bind to an already bound UDP socket; libsrt owns (and closes) it from then on."""
        self._check("srt_bind_acquire", self._c.srt_bind_acquire(sock, udp_fd))

    def local_port(self, sock: int) -> int:
        buf, n = ctypes.create_string_buffer(16), ctypes.c_int(16)
        self._check("srt_getsockname", self._c.srt_getsockname(sock, buf, ctypes.byref(n)))
        return int(struct.unpack("!H", buf.raw[2:4])[0])

    def listen(self, sock: int, backlog: int) -> None:
        """Listen (after `listen_hook` and binding)."""
        self._check("srt_listen", self._c.srt_listen(sock, backlog))

    def listen_hook(self, sock: int, hook: ListenHook) -> None:
        """Call `hook` for every handshake before a socket is accepted (installed before
        binding, so that a handshake already queued in an acquired socket finds it)."""

        def _hook(_opaque: int, ns: int, _hsv: int, peer: int | None, sid: bytes | None) -> int:
            try:
                return hook(ns, _peer_of(peer), sid or b"")
            except Exception as exc:  # an error in Python must reject, never unwind into C
                log.warning("SRT listen hook failed (%s): caller rejected", type(exc).__name__)
                return -1

        cb = _HOOK(_hook)
        self._hooks[sock] = cb
        self._check("srt_listen_callback", self._c.srt_listen_callback(sock, cb, None))

    def reject(self, sock: int, reason: int) -> None:
        self._c.srt_setrejectreason(sock, reason)

    def reject_reason(self, sock: int) -> int:
        return int(self._c.srt_getrejectreason(sock))

    def accept(self, sock: int) -> int:
        return self._check("srt_accept", self._c.srt_accept(sock, None, None))

    def connect(self, sock: int, host: str, port: int) -> None:
        addr = _sockaddr_in(host, port)
        self._check("srt_connect", self._c.srt_connect(sock, addr, len(addr)))

    def close(self, sock: int) -> None:
        self._hooks.pop(sock, None)
        self._c.srt_close(sock)

    def recv(self, sock: int, buf: ctypes.Array[ctypes.c_char]) -> int:
        """One message into `buf`: its length, 0 when nothing is waiting (non-blocking)."""
        n = int(self._c.srt_recvmsg(sock, buf, len(buf)))
        if n < 0:
            if self.last_error() == ERR_ASYNC_RCV:
                return 0
            self._check("srt_recvmsg", n)
        return n

    def send(self, sock: int, data: bytes) -> int:
        return self._check("srt_sendmsg2", self._c.srt_sendmsg2(sock, data, len(data), None))

    # -- epoll --------------------------------------------------------------------------

    def epoll(self) -> int:
        return self._check("srt_epoll_create", self._c.srt_epoll_create())

    def epoll_add(self, eid: int, sock: int, events: int) -> None:
        ev = ctypes.c_int(events)
        self._check("srt_epoll_add_usock", self._c.srt_epoll_add_usock(eid, sock, ev))

    def epoll_remove(self, eid: int, sock: int) -> None:
        self._c.srt_epoll_remove_usock(eid, sock)

    def epoll_wait(self, eid: int, timeout_ms: int, size: int = 64) -> list[tuple[int, int]]:
        events = (_EpollEvent * size)()
        n = int(self._c.srt_epoll_uwait(eid, events, size, timeout_ms))
        if n < 0:
            if self.last_error() == ERR_TIMEOUT:
                return []
            self._check("srt_epoll_uwait", n)
        return [(events[i].fd, events[i].events) for i in range(n)]

    def epoll_release(self, eid: int) -> None:
        self._c.srt_epoll_release(eid)


_loaded: SrtLib | None = None
_load_lock = threading.Lock()


def libsrt_findable() -> bool:
    """The system's library search finds libsrt by name (without loading it)."""
    return any(ctypes.util.find_library(s) for s in ("srt-gnutls", "srt"))


def libsrt_loaded() -> bool:
    """This process has loaded libsrt already (`load_libsrt`)."""
    return _loaded is not None


def load_libsrt() -> SrtLib:
    """The process's libsrt, loaded once; `OSError` names what was tried when none is found."""
    global _loaded
    with _load_lock:
        if _loaded is not None:
            return _loaded
        names = [n for n in (ctypes.util.find_library(s) for s in ("srt-gnutls", "srt")) if n]
        tried: list[str] = []
        for name in [*names, *LIBRARY_NAMES]:
            tried.append(name)
            try:
                cdll = ctypes.CDLL(name)
            except OSError:
                continue
            _loaded = SrtLib(cdll, name)
            return _loaded
        raise OSError(f"libsrt not found (tried {', '.join(tried)}); install libsrt1.5-gnutls")
