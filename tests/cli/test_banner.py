"""The `sender up` panel, rendered in-process: the OBS (RTMP) and SRT addresses it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from sender_cli.local.banner import banner
from sender_cli.local.roles import UpConfig


def _text(config: UpConfig, endpoint: dict[str, str] | None) -> str:
    console = Console(record=True, width=300)
    console.print(banner(config, {"origin": "http://o"}, endpoint=endpoint, skipped={}))
    return console.export_text()


@pytest.mark.parametrize(
    ("host", "shown"), [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::1", "[::1]")]
)
def test_ingest_urls_for_the_demo_endpoint(tmp_path: Path, host: str, shown: str) -> None:
    config = UpConfig(tmp_path, host=host, rtmp_port=1940, srt_port=8899)
    text = _text(config, {"slug": "demo", "stream_key": "sk_abc"})
    assert f"rtmp://{shown}:1940/live" in text
    assert f"srt://{shown}:8899?streamid=publish:live/sk_abc&latency=200000" in text
    console_line = next(ln for ln in text.splitlines() if "Console" in ln)
    assert "http://o/sender/console" in console_line


def test_ingest_urls_without_an_endpoint(tmp_path: Path) -> None:
    text = _text(UpConfig(tmp_path, srt_port=8899), None)
    assert "srt://127.0.0.1:8899?streamid=publish:live/{stream_key}&latency=200000" in text
    assert "sender endpoints create NAME" in text
