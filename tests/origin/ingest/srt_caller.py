"""A minimal SRT caller over the origin's own libsrt binding: connects with a stream ID and
reports the listener's reject reason (ffmpeg only says that it was rejected)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from sender_origin.ingest.srt.libsrt import (
    SRTO_CONNTIMEO,
    SRTO_LATENCY,
    SRTO_PASSPHRASE,
    SRTO_PEERLATENCY,
    SRTO_STREAMID,
    SrtError,
    load_libsrt,
)

SRT_REJ_BADSECRET = 10
SRT_REJ_UNSECURE = 11
_lock = threading.Lock()


@dataclass
class Call:
    sock: int | None  # a connected socket, or None when refused
    reason: int  # the reject reason (0 when connected)


def srt_call(
    port: int,
    stream_id: str,
    *,
    passphrase: str | None = None,
    latency_ms: int | None = None,
    timeout_ms: int = 3000,
) -> Call:
    lib = load_libsrt()
    sock = lib.socket()
    lib.set_bytes(sock, SRTO_STREAMID, stream_id.encode())
    lib.set_int(sock, SRTO_CONNTIMEO, timeout_ms)
    if passphrase:
        lib.set_bytes(sock, SRTO_PASSPHRASE, passphrase.encode())
    if latency_ms is not None:
        lib.set_int(sock, SRTO_LATENCY, latency_ms)
    try:
        lib.connect(sock, "127.0.0.1", port)
    except SrtError:
        reason = lib.reject_reason(sock)
        lib.close(sock)
        return Call(None, reason)
    return Call(sock, 0)


def peer_latency(call: Call) -> int:
    assert call.sock is not None
    return load_libsrt().get_int(call.sock, SRTO_PEERLATENCY)


def hang_up(call: Call) -> None:
    if call.sock is not None:
        load_libsrt().close(call.sock)
        call.sock = None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
