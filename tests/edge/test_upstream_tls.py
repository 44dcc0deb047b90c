"""The edge's verifying TLS context: httpx's `verify=True` context, its CA bundle read with
the first TLS connection (an edge pulling plain HTTP never reads it)."""

from __future__ import annotations

import ssl

import certifi

from sender_edge.mirror.upstream.tls import VerifyingContext


def test_the_ca_bundle_is_read_with_the_first_tls_connection() -> None:
    ctx = VerifyingContext.create()
    reference = ssl.create_default_context(cafile=certifi.where())
    assert ctx.verify_mode == reference.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname and reference.check_hostname
    assert ctx.options == reference.options
    assert ctx.minimum_version == reference.minimum_version
    assert ctx.cert_store_stats()["x509_ca"] == 0
    ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="upstream.example")
    assert ctx.cert_store_stats() == reference.cert_store_stats()
    ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="upstream.example")
    assert ctx.cert_store_stats() == reference.cert_store_stats()  # read once
