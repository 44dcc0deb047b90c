"""The operator console in Debian's chromium against `sender up --demo` with a token: a wrong
token is refused with a clear error; sign in, create an endpoint (a title with markup shown as
text), publish to the shown URL and key with ffmpeg, see it live with one viewer once the
player is open in a second page, read its events and keyframe interval, kick it with a block,
rotate the key, see the API's message for a bad slug and a taken one, delete it; an edge's
console lists its mirrors."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from sender_common.models import SLUG_PATTERN
from tests import scrape
from tests.cli.stack import SenderUp, start_sender_up
from tests.procs import publish, stop_publisher
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

TOKEN = "console-test-token-0123456789"
SLUG = "console-cam"
XSS_TITLE = '<img src=x onerror="window.__xss=1">Studio & <b>friends</b>'
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,}$")


@dataclass
class Console:
    up: SenderUp
    browser: Any
    page: Any
    shots: Path
    page_errors: list[str] = field(default_factory=list)
    publish_url: str = ""
    publisher: subprocess.Popen[bytes] | None = None

    def shot(self, name: str, page: Any | None = None, *, full: bool = False) -> Path:
        path = self.shots / f"{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=full)
        return path

    def row(self, slug: str = SLUG) -> Any:
        return self.page.locator(f'tr[data-slug="{slug}"]')

    def cell(self, field_name: str, slug: str = SLUG) -> str:
        return str(self.row(slug).locator(f'[data-field="{field_name}"]').inner_text()).strip()

    def wait_text(self, get: Any, want: str, timeout: float, what: str) -> None:
        wait_for(lambda: get() == want, timeout, f"{what} to be {want!r}", interval=0.2)


@pytest.fixture(scope="module")
def console(
    chromium_browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    shots = tmp / "screenshots"
    shots.mkdir()
    up = start_sender_up(tmp, env={"SENDER_API_TOKEN": TOKEN})
    try:
        page = chromium_browser.new_page(viewport={"width": 1100, "height": 680})
        c = Console(up, chromium_browser, page, shots)
        page.on("pageerror", lambda exc: c.page_errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{up.origin}/sender/console", wait_until="domcontentloaded")
        yield c
        page.close()
    finally:
        up.interrupt()


def sign_in(page: Any, token: str) -> None:
    page.fill('input[name="token"]', token)
    page.click('form.signin button[type="submit"]')


def test_wrong_token_is_a_sign_in_error(console: Console) -> None:
    page = console.page
    page.wait_for_selector("form.signin")
    sign_in(page, "not-the-token")
    error = page.locator("#signin-error")
    console.wait_text(
        lambda: error.inner_text(),
        "Sign-in failed: missing or wrong bearer token",
        10,
        "the sign-in error",
    )
    console.shot("01-wrong-token")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.context.cookies() == []


def test_sign_in_and_create_shows_the_key_once(console: Console) -> None:
    page = console.page
    sign_in(page, TOKEN)
    page.wait_for_selector('tr[data-slug="demo"]')
    assert page.evaluate("sessionStorage.getItem('sender.console.token')") == TOKEN
    assert page.context.cookies() == []  # the token is never a cookie
    page.fill('input[name="slug"]', SLUG)
    page.fill('input[name="title"]', XSS_TITLE)
    page.click('form.create button[type="submit"]')
    panel = page.wait_for_selector(f'.key-panel[data-endpoint="{SLUG}"]')
    key = page.inner_text('[data-field="stream-key"]').strip()
    server = page.inner_text('[data-field="rtmp-server"]').strip()
    assert KEY_RE.fullmatch(key)
    assert server == f"rtmp://127.0.0.1:{console.up.rtmp_port}/live"
    srt = page.inner_text('[data-field="srt-url"]').strip()
    assert srt.startswith(f"srt://127.0.0.1:{console.up.srt_port}?")
    assert f"publish:live/{key}" in srt
    console.shot("02-created")
    # the title is shown as text, never as markup
    console.row().wait_for()
    assert console.row().locator("td.title").inner_text() == XSS_TITLE
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__xss") is None
    # once dismissed, the key is nowhere on the page (the API never gives it again)
    panel.query_selector("button:not(.copy)").click()
    assert key not in page.content()
    console.publish_url = f"{server}/{key}"


def test_publish_goes_live_with_one_viewer(console: Console) -> None:
    page = console.page
    console.publisher = publish(console.publish_url)
    console.wait_text(lambda: console.cell("state"), "live", 30, "the endpoint's state")
    wait_for(lambda: console.cell("bitrate").endswith("kb/s"), 15, "an ingest bitrate")
    assert console.cell("generation") == "1"
    viewer = console.browser.new_page(viewport={"width": 640, "height": 400})
    try:
        viewer.goto(
            f"{console.up.origin}/sender/player/{SLUG}?transport=hls", wait_until="domcontentloaded"
        )
        console.wait_text(lambda: console.cell("viewers"), "1", 30, "the viewer count")
        # counted by the metrics role (sender up runs one), through the origin's API
        viewers = httpx.get(
            f"{console.up.origin}/api/v1/streams/{SLUG}/viewers",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).json()
        assert (viewers["source"], viewers["now"]) == ("metrics", 1)
        console.shot("03-live-one-viewer")
        console.shot("03-player", viewer)
    finally:
        viewer.close()
    assert XSS_TITLE not in page.title()


def test_endpoint_page_events_and_keyframes(console: Console) -> None:
    page = console.page
    page.click(f'tr[data-slug="{SLUG}"] a')
    page.wait_for_selector('[data-kind="publish_accepted"]', timeout=10_000)
    wait_for(
        lambda: re.fullmatch(r"\d+\.\d\d s", page.inner_text('[data-field="keyframe"]')),
        15,
        "the keyframe interval",
    )
    assert page.inner_text('[data-field="state"]') == "live"
    assert page.locator("svg.chart path.line").count() == 1
    assert page.locator("svg.chart circle.now").count() == 1
    assert page.locator("h1 .title").inner_text() == XSS_TITLE
    # the preview is the player itself, in this page: plain DOM queries reach its video
    page.wait_for_selector(f'sender-player.preview[endpoint="{SLUG}"] video')
    at = "document.querySelector('sender-player.preview video').currentTime"
    start = wait_for(lambda: float(page.evaluate(at)), 20, "the preview playing")
    wait_for(lambda: float(page.evaluate(at)) >= start + 2, 20, "the preview advancing")
    assert page.evaluate("document.querySelector('sender-player').player.state") == "live"
    assert page.evaluate("document.querySelector('sender-player video').muted") is True
    console.shot("04-endpoint", full=True)


def test_kick_with_block_then_rotate(console: Console) -> None:
    page = console.page
    page.click('[data-action="kick-block"]')
    page.wait_for_selector('[data-kind="kicked"]', timeout=10_000)
    assert "key blocked" in page.inner_text('[data-kind="kicked"]')
    publisher = console.publisher
    assert publisher is not None
    wait_for(lambda: publisher.poll() is not None, 15, "ffmpeg to be disconnected")
    console.wait_text(
        lambda: page.inner_text('[data-field="key"]'), "blocked until rotated", 10, "the key block"
    )
    page.click('[data-action="rotate"]')
    page.wait_for_selector(f'.key-panel[data-endpoint="{SLUG}"]')
    new_key = page.inner_text('[data-field="stream-key"]').strip()
    assert KEY_RE.fullmatch(new_key)
    assert not console.publish_url.endswith(f"/{new_key}")
    wait_for(lambda: page.locator('[data-field="key"]').count() == 0, 10, "the block to be lifted")
    console.shot("05-rotated")
    stop_publisher(publisher)


def test_api_error_message_and_delete(console: Console) -> None:
    page = console.page
    page.goto(f"{console.up.origin}/sender/console#/")
    page.wait_for_selector(f'tr[data-slug="{SLUG}"]')
    alert = page.locator(".messages .error")
    # the console has no slug rule of its own: the API's (SLUG_PATTERN) is the one shown
    page.fill('input[name="slug"]', "Bad_Slug")
    page.click('form.create button[type="submit"]')
    want = f"Create Bad_Slug failed: slug: String should match pattern '{SLUG_PATTERN}'"
    console.wait_text(lambda: alert.inner_text(), want, 10, "the slug error")
    page.fill('input[name="slug"]', SLUG)
    page.click('form.create button[type="submit"]')
    want = f"Create {SLUG} failed: endpoint {SLUG!r} already exists"
    console.wait_text(lambda: alert.inner_text(), want, 10, "the duplicate error")
    series = "sender_origin_ingest_bytes_total"
    assert scrape.value(scrape.scrape(console.up.origin), series, endpoint=SLUG) is not None
    console.row().locator('[data-action="delete"]').click()
    wait_for(lambda: console.row().count() == 0, 10, "the deleted row to go")
    assert scrape.value(scrape.scrape(console.up.origin), series, endpoint=SLUG) is None
    assert console.page_errors == []


def test_edge_console_lists_mirror_sessions(console: Console) -> None:
    page = console.page
    page.goto(f"{console.up.edge}/sender/console", wait_until="domcontentloaded")
    sign_in(page, TOKEN)
    page.wait_for_selector("h1:has-text('Mirror sessions')")
    # a playlist request starts an on-demand mirror of the demo stream
    httpx.get(f"{console.up.edge}/sender/hls/demo/live.m3u8", timeout=10)
    page.wait_for_selector('tr[data-slug="demo"]', timeout=15_000)
    console.shot("06-edge")
