"""The AMF0 codec: what RTMP publishers send, and refusal of hostile payloads."""

from __future__ import annotations

import struct

import pytest

from sender_origin.ingest.rtmp.amf0 import AmfError, AmfValue, decode_all, encode


def test_round_trip_of_a_connect_command() -> None:
    obj: dict[str, AmfValue] = {
        "app": "live",
        "tcUrl": "rtmp://127.0.0.1/live",
        "fpad": False,
        "audioCodecs": 3191.0,
    }
    data = encode("connect", 1, obj, None, [1.5, "x"])
    assert decode_all(data) == ["connect", 1.0, obj, None, [1.5, "x"]]


def test_ecma_array_date_long_string_and_undefined() -> None:
    ecma = b"\x08" + struct.pack(">I", 1) + b"\x00\x08duration" + encode(12.5) + b"\x00\x00\x09"
    date = b"\x0b" + struct.pack(">d", 1000.0) + b"\x00\x00"
    long_string = b"\x0c" + struct.pack(">I", 3) + b"abc"
    assert decode_all(ecma + date + long_string + b"\x06") == [
        {"duration": 12.5},
        1000.0,
        "abc",
        None,
    ]


def test_long_strings_are_encoded_as_long_strings() -> None:
    text = "k" * 70_000
    assert decode_all(encode(text)) == [text]


@pytest.mark.parametrize(
    "data",
    [
        b"\x02\x00\x05ab",  # truncated string
        b"\x00\x01",  # truncated number
        b"\x11\x00",  # AMF3 switch
        b"\x0a" + struct.pack(">I", 1 << 30),  # absurd array
        b"\x03" + b"\x00\x01a\x03" * 40,  # nesting bomb
    ],
)
def test_bad_payloads_are_refused(data: bytes) -> None:
    with pytest.raises(AmfError, match=r"truncated|unsupported|too long|too deep"):
        decode_all(data)
