"""A WHEP viewer in Python (aiortc), for tests and benches: offers receive-only H.264 video
and Opus audio on loopback, counts the frames it gets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from sender_common.webrtc.ice import PortPool, use_hosts

T = TypeVar("T")


@dataclass
class Viewer:
    pc: RTCPeerConnection
    location: str
    frames: dict[str, int] = field(default_factory=lambda: {"video": 0, "audio": 0})
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)

    async def close(self, client: httpx.AsyncClient | None = None) -> None:
        if client is not None:
            await client.delete(self.location)
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


def offer_pc(*, video: bool = True, audio: bool = True, h264: bool = True) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    if video:
        t = pc.addTransceiver("video", direction="recvonly")
        caps = RTCRtpReceiver.getCapabilities("video")
        assert caps is not None
        want = ("video/h264", "video/rtx") if h264 else ("video/vp8", "video/rtx")
        t.setCodecPreferences([c for c in caps.codecs if c.mimeType.lower() in want])
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    return pc


async def _count(viewer: Viewer, track: MediaStreamTrack) -> None:
    try:
        while True:
            frame = await track.recv()
            viewer.frames[track.kind] += 1
            if track.kind == "video":
                viewer.sizes.append((frame.width, frame.height))  # type: ignore[union-attr]
    except MediaStreamError:
        return


async def watch(client: httpx.AsyncClient, url: str) -> Viewer:
    """POST an offer to a WHEP URL, apply the answer, count what arrives."""
    pc = offer_pc()
    tracks: list[MediaStreamTrack] = []
    pc.on("track", tracks.append)
    sdp = await gathered_offer(pc)
    r = await client.post(url, content=sdp, headers={"content-type": "application/sdp"})
    r.raise_for_status()
    await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
    viewer = Viewer(pc, str(httpx.URL(url).join(r.headers["location"])))
    for track in tracks:
        viewer.tasks.append(asyncio.create_task(_count(viewer, track)))
    return viewer


async def gathered_offer(pc: RTCPeerConnection) -> str:
    """Create the offer with ICE on loopback only (patched before gathering)."""
    offer = await pc.createOffer()
    use_hosts(pc, ["127.0.0.1"], PortPool(None))
    await pc.setLocalDescription(offer)
    return pc.localDescription.sdp


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine in a thread of its own (playwright's sync API owns this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
