"""Viewer pages for the latency bench: chromium playing a target, with the clock probe injected.

Two kinds of page: the bare hls.js page (hls.js from player/node_modules, `lowLatencyMode:
true`, nothing else configured) served by playwright's request routing at
`{base}/__latency-bench/hls.html`, i.e. same-origin with the target and no local server; and
the Sender player page `{base}/sender/player/{endpoint}`. Every request a page makes is counted
(playlists vs media) so the bench can report the request rate one viewer causes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.browser import CHROMIUM, launch_chromium

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).with_name("latency_probe.js")
HLS_JS = ROOT / "player" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
BENCH_PREFIX = "/__latency-bench/"

_BARE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>hls.js</title></head>
<body style="margin:0;background:#000">
<video muted autoplay playsinline style="width:640px;height:360px"></video>
<script src="/__latency-bench/hls.min.js"></script>
<script>
const url = %(url)s;
const video = document.querySelector("video");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function live() {
  for (;;) {
    try {
      const r = await fetch(url, { cache: "no-store" });
      if (r.ok && (await r.text()).includes("#EXT-X-")) return;
    } catch (e) {}
    await sleep(250);
  }
}
async function start() {
  await live();
  const hls = new Hls({ lowLatencyMode: true });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (data.fatal) { hls.destroy(); sleep(1000).then(start); }
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch(() => {});
}
start();
</script></body></html>
"""


@dataclass
class Viewer:
    """One page: what it is, when it was opened, and every request it made."""

    name: str
    page: Any
    opened_ms: float = field(default_factory=lambda: time.time() * 1000)
    requests: list[tuple[float, str]] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = self.page.evaluate("window.__latency ?? {}")
        return data

    def first_frame_ms(self) -> float | None:
        value = self.page.evaluate("window.__latency ? window.__latency.firstFrameAt : null")
        return float(value) if value is not None else None

    def request_rates(self, t0: float, t1: float) -> tuple[float, float]:
        """(playlist, media) requests per second between monotonic times t0 and t1."""
        playlists = media = 0
        for at, url in self.requests:
            if not t0 <= at <= t1:
                continue
            path = urlsplit(url).path
            if path.startswith((BENCH_PREFIX, "/api/", "/sender/api/", "/sender/player")):
                continue
            if path.endswith(".m3u8"):
                playlists += 1
            else:
                media += 1
        span = max(t1 - t0, 1e-9)
        return playlists / span, media / span


def _bare_route(playlist_url: str) -> Any:
    page_html = _BARE_PAGE % {"url": json.dumps(playlist_url)}
    hls_js = HLS_JS.read_bytes()

    def handle(route: Any) -> None:
        path = urlsplit(route.request.url).path
        if path.endswith("/hls.min.js"):
            route.fulfill(status=200, content_type="text/javascript", body=hls_js)
        else:
            route.fulfill(status=200, content_type="text/html", body=page_html)

    return handle


def open_viewer(
    context: Any,
    name: str,
    base: str,
    playlist_path: str,
    player: str | None,
    transport: str = "hls",
) -> Viewer:
    """Open a page on `base`: the Sender player page of endpoint `player` on `transport`
    (`hls` or `webrtc`), or (None) the bare hls.js page playing `playlist_path`."""
    page = context.new_page()
    viewer = Viewer(name, page)
    page.on("request", lambda req: viewer.requests.append((time.monotonic(), req.url)))
    if player is not None:
        url = f"{base}/sender/player/{player}?transport={transport}"
        page.goto(url, wait_until="domcontentloaded")
    else:
        page.route(f"{base}{BENCH_PREFIX}**", _bare_route(f"{base}{playlist_path}"))
        page.goto(f"{base}{BENCH_PREFIX}hls.html", wait_until="domcontentloaded")
    return viewer


def browser_context(pw: Any) -> tuple[Any, Any]:
    """(browser, context) on Debian's chromium with the probe injected in every page."""
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if not HLS_JS.exists():
        raise SystemExit(f"{HLS_JS} is missing: run `make player` first")
    browser = launch_chromium(pw, "--autoplay-policy=no-user-gesture-required")
    context = browser.new_context(viewport={"width": 960, "height": 600})
    context.add_init_script(script=PROBE.read_text())
    return browser, context
