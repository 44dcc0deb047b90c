"""Stream keys: generated with high entropy, stored hashed, compared in constant time."""

from __future__ import annotations

__all__ = ["generate_stream_key", "hash_stream_key", "mask_key", "verify_stream_key"]

import hashlib
import hmac
import re
import secrets

_PREFIX = "sk_"


def generate_stream_key() -> str:
    """A new URL-safe stream key with 256 bits of entropy."""
    return _PREFIX + secrets.token_urlsafe(32)


def hash_stream_key(key: str) -> str:
    """The stored form of a key (SHA-256; keys are random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def verify_stream_key(key: str, stored_hash: str) -> bool:
    """Constant-time check of a presented key against its stored hash."""
    return hmac.compare_digest(hash_stream_key(key), stored_hash)


# what follows `/live/` in an RTMP URL; `live/` in an SRT stream ID (`publish:live/KEY`,
# `#!::r=live/KEY,m=publish`); an SRT passphrase
_SECRETS = (
    re.compile(r"(/live/)[^\s'\"]*"),
    re.compile(r"([:=]live/)[^\s'\"&,]*"),
    re.compile(r"(passphrase=)[^\s'\"&]*"),
)


def mask_key(text: str, key: str | None = None) -> str:
    """Text safe to log: the key (or anything that stands where a key goes in an RTMP or SRT
    URL, and an SRT passphrase) replaced by `***`."""
    if key:
        text = text.replace(key, "***")
    for pattern in _SECRETS:
        text = pattern.sub(r"\1***", text)
    return text
