"""Watching the web player in a chromium page: its media clock and its advance."""

from __future__ import annotations

__all__ = ["current_time", "playback_advances"]

from playwright.sync_api import Page

from tests.waiting import wait_for


def current_time(page: Page) -> float:
    """The player's `<video>` currentTime (0 before the player is up)."""
    return float(page.evaluate("window.senderPlayer?.video.currentTime ?? 0"))


def playback_advances(page: Page, seconds: float, what: str, start_timeout: float = 20) -> float:
    """Wait for playback to start, then to advance by `seconds`; returns the start position."""
    start = wait_for(lambda: current_time(page), start_timeout, f"{what} to start")
    wait_for(lambda: current_time(page) >= start + seconds, 20, f"{what} advancing")
    return start
