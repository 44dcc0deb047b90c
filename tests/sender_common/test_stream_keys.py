from sender_common.stream_keys import (
    generate_stream_key,
    hash_stream_key,
    mask_key,
    verify_stream_key,
)


def test_keys() -> None:
    a, b = generate_stream_key(), generate_stream_key()
    assert a != b and len(a) >= 40
    assert verify_stream_key(a, hash_stream_key(a))
    assert not verify_stream_key(b, hash_stream_key(a))
    assert a not in mask_key(f"rtmp://h:1935/live/{a} more")
    assert "***" in mask_key(f"rtmp://h:1935/live/{a}")


def test_mask_key_covers_srt_stream_ids_and_passphrases() -> None:
    key = generate_stream_key()
    for text in (
        f"srt://h:8890?streamid=publish:live/{key}&latency=200000",
        f"srt://h:8890?streamid=#!::r=live/{key},m=publish",
        f"-i 'srt://h:8890?streamid=publish:live/{key}' -f null -",
    ):
        masked = mask_key(text)
        assert key not in masked
        assert "live/***" in masked
    masked = mask_key(f"srt://h:8890?streamid=publish:live/{key}&passphrase=secret-words&x=1")
    assert "secret-words" not in masked
    assert masked.endswith("passphrase=***&x=1")
    assert mask_key(f"rtmp://h:1935/live/{key} more") == "rtmp://h:1935/live/*** more"
