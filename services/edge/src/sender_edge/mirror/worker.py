"""The mirror worker of one endpoint: reload, fetch, write, advertise, prune."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx

from sender_common.hls.playlist import (
    MasterPlaylist,
    MediaPlaylist,
    PlaylistError,
    Segment,
    Variant,
    is_master_playlist,
    parse_master_playlist,
    parse_media_playlist,
    write_master_playlist,
)
from sender_common.hls.spoolcache import SpoolCache
from sender_common.models import SessionState, utcnow
from sender_edge.metrics import EdgeMetrics
from sender_edge.mirror.fetch import (
    MAX_PLAYLIST_BYTES,
    MAX_SEGMENT_BYTES,
    FetchError,
    UpstreamNotLive,
    UpstreamTlsError,
    get_bytes,
    hls_root,
    segment_target,
)
from sender_edge.mirror.models import SessionOptions
from sender_edge.mirror.rendition import Pending, RenditionMirror
from sender_edge.mirror.spool import older_files, sweep_generations, write_atomic

log = logging.getLogger(__name__)
_VARIANT = re.compile(r"^live/([a-z0-9][a-z0-9_-]{0,31})\.m3u8$")
SINGLE = ""  # the rendition key of an upstream serving one media playlist
MAX_BACKOFF = 10.0


@dataclass(frozen=True, slots=True)
class Timing:
    """The knobs a worker runs by."""

    window: int
    segment_seconds: float
    stale_after_targets: float
    retention_seconds: float
    end_after_seconds: float = 10.0  # stale this much longer: the live window ends (ENDLIST)


class MirrorWorker:
    """One asyncio task following `{upstream}/sender/hls/{slug}/live.m3u8`."""

    def __init__(
        self,
        slug: str,
        options: SessionOptions,
        *,
        client: httpx.AsyncClient,
        cache: SpoolCache,
        spool_dir: Path,
        timing: Timing,
        metrics: EdgeMetrics,
        fetch_slots: asyncio.Semaphore,
    ) -> None:
        self.slug = slug
        self.options = options
        self._client = client
        self._cache = cache
        self._dir = spool_dir / slug
        self._timing = timing
        self._metrics = metrics
        self._slots = fetch_slots
        self._root = hls_root(options.upstream_url, slug)
        self.renditions: dict[str, RenditionMirror] = {}
        self.master: MasterPlaylist | None = None
        self.last_error: str | None = None
        self.fatal = False
        self.segments_mirrored = 0
        self.bytes_mirrored = 0
        self.last_fetch_at: datetime | None = None
        self._last_progress: float | None = None
        self._locked_generation: int | None = None
        self.first_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"mirror-{self.slug}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_ready(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.first_ready.wait(), timeout)
        return self.first_ready.is_set()

    async def _run(self) -> None:
        next_at = time.monotonic()
        failures = 0
        while True:
            try:
                delay = await self._cycle(failures)
            except Exception:  # the worker's top loop must outlive a bug in one reload
                log.exception("%s: mirror reload crashed", self.slug)
                delay = MAX_BACKOFF
            failures = 0 if delay <= self.reload_interval else failures + 1
            next_at += delay  # timed from the previous reload, not from its end
            now = time.monotonic()
            if next_at < now:
                next_at = now
            await asyncio.sleep(next_at - now)

    @property
    def target(self) -> float:
        targets = [r.target for r in self.renditions.values() if r.ready]
        return float(max(targets)) if targets else self._timing.segment_seconds

    @property
    def reload_interval(self) -> float:
        """About half the target duration (RFC 8216 6.3.4)."""
        return max(0.25, self.target / 2)

    async def _cycle(self, failures: int) -> float:
        """One reload; returns the delay before the next one."""
        backoff = min(MAX_BACKOFF, self.reload_interval * (1 << min(failures + 1, 6)))
        try:
            await self.reload()
        except UpstreamNotLive as exc:
            self._failed("not_live", f"upstream not live: {exc}", fatal=False)
            return max(self.reload_interval, self._timing.segment_seconds)
        except UpstreamTlsError as exc:
            self._failed("tls", str(exc), fatal=True)
        except (PlaylistError, FetchError) as exc:
            self._failed("invalid", f"upstream refused: {exc}", fatal=True)
        except httpx.HTTPStatusError as exc:
            self._failed("http", f"upstream HTTP {exc.response.status_code}", fatal=False)
        except (httpx.TransportError, OSError) as exc:
            self._failed("transport", f"upstream unreachable: {type(exc).__name__}: {exc}", False)
        else:
            self.last_error, self.fatal = None, False
            return self.reload_interval
        return backoff

    def _failed(self, kind: str, message: str, fatal: bool) -> None:
        if message != self.last_error:
            log.warning("%s: %s", self.slug, message)
        self.last_error, self.fatal = message, fatal
        self._metrics.upstream_errors.labels(kind=kind).inc()

    # -- one reload ---------------------------------------------------------------------

    async def _playlist(self, url: str) -> str:
        body = await get_bytes(self._client, url, limit=MAX_PLAYLIST_BYTES, attempts=2)
        return body.decode("utf-8", "replace")

    async def reload(self) -> None:
        """Fetch the live playlist(s) and mirror what is new."""
        live_url = self._root + "live.m3u8"
        text = await self._playlist(live_url)
        if not is_master_playlist(text):
            await self._mirror(SINGLE, live_url, parse_media_playlist(text))
            self.master = None
        else:
            chosen = self._choose(parse_master_playlist(text))
            for name, variant in chosen:
                url = urljoin(live_url, variant.uri)
                await self._mirror(name, url, parse_media_playlist(await self._playlist(url)))
            self.master = MasterPlaylist(
                variants=[
                    Variant(f"live/{n}.m3u8", v.bandwidth, v.resolution, v.codecs, v.name)
                    for n, v in chosen
                ],
                independent_segments=True,
            )
        self.last_fetch_at = utcnow()

    def _choose(self, master: MasterPlaylist) -> list[tuple[str, Variant]]:
        chosen: list[tuple[str, Variant]] = []
        for variant in master.variants:
            m = _VARIANT.match(variant.uri)
            if m is None:
                raise PlaylistError(f"unexpected variant URI {variant.uri[:100]!r}")
            wanted = self.options.renditions
            if wanted is None or m.group(1) in wanted:
                chosen.append((m.group(1), variant))
        if not chosen:
            raise PlaylistError("none of the requested renditions is offered upstream")
        return chosen

    def _pending(self, mirror: RenditionMirror, url: str, pl: MediaPlaylist) -> list[Pending]:
        items: list[Pending] = []
        for i, seg in enumerate(pl.segments):
            absolute, path = segment_target(url, seg.uri, self._root)  # check every URI
            seq = pl.media_sequence + i
            item = Pending(
                seq,
                Segment(path, seg.duration, seg.discontinuity, seg.program_date_time),
                absolute,
                path,
            )
            if not self.options.follow_generations:
                if self._locked_generation is None:
                    self._locked_generation = item.generation
                if item.generation != self._locked_generation:
                    continue
            if mirror.wanted(seq):
                items.append(item)
        return items

    async def _mirror(self, name: str, url: str, pl: MediaPlaylist) -> None:
        mirror = self.renditions.setdefault(name, RenditionMirror(self._timing.window))
        mirror.target = max(1, pl.target_duration)
        items = self._pending(mirror, url, pl)
        if not mirror.ready and items:  # a restart: older files of this run are not ours
            for rel in await asyncio.to_thread(older_files, self._dir, items[0].path):
                self._cache.forget(f"{self.slug}/{rel}")
        results = await asyncio.gather(*(self._download(item) for item in items))
        for item, error in zip(items, results, strict=True):
            if isinstance(error, UpstreamNotLive):
                log.warning("%s: segment %s vanished upstream; skipped", self.slug, item.path)
                continue  # the next fold sees the gap and restarts the window there
            if error is not None:
                raise error  # later segments stay on disk and are folded next time
            await self._prune(mirror.fold(item))
            self._last_progress = time.monotonic()
            self.first_ready.set()
        mirror.mark_ended(pl.endlist)

    async def _download(self, item: Pending) -> Exception | None:
        """Fetch, write (temp then rename) and cache one segment; the error, if any."""
        path = self._dir / item.path
        if await asyncio.to_thread(path.is_file):
            return None  # written by an earlier run; segments are immutable
        try:
            async with self._slots:
                body = await get_bytes(self._client, item.url, limit=MAX_SEGMENT_BYTES)
            mtime_ns = await asyncio.to_thread(write_atomic, path, body)
        except (FetchError, httpx.HTTPError, OSError) as exc:
            return exc
        self._cache.put_bytes(f"{self.slug}/{item.path}", body, mtime_ns)
        self.segments_mirrored += 1
        self.bytes_mirrored += len(body)
        self._metrics.segments_mirrored.inc()
        self._metrics.bytes_mirrored.inc(len(body))
        return None

    async def _prune(self, paths: list[str]) -> None:
        for rel in paths:
            self._cache.forget(f"{self.slug}/{rel}")
            await asyncio.to_thread((self._dir / rel).unlink, True)

    # -- what it serves and reports -----------------------------------------------------

    def frozen(self) -> bool:
        """The upstream stalled past stale plus the grace period: never serve that as live."""
        lag = self.lag_seconds()
        limit = self._timing.stale_after_targets * self.target + self._timing.end_after_seconds
        return lag is not None and lag > limit

    def render(self, name: str) -> bytes | None:
        """`live.m3u8` or `live/{rendition}.m3u8`, only over segments already on disk."""
        if self.frozen():
            for held in self.renditions.values():
                held.mark_ended(True)  # the next segment from upstream reopens it
        if self.master is None:
            single = self.renditions.get(SINGLE)
            return single.render("") if name == "live.m3u8" and single is not None else None
        if name == "live.m3u8":
            ready = [v for v in self.master.variants if self._variant_ready(v)]
            if not ready:
                return None
            return write_master_playlist(MasterPlaylist(ready, True)).encode()
        m = re.match(r"^live/([a-z0-9][a-z0-9_-]{0,31})\.m3u8$", name)
        mirror = self.renditions.get(m.group(1)) if m else None
        return mirror.render("../") if mirror is not None else None

    def _variant_ready(self, variant: Variant) -> bool:
        m = _VARIANT.match(variant.uri)
        mirror = self.renditions.get(m.group(1)) if m else None
        return mirror is not None and mirror.ready

    def _primary(self) -> RenditionMirror | None:
        if self.master is not None and self.master.variants:
            m = _VARIANT.match(self.master.variants[0].uri)
            return self.renditions.get(m.group(1)) if m else None
        return self.renditions.get(SINGLE)

    @property
    def generation(self) -> int | None:
        gens = [r.generation for r in self.renditions.values() if r.generation is not None]
        return max(gens) if gens else None

    @property
    def media_sequence(self) -> int | None:
        primary = self._primary()
        return primary.media_sequence if primary is not None else None

    @property
    def rendition_names(self) -> list[str]:
        return sorted(n for n, r in self.renditions.items() if r.ready and n != SINGLE) or (
            ["src"] if SINGLE in self.renditions else []
        )

    def lag_seconds(self) -> float | None:
        if self._last_progress is None:
            return None
        return round(time.monotonic() - self._last_progress, 3)

    def state(self) -> SessionState:
        if self.fatal:
            return SessionState.error
        mirrors = [r for r in self.renditions.values() if r.ready]
        if not mirrors or all(r.ended for r in mirrors):
            return SessionState.waiting_source
        lag = self.lag_seconds()
        if lag is None or lag > self._timing.stale_after_targets * self.target:
            return SessionState.stale
        return SessionState.live

    def sweep(self) -> int:
        """Remove generations other than the current one untouched for the retention period."""
        gone = sweep_generations(self._dir, self.generation, self._timing.retention_seconds)
        for number in gone:
            self._cache.forget_prefix(f"{self.slug}/{number}/")
        return len(gone)
