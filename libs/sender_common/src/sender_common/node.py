"""Node identity: an ed25519 keypair made on first start and kept in the data dir.

The node id is derived from the public key, so it is stable across restarts and cannot be
claimed by another node. Batches between roles are signed with the private key.
"""

from __future__ import annotations

__all__ = ["NodeIdentity", "NodePublic", "node_router", "verify_signature"]

import base64
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import APIRouter
from pydantic import BaseModel

VERSION = "0.1.0"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class NodeIdentity:
    """This node's keypair and the id derived from it."""

    def __init__(self, private_key: Ed25519PrivateKey, name: str | None = None) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = _b64(raw)
        self.node_id = "n" + hashlib.sha256(raw).hexdigest()[:20]
        self.name = name or self.node_id

    @classmethod
    def load_or_create(cls, data_dir: Path, name: str | None = None) -> NodeIdentity:
        """Read `node.key` from the data dir, creating it (mode 0600) on first start."""
        path = data_dir / "node.key"
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an ed25519 key")
            return cls(key, name)
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
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
        return cls(key, name)

    def sign(self, payload: bytes) -> str:
        return _b64(self._key.sign(payload))


def verify_signature(public_key: str, signature: str, payload: bytes) -> bool:
    """True when `signature` over `payload` was made by the holder of `public_key`."""
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
        return NodePublic(
            node_id=identity.node_id,
            name=identity.name,
            public_key=identity.public_key,
            role=role,
            version=VERSION,
            manifest=manifest() if callable(manifest) else manifest,
        )

    return router
