from sender_common.keys import generate_stream_key, hash_stream_key, mask_key, verify_stream_key


def test_keys() -> None:
    a, b = generate_stream_key(), generate_stream_key()
    assert a != b and len(a) >= 40
    assert verify_stream_key(a, hash_stream_key(a))
    assert not verify_stream_key(b, hash_stream_key(a))
    assert a not in mask_key(f"rtmp://h:1935/live/{a} more")
    assert "***" in mask_key(f"rtmp://h:1935/live/{a}")
