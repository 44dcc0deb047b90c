"""Read the tags of an FLV file (FLV spec v10.1, E.3/E.4) for comparison with ingest."""

from __future__ import annotations

from pathlib import Path


def flv_tags(path: Path) -> list[tuple[int, int, int]]:
    """(tag type, timestamp ms, payload size) of every audio and video tag in `path`."""
    data = path.read_bytes()
    assert data[:3] == b"FLV"
    pos = int.from_bytes(data[5:9], "big") + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        if tag_type in (8, 9):
            tags.append((tag_type, ts, size))
        pos += 11 + size + 4
    return tags
