"""What a viewer's playlist request gets from the origin's media sessions: the live
playlist of a generation, the DVR playlist, or the offline slate, without a database
lookup for a recent miss."""

from __future__ import annotations

from sender_common.hls.serve.request import LATER, Blocking, LiveAnswer
from sender_origin.streams.dvr_book import DvrBook
from sender_origin.streams.live import LivePlaylists
from sender_origin.streams.lookup import RuntimeLookup
from sender_origin.streams.runtime import EndpointRuntime
from sender_origin.streams.slate import SlateLoop


class StreamPlaylists:
    """The playlist side of `StreamManager`: reads its runtimes, never changes a session."""

    def __init__(
        self, runtimes: RuntimeLookup, live: LivePlaylists, dvr: DvrBook, slate_loop: SlateLoop
    ) -> None:
        self.runtimes = runtimes
        self.live = live
        self.dvr = dvr
        self.slate_loop = slate_loop

    def dvr_seconds(self, slug: str) -> float:
        """The DVR window of a known endpoint (0: off, or not looked up yet)."""
        rt = self.runtimes.get(slug)
        return rt.dvr_seconds if rt is not None else 0.0

    def live_now(self, slug: str, name: str, block: Blocking | None) -> LiveAnswer:
        """`live_playlist` without waiting: LATER where it would load or tick (DVR, slate)."""
        rt = self.runtimes.get(slug)
        if rt is None:
            return None if self.runtimes.known_unknown(slug) else LATER
        offline = rt.publish is None and not rt.in_grace
        if name.startswith("dvr") or (rt.slate and rt.desired and offline):
            return LATER
        if rt.generation is None:
            return None
        return self.live.render_now(slug, name, rt.renditions, ended=offline, block=block)

    async def live_playlist(self, slug: str, name: str, block: Blocking | None) -> bytes | None:
        rt = await self.runtimes.find(slug)
        if rt is None:
            return None  # unknown (a recent miss costs no database lookup)
        offline = rt.publish is None and not rt.in_grace
        if name.startswith("dvr"):
            return await self.dvr.render(slug, name, rt.renditions, rt.dvr_seconds, ended=offline)
        if rt.slate and rt.desired and offline:
            if not self.live.has_list(slug, rt.renditions[0].name):
                await self.slate_tick(rt)  # the first viewer need not wait for the ticker
            return await self.live.render(slug, name, rt.renditions, block=block)
        if rt.generation is None:
            return None
        return await self.live.render(slug, name, rt.renditions, ended=offline, block=block)

    async def slate_tick(self, rt: EndpointRuntime) -> None:
        await self.slate_loop.tick(rt)
