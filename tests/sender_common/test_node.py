from pathlib import Path

from sender_common.node import NodeIdentity, verify_signature


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
