"""Browser engines reading a live stream: the web player (hls.js) and Shaka Player."""

from __future__ import annotations

__all__ = ["SHAKA", "media_time", "open_player", "open_shaka"]

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.tools import require_tool

SHAKA = (
    Path(__file__).resolve().parents[2]
    / "player/node_modules/shaka-player/dist/shaka-player.compiled.js"
)

SHAKA_START = """async (url) => {
  shaka.polyfill.installAll();
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  const player = new shaka.Player();
  await player.attach(video);
  player.addEventListener("error", (e) => { window.shakaErrors.push(String(e.detail?.code)); });
  window.shakaVideo = video;
  await player.load(url);
  await video.play();
}"""


def open_player(browser: Browser, url: str) -> Page:
    """The web player page (Video.js + hls.js in low-latency mode) at `url`."""
    page = browser.new_page()
    page.goto(url)
    return page


def open_shaka(browser: Browser, base: str, playlist: str) -> Page:
    """Shaka Player (from npm) on a page of `base` playing `playlist`."""
    require_tool(SHAKA, "cd player && npm ci")
    page = browser.new_page()
    page.goto(f"{base}/healthz")
    page.evaluate("window.shakaErrors = []")
    page.add_script_tag(path=str(SHAKA))
    page.evaluate(SHAKA_START, playlist)
    return page


def media_time(page: Page, expression: str) -> float:
    """A `<video>`'s currentTime from `expression` (0 before it exists)."""
    return float(page.evaluate(f"({expression})?.currentTime ?? 0"))
