"""Makes the `LivePublish` of a generation: its spool folders, one packager per rendition
feeding the live playlists and the DVR book, and the ffmpeg that writes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sender_common.ffmpeg.command import CmafOutput
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_origin.metrics import OriginMetrics
from sender_origin.settings import OriginSettings
from sender_origin.streams.dvr_book import DvrBook
from sender_origin.streams.events import EventKind, StreamEvents
from sender_origin.streams.live import LivePlaylists
from sender_origin.streams.packager import packagers_for
from sender_origin.streams.publish import LivePublish, PublishInfo, TagTap
from sender_origin.streams.runtime import EndpointRuntime, keep_segments


class PublishFactory:
    def __init__(
        self,
        settings: OriginSettings,
        ffmpeg: str,
        outputs: tuple[LivePlaylists, SpoolCache, DvrBook],
        metrics: OriginMetrics,
        events: StreamEvents,
    ) -> None:
        self.settings = settings
        self.ffmpeg = ffmpeg
        self.live, self.cache, self.dvr = outputs  # where the segments go
        self.metrics = metrics
        self.events = events
        # a publish's FLV tags also go to this, per endpoint (the WebRTC source)
        self.tap: Callable[[str], TagTap] | None = None

    def make(
        self,
        rt: EndpointRuntime,
        number: int,
        peer: str,
        *,
        on_closed: Callable[[LivePublish], Awaitable[None]],
        input_format: str,
    ) -> LivePublish:
        """The publish of generation `number` of the endpoint (not started yet)."""
        slug, hls = rt.slug, self.settings.hls
        gen_dir = self.settings.spool_dir / slug / str(number)
        for r in rt.renditions:
            (gen_dir / r.name).mkdir(parents=True, exist_ok=True)
        packagers = packagers_for(
            slug,
            number,
            gen_dir,
            [r.name for r in rt.renditions],
            self.live,
            hls,
            self.cache,
            self.dvr.hook(slug, number, self.metrics.segments_written.inc),
            keep_segments(rt, hls),
        )

        def restarted() -> None:
            self.metrics.ffmpeg_restarts.inc()
            self.events.record(slug, EventKind.ffmpeg_restart, generation=number)

        return LivePublish(
            PublishInfo(slug, rt.endpoint_id, number, peer, gen_dir),
            self.ffmpeg,
            CmafOutput(hls, rt.renditions),
            packagers=packagers,
            restart_budget=self.settings.ffmpeg_restart_budget,
            on_closed=on_closed,
            on_restart=restarted,
            on_bytes=self.metrics.ingest_bytes.labels(endpoint=slug).inc,
            input_format=input_format,
            tap=self.tap(slug) if self.tap is not None and input_format == "flv" else None,
        )
