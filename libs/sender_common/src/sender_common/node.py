"""Node identity: an ed25519 keypair made on first start and kept in the data dir.

The node id is derived from the public key, so it is stable across restarts and cannot be
claimed by another node. Batches between roles are signed with the private key.

cryptography (its Rust module and libcrypto, ~8 MB of a role's memory) loads with the first
use of the key: a signature, the public key or the node id. A new key is 32 random bytes
written in the PKCS#8 form cryptography itself writes (RFC 8410), and a key file in that form
is checked at start without it; a key file in any other form is read with it at start, as
always, so that a bad key still stops the role at once.
"""

from __future__ import annotations

__all__ = ["NodeIdentity", "NodePublic", "node_router", "verify_signature"]

import asyncio
import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

VERSION = "0.1.0"

# PKCS#8 (RFC 5958) OneAsymmetricKey v1 of an Ed25519 key (RFC 8410 section 7): this DER
# header, then the 32-byte private key
PKCS8_ED25519_HEADER = bytes.fromhex("302e020100300506032b657004220420")
PEM_BEGIN, PEM_END = b"-----BEGIN PRIVATE KEY-----", b"-----END PRIVATE KEY-----"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ed25519_pem(private: bytes) -> bytes:
    """The PKCS#8 PEM of the Ed25519 private key `private` (32 bytes)."""
    der = base64.b64encode(PKCS8_ED25519_HEADER + private)
    return PEM_BEGIN + b"\n" + der + b"\n" + PEM_END + b"\n"


def is_ed25519_pem(pem: bytes) -> bool:
    """Whether `pem` is an unencrypted Ed25519 key in exactly the form `ed25519_pem` writes."""
    lines = pem.strip().splitlines()
    if len(lines) != 3 or lines[0] != PEM_BEGIN or lines[2] != PEM_END:
        return False
    try:
        der = base64.b64decode(lines[1], validate=True)
    except binascii.Error:
        return False
    return len(der) == len(PKCS8_ED25519_HEADER) + 32 and der.startswith(PKCS8_ED25519_HEADER)


class NodeIdentity:
    """This node's keypair and the id derived from it: from a key, or from its PEM (then the
    key is read with its first use)."""

    def __init__(self, private_key: Ed25519PrivateKey | bytes, name: str | None = None) -> None:
        self._pem = private_key if isinstance(private_key, bytes) else None
        self._key = None if isinstance(private_key, bytes) else private_key
        self._public: bytes | None = None
        self._name = name

    @classmethod
    def load_or_create(cls, data_dir: Path, name: str | None = None) -> NodeIdentity:
        """Read `node.key` from the data dir, creating it (mode 0600) on first start."""
        path = data_dir / "node.key"
        if path.exists():
            pem = path.read_bytes()
            identity = cls(pem, name)
            if not is_ed25519_pem(pem):  # another form of key: read and checked now
                try:
                    identity.load()
                except ValueError as exc:
                    raise ValueError(f"{path} is not an ed25519 key ({exc})") from exc
            return identity
        data_dir.mkdir(parents=True, exist_ok=True)
        pem = ed25519_pem(secrets.token_bytes(32))
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        try:
            os.link(tmp, path)  # first writer wins when two processes share a data dir
        except FileExistsError:
            tmp.unlink()
            return cls.load_or_create(data_dir, name)
        tmp.unlink()
        return cls(pem, name)

    @property
    def loaded(self) -> bool:
        """Whether the key has been read (cryptography is loaded)."""
        return self._public is not None

    def load(self) -> tuple[Ed25519PrivateKey, bytes]:
        """The key and its raw public key, read with the first call: a role calls this in a
        worker thread before the key's first use on the event loop."""
        if self._key is None or self._public is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            key = self._key
            if key is None:
                assert self._pem is not None
                read = serialization.load_pem_private_key(self._pem, password=None)
                if not isinstance(read, Ed25519PrivateKey):
                    raise ValueError(f"a {type(read).__name__}, not an ed25519 key")
                key = read
            self._public = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            self._key = key
        return self._key, self._public

    @property
    def public_key(self) -> str:
        return _b64(self.load()[1])

    @property
    def node_id(self) -> str:
        return "n" + hashlib.sha256(self.load()[1]).hexdigest()[:20]

    @property
    def name(self) -> str:
        return self._name or self.node_id

    def sign(self, payload: bytes) -> str:
        return _b64(self.load()[0].sign(payload))


def verify_signature(public_key: str, signature: str, payload: bytes) -> bool:
    """True when `signature` over `payload` was made by the holder of `public_key`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public_key)).verify(_unb64(signature), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


class NodePublic(BaseModel):
    node_id: str
    name: str
    public_key: str
    role: str
    version: str
    manifest: dict[str, Any]


def node_router(
    identity: NodeIdentity,
    role: str,
    manifest: dict[str, Any] | Callable[[], dict[str, Any]],
) -> APIRouter:
    """`GET /api/v1/node`: who this node is and what it offers (manifest may be computed)."""
    router = APIRouter(prefix="/api/v1", tags=["node"])

    @router.get("/node")
    async def node() -> NodePublic:
        if not identity.loaded:  # the first question: the key is read off the event loop
            await asyncio.to_thread(identity.load)
        return NodePublic(
            node_id=identity.node_id,
            name=identity.name,
            public_key=identity.public_key,
            role=role,
            version=VERSION,
            manifest=manifest() if callable(manifest) else manifest,
        )

    return router
