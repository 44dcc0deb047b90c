"""An in-memory view of the spool's live window, so serving never waits on the disk.

Segments are immutable once written (ffmpeg and the edge write a temp file and rename),
so a cached segment is served without touching the disk again; playlists change, so
they are re-read when their mtime or size moves. The cache is bounded in bytes (LRU).
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SEGMENT_SUFFIXES = {
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
}
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MAX_CACHED_FILE = 64 * 1024 * 1024


PLAYLIST_CACHE = b"no-cache, max-age=0"
SEGMENT_CACHE = b"public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class CachedFile:
    body: bytes
    content_type: str
    etag: str
    mtime_ns: int
    immutable: bool
    headers: list[tuple[bytes, bytes]] = field(default_factory=list, compare=False)
    wire: list[bytes] = field(default_factory=list, compare=False)  # its response head, once

    def __post_init__(self) -> None:
        base = [
            (b"content-type", self.content_type.encode()),
            (b"cache-control", SEGMENT_CACHE if self.immutable else PLAYLIST_CACHE),
            (b"accept-ranges", b"bytes"),
            (b"access-control-allow-origin", b"*"),
        ]
        if self.etag:
            base.append((b"etag", self.etag.encode()))
        self.headers[:] = base

    def full_response_headers(self) -> list[tuple[bytes, bytes]]:
        return [*self.headers, (b"content-length", str(len(self.body)).encode())]


def content_type_for(name: str) -> str | None:
    if name.endswith(".m3u8"):
        return PLAYLIST_TYPE
    return SEGMENT_SUFFIXES.get(os.path.splitext(name)[1])


class SizedFiles:
    """Files by path, bounded in total bytes: the oldest (or least recently used) go first.

    `keep_newest`: the file just put stays even when it alone is over the bound."""

    def __init__(self, max_bytes: int, *, keep_newest: bool = False) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._files: OrderedDict[str, CachedFile] = OrderedDict()
        self._keep = 1 if keep_newest else 0

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._files))

    def __contains__(self, rel: object) -> bool:
        return rel in self._files

    def get(self, rel: str) -> CachedFile | None:
        return self._files.get(rel)

    def touch(self, rel: str) -> None:
        """`rel` was used: it goes out last."""
        self._files.move_to_end(rel)

    def put(self, rel: str, entry: CachedFile) -> None:
        self.drop(rel)
        self._files[rel] = entry
        self.nbytes += len(entry.body)
        while self.nbytes > self.max_bytes and len(self._files) > self._keep:
            _, old = self._files.popitem(last=False)
            self.nbytes -= len(old.body)

    def drop(self, rel: str) -> None:
        old = self._files.pop(rel, None)
        if old is not None:
            self.nbytes -= len(old.body)

    def drop_prefix(self, prefix: str) -> None:
        for rel in [r for r in self._files if r.startswith(prefix)]:
            self.drop(rel)


class SpoolCache:
    """Bounded LRU of spool files keyed by their path."""

    def __init__(self, root: Path, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.root = root
        self._entries = SizedFiles(max_bytes)
        self._real_root = os.path.realpath(root)

    @property
    def max_bytes(self) -> int:
        return self._entries.max_bytes

    @property
    def size_bytes(self) -> int:
        return self._entries.nbytes

    def lookup(self, rel: str) -> CachedFile | None:
        """A cached immutable file, without any system call."""
        entry = self._entries.get(rel)
        if entry is not None and entry.immutable:
            self._entries.touch(rel)
            return entry
        return None

    def load(self, rel: str) -> CachedFile | None:
        """Read (or revalidate) a file below the root; None when absent or unsafe."""
        ctype = content_type_for(rel)
        if ctype is None:
            return None
        path = os.path.join(self.root, rel)
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.forget(rel)
            return None
        entry = self._entries.get(rel)
        if entry is not None and entry.mtime_ns == st.st_mtime_ns and len(entry.body) == st.st_size:
            self._entries.touch(rel)
            return entry
        if st.st_size > MAX_CACHED_FILE or not self._inside(path):
            return None
        try:
            with open(path, "rb") as fh:
                body = fh.read()
        except OSError:
            return None
        immutable = ctype != PLAYLIST_TYPE
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        entry = CachedFile(body, ctype, etag, st.st_mtime_ns, immutable)
        self.put(rel, entry)
        return entry

    def put(self, rel: str, entry: CachedFile) -> None:
        self._entries.put(rel, entry)

    def put_bytes(self, rel: str, body: bytes, mtime_ns: int) -> None:
        """Insert a file the caller just wrote (the edge's mirror)."""
        ctype = content_type_for(rel) or "application/octet-stream"
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        self.put(rel, CachedFile(body, ctype, etag, mtime_ns, ctype != PLAYLIST_TYPE))

    def forget(self, rel: str) -> None:
        self._entries.drop(rel)

    def forget_prefix(self, prefix: str) -> None:
        self._entries.drop_prefix(prefix)

    def sweep(self) -> int:
        """Drop entries whose file is gone (pruned from the live window); returns the count."""
        gone = [k for k in self._entries if not os.path.exists(os.path.join(self.root, k))]
        for key in gone:
            self.forget(key)
        return len(gone)

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real.startswith(self._real_root + os.sep)
