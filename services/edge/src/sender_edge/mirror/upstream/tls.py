"""The edge's verifying TLS context: httpx's own for `verify=True` without the environment
(certifi's CA bundle), except that the bundle is read with the first TLS connection. Reading
it costs ~1.8 MB and ~20 ms; an edge whose upstreams speak plain HTTP never does."""

from __future__ import annotations

__all__ = ["VerifyingContext"]

import os
import socket
import ssl
import sys


class VerifyingContext(ssl.SSLContext):
    """`ssl.create_default_context(cafile=certifi.where())`, the CA file read on first use."""

    trusted = False

    @classmethod
    def create(cls) -> VerifyingContext:
        ctx = cls(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_REQUIRED, check_hostname on
        keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context
        if keylog and not sys.flags.ignore_environment:
            ctx.keylog_filename = keylog
        return ctx

    def trust(self) -> None:
        """Read the CA bundle (once)."""
        if not self.trusted:
            import certifi

            self.load_verify_locations(cafile=certifi.where())
            self.trusted = True

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        self.trust()
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname, session)

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        self.trust()
        return super().wrap_socket(
            sock,
            server_side,
            do_handshake_on_connect,
            suppress_ragged_eofs,
            server_hostname,
            session,
        )
