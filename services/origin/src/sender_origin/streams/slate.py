"""The offline slate: one pre-encoded "stream offline" segment, looped while no one publishes.

It is encoded once as a fragmented MP4 and split into an init section and one segment, so
it sits in the same CMAF playlists as the live stream (a discontinuity on each side).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Protocol

from sender_common.cmaf.fmp4 import Fmp4Error, split_file
from sender_common.ffmpeg.command import SLATE_FONTS, build_slate_command
from sender_common.files import write_atomic
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.models import RenditionSpec
from sender_origin.streams.live import LivePlaylists

log = logging.getLogger(__name__)


class SlateMaker:
    """Encodes the slate once per process (and segment duration) and hands out its path."""

    def __init__(self, ffmpeg: str, data_dir: Path, seconds: float) -> None:
        self.seconds = seconds
        self.path = data_dir / "slate" / f"offline-{seconds:g}s.m4s"
        self.init_path = self.path.with_name(f"offline-{seconds:g}s-init.mp4")
        self._ffmpeg = ffmpeg
        self._lock = asyncio.Lock()
        self._failed = False

    async def ensure(self) -> Path | None:
        """The slate file, encoding it on first use; None if it cannot be made."""
        if self.path.is_file():
            return self.path
        if self._failed:
            return None
        async with self._lock:
            if self.path.is_file():
                return self.path
            self.path.parent.mkdir(parents=True, exist_ok=True)
            font = _font()
            for attempt_font in [font, None] if font else [None]:
                tmp = self.path.with_suffix(".tmp.mp4")
                argv = build_slate_command(
                    self._ffmpeg, tmp, seconds=self.seconds, font=attempt_font
                )
                proc = await asyncio.create_subprocess_exec(
                    *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
                )
                _, err = await proc.communicate()
                if proc.returncode == 0 and tmp.is_file() and _split(tmp, self):
                    return self.path
                log.warning("slate encoding failed: %s", err.decode(errors="replace")[-300:])
                with contextlib.suppress(OSError):
                    tmp.unlink()
            self._failed = True
            return None


def _split(tmp: Path, maker: SlateMaker) -> bool:
    try:
        init, frags = split_file(tmp.read_bytes())
    except (OSError, Fmp4Error) as exc:
        log.warning("slate unreadable: %s", exc)
        return False
    write_atomic(maker.init_path, init)
    write_atomic(maker.path, b"".join(frags))
    tmp.unlink()
    return True


def _font() -> str | None:
    return next((f for f in SLATE_FONTS if Path(f).is_file()), None)


def place(slate: Path, target: Path) -> None:
    """Put the slate at `target` (a hard link when possible)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    try:
        os.link(slate, target)
    except OSError:
        write_atomic(target, slate.read_bytes())


class SlateState(Protocol):
    """What the loop reads and advances on an endpoint's runtime."""

    slug: str
    generation: int | None
    renditions: list[RenditionSpec]
    slate_next: float
    slate_count: int


class SlateLoop:
    """Appends the slate to an endpoint's live playlists, one segment per segment duration,
    as hard links named `0/{rendition}/slate_NNNNN.m4s` (generation 0 is the slate's)."""

    def __init__(
        self,
        maker: SlateMaker,
        live: LivePlaylists,
        cache: SpoolCache,
        spool_dir: Path,
        window_segments: int,
    ) -> None:
        self.maker = maker
        self.live = live
        self.cache = cache
        self.spool_dir = spool_dir
        self.keep = 3 * window_segments
        self._with_init: set[tuple[str, str]] = set()  # (slug, rendition) folders ready

    def forget(self, slug: str) -> None:
        """The endpoint's spool is gone: its folders need their init section again."""
        self._with_init = {k for k in self._with_init if k[0] != slug}

    async def tick(self, rt: SlateState) -> None:
        """Append the next slate segment to every rendition when it is due."""
        now = time.monotonic()
        if now < rt.slate_next:
            return
        slate = await self.maker.ensure()
        if slate is None:
            return
        seconds, n = self.maker.seconds, rt.slate_count
        for r in rt.renditions:
            folder = self.spool_dir / rt.slug / "0" / r.name
            name = f"slate_{n:05d}.m4s"
            if (rt.slug, r.name) not in self._with_init:
                await asyncio.to_thread(place, self.maker.init_path, folder / "slate_init.mp4")
                self._with_init.add((rt.slug, r.name))
            await asyncio.to_thread(place, slate, folder / name)
            self.live.add_slate(
                rt.slug,
                r.name,
                f"0/{r.name}/{name}",
                f"0/{r.name}/slate_init.mp4",
                seconds,
                rt.generation or 0,
            )
            if n >= self.keep:
                old = f"slate_{n - self.keep:05d}.m4s"
                await asyncio.to_thread((folder / old).unlink, True)
                self.cache.forget(f"{rt.slug}/0/{r.name}/{old}")
        rt.slate_count += 1
        due = (rt.slate_next or now) + seconds
        rt.slate_next = due if due > now - seconds else now  # catch up, no burst
