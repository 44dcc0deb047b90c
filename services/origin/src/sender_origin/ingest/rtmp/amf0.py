"""A small AMF0 codec for RTMP command and data messages (AMF0 specification, section 2).

Only what an RTMP publisher sends is decoded: numbers, booleans, strings, objects, null,
undefined, ECMA and strict arrays, dates and long strings. Depth and count are bounded so a
hostile payload cannot recurse or allocate without limit.
"""

from __future__ import annotations

import struct

from sender_common.errors import ProtocolError

__all__ = ["AmfError", "AmfValue", "decode_all", "encode"]

AmfValue = float | bool | str | None | dict[str, "AmfValue"] | list["AmfValue"]

_NUMBER, _BOOLEAN, _STRING, _OBJECT, _NULL, _UNDEFINED = 0, 1, 2, 3, 5, 6
_ECMA_ARRAY, _OBJECT_END, _STRICT_ARRAY, _DATE, _LONG_STRING, _TYPED_OBJECT = 8, 9, 10, 11, 12, 16
_MAX_DEPTH = 16
_MAX_ITEMS = 4096


class AmfError(ProtocolError, ValueError):
    """The payload is not AMF0 this codec accepts."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise AmfError("truncated AMF0 value")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def utf8(self, n: int) -> str:
        return self.take(n).decode("utf-8", "replace")

    def value(self, depth: int = 0) -> AmfValue:
        if depth > _MAX_DEPTH:
            raise AmfError("AMF0 nesting too deep")
        marker = self.take(1)[0]
        if marker == _NUMBER:
            return float(struct.unpack(">d", self.take(8))[0])
        if marker == _BOOLEAN:
            return self.take(1)[0] != 0
        if marker == _STRING:
            return self.utf8(self.u16())
        if marker == _LONG_STRING:
            return self.utf8(self.u32())
        if marker in (_NULL, _UNDEFINED):
            return None
        if marker == _OBJECT:
            return self.properties(depth)
        if marker == _TYPED_OBJECT:
            self.utf8(self.u16())  # the class name is of no use to ingest
            return self.properties(depth)
        if marker == _ECMA_ARRAY:
            self.u32()  # the count is a hint only; the end marker terminates the array
            return self.properties(depth)
        if marker == _STRICT_ARRAY:
            count = self.u32()
            if count > _MAX_ITEMS:
                raise AmfError("AMF0 array too long")
            return [self.value(depth + 1) for _ in range(count)]
        if marker == _DATE:
            millis = struct.unpack(">d", self.take(8))[0]
            self.take(2)  # time zone, reserved
            return float(millis)
        raise AmfError(f"unsupported AMF0 marker {marker}")

    def properties(self, depth: int) -> dict[str, AmfValue]:
        out: dict[str, AmfValue] = {}
        while True:
            name = self.utf8(self.u16())
            if not name and self.data[self.pos : self.pos + 1] == bytes([_OBJECT_END]):
                self.pos += 1
                return out
            if len(out) >= _MAX_ITEMS:
                raise AmfError("AMF0 object too large")
            out[name] = self.value(depth + 1)


def decode_all(data: bytes) -> list[AmfValue]:
    """Every AMF0 value in `data`, in order."""
    reader = _Reader(data)
    values: list[AmfValue] = []
    while reader.pos < len(data):
        if len(values) >= _MAX_ITEMS:
            raise AmfError("too many AMF0 values")
        values.append(reader.value())
    return values


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 0xFFFF:
        return bytes([_LONG_STRING]) + len(raw).to_bytes(4, "big") + raw
    return bytes([_STRING]) + len(raw).to_bytes(2, "big") + raw


def encode(*values: AmfValue | int) -> bytes:
    """AMF0 bytes for `values` (ints are sent as numbers, dicts as anonymous objects)."""
    out = bytearray()
    for value in values:
        if value is None:
            out.append(_NULL)
        elif isinstance(value, bool):
            out += bytes([_BOOLEAN, int(value)])
        elif isinstance(value, int | float):
            out += bytes([_NUMBER]) + struct.pack(">d", float(value))
        elif isinstance(value, str):
            out += _string(value)
        elif isinstance(value, dict):
            out.append(_OBJECT)
            for name, item in value.items():
                raw = name.encode("utf-8")
                out += len(raw).to_bytes(2, "big") + raw + encode(item)
            out += b"\x00\x00" + bytes([_OBJECT_END])
        else:
            out.append(_STRICT_ARRAY)
            out += len(value).to_bytes(4, "big")
            out += encode(*value)
    return bytes(out)
