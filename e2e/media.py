"""Playing HLS like a client: decode with ffmpeg, read playlists, simulate polling viewers."""

from __future__ import annotations

__all__ = ["PollingViewer", "ViewerCrowd", "decoded_seconds", "live_uris", "media_sequence"]

import subprocess
import threading
from dataclasses import dataclass, field

import httpx

from sender_common.ffmpeg import resolve_ffmpeg
from sender_common.hls.playlist.parse import parse_media_playlist


def decoded_seconds(url: str, *, seconds: float = 6.0, timeout: float = 60) -> float:
    """Decode up to `seconds` of `url` with ffmpeg (as a player would); returns the media time
    actually decoded. Fails when ffmpeg does."""
    argv = [
        resolve_ffmpeg(),
        "-hide_banner",
        "-nostats",
        "-v",
        "error",
        "-live_start_index",
        "0",
        "-i",
        url,
        "-t",
        f"{seconds:g}",
        "-progress",
        "pipe:1",
        "-f",
        "null",
        "-",
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"ffmpeg could not play {url}: {done.stderr[-2000:]}"
    times = [
        int(line.split("=", 1)[1])
        for line in done.stdout.splitlines()
        if line.startswith("out_time_us=") and line.split("=", 1)[1].strip().isdigit()
    ]
    return max(times, default=0) / 1e6


def live_uris(base_url: str, endpoint: str) -> list[str]:
    """Segment URIs of the live media playlist (empty when there is none)."""
    r = httpx.get(f"{base_url}/sender/hls/{endpoint}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return []
    return [s.uri for s in parse_media_playlist(r.text).segments]


def generation_uris(base_url: str, endpoint: str, generation: int) -> list[str]:
    """The live playlist's segment URIs of one generation (they start with `{generation}/`)."""
    return [u for u in live_uris(base_url, endpoint) if u.startswith(f"{generation}/")]


def media_sequence(base_url: str, endpoint: str) -> int | None:
    r = httpx.get(f"{base_url}/sender/hls/{endpoint}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return None
    return parse_media_playlist(r.text).media_sequence


@dataclass
class PollingViewer:
    """One simulated viewer: reloads `live.m3u8` on each of `edges` from `local_address`."""

    endpoint: str
    edges: list[str]
    local_address: str
    vsid: str | None = None
    fetches: int = 0
    errors: list[str] = field(default_factory=list)

    def url(self, edge: str) -> str:
        query = f"?vsid={self.vsid}" if self.vsid else ""
        return f"{edge}/sender/hls/{self.endpoint}/live.m3u8{query}"


class ViewerCrowd:
    """Runs viewers in one background thread, a reload round every `period` seconds."""

    def __init__(self, viewers: list[PollingViewer], period: float = 0.5) -> None:
        self.viewers = viewers
        self.period = period
        self._stop = threading.Event()
        self._round = threading.Condition()
        self.rounds = 0
        self._clients = {
            addr: httpx.Client(
                transport=httpx.HTTPTransport(local_address=addr), timeout=httpx.Timeout(5.0)
            )
            for addr in {v.local_address for v in viewers}
        }
        self._thread = threading.Thread(target=self._run, name="viewer-crowd", daemon=True)

    def __enter__(self) -> ViewerCrowd:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(15)
        for client in self._clients.values():
            client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for viewer in self.viewers:
                client = self._clients[viewer.local_address]
                for edge in viewer.edges:
                    try:
                        r = client.get(viewer.url(edge))
                        r.raise_for_status()
                        viewer.fetches += 1
                    except httpx.HTTPError as exc:
                        viewer.errors.append(f"{edge}: {exc}")
            with self._round:
                self.rounds += 1
                self._round.notify_all()
            self._stop.wait(self.period)  # the reload cadence of a player, not synchronisation

    def wait_rounds(self, n: int, timeout: float = 30) -> None:
        """Block until `n` more complete reload rounds have happened."""
        with self._round:
            target = self.rounds + n
            ok = self._round.wait_for(lambda: self.rounds >= target, timeout)
        assert ok, f"viewers made {self.rounds} rounds, wanted {target}"
