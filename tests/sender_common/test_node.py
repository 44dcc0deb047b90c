import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sender_common.node import NodeIdentity, is_ed25519_pem, verify_signature


def test_identity_is_stable_and_signs(tmp_path: Path) -> None:
    a = NodeIdentity.load_or_create(tmp_path)
    b = NodeIdentity.load_or_create(tmp_path)
    assert a.node_id == b.node_id and a.public_key == b.public_key
    assert (tmp_path / "node.key").stat().st_mode & 0o777 == 0o600
    sig = a.sign(b"batch")
    assert verify_signature(a.public_key, sig, b"batch")
    assert not verify_signature(a.public_key, sig, b"other")
    other = NodeIdentity.load_or_create(tmp_path / "x")
    assert not verify_signature(other.public_key, sig, b"batch")
    assert not verify_signature("garbage", "garbage", b"batch")


def test_new_key_is_the_pkcs8_pem_cryptography_writes(tmp_path: Path) -> None:
    identity = NodeIdentity.load_or_create(tmp_path)
    written = (tmp_path / "node.key").read_bytes()
    key = serialization.load_pem_private_key(written, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    again = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert again == written
    assert is_ed25519_pem(written)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert identity.node_id == NodeIdentity(key).node_id
    assert identity.public_key == NodeIdentity(key).public_key
    assert verify_signature(identity.public_key, NodeIdentity(key).sign(b"x"), b"x")
    assert identity.node_id == "n" + hashlib.sha256(raw).hexdigest()[:20]


def test_a_key_cryptography_wrote_before_is_read_unchanged(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    (tmp_path / "node.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert NodeIdentity.load_or_create(tmp_path).node_id == NodeIdentity(key).node_id


@pytest.mark.parametrize("kind", ["ec", "garbage", "bad-base64"])
def test_a_bad_key_file_stops_at_load(tmp_path: Path, kind: str) -> None:
    if kind == "ec":
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    elif kind == "garbage":
        pem = b"not a key\n"
    else:
        pem = b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"
    (tmp_path / "node.key").write_bytes(pem)
    with pytest.raises(ValueError, match=r"node\.key is not an ed25519 key"):
        NodeIdentity.load_or_create(tmp_path)


CHECK_LAZY = """
import sys
from pathlib import Path
from sender_common.node import NodeIdentity

NodeIdentity.load_or_create(Path(sys.argv[1]))  # creates the key
identity = NodeIdentity.load_or_create(Path(sys.argv[1]))  # reads it
print("cryptography" in sys.modules, identity.loaded)
identity.sign(b"x")
print("cryptography" in sys.modules, identity.loaded)
"""


def test_cryptography_loads_with_the_first_use_of_the_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK_LAZY, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split("\n")
    assert out[:2] == ["False False", "True True"]
