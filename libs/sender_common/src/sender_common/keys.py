"""Stream keys: generated with high entropy, stored hashed, compared in constant time."""

from __future__ import annotations

__all__ = ["generate_stream_key", "hash_stream_key", "mask_key", "verify_stream_key"]

import hashlib
import hmac
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


def mask_key(text: str, key: str | None = None) -> str:
    """Text safe to log: the key (or anything after `/live/`) replaced by `***`."""
    if key:
        text = text.replace(key, "***")
    marker = "/live/"
    idx = text.find(marker)
    if idx >= 0:
        end = idx + len(marker)
        stop = end
        while stop < len(text) and text[stop] not in " \t\n'\"":
            stop += 1
        text = text[:end] + "***" + text[stop:]
    return text
