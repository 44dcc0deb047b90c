"""Origin settings (env prefix `SENDER_`)."""

from __future__ import annotations

from pydantic import Field

from sender_common.models import MAX_DVR_SECONDS
from sender_common.settings import CommonSettings, role_model
from sender_common.webrtc.config import WebrtcSettings

SRT_LATENCY_US = 200_000


@role_model("origin")
class OriginSettings(CommonSettings, WebrtcSettings):
    http_port: int = Field(default=8080, ge=0, le=65535)
    rtmp_host: str | None = None
    rtmp_port: int = Field(default=1935, ge=0, le=65535)
    rtmp_handshake_timeout: float = Field(default=10.0, gt=0)
    rtmp_idle_timeout: float = Field(default=30.0, gt=0)
    srt_port: int = Field(default=8890, ge=0, le=65535)
    srt_idle_timeout: float = Field(default=30.0, gt=0)
    ffmpeg_restart_budget: int = Field(default=10, ge=0)
    reconnect_grace_seconds: float = Field(default=10.0, ge=0, le=3600)
    retention_check_seconds: float = Field(default=30.0, gt=0)
    public_rtmp_url: str | None = None
    # below this much free space on the spool's filesystem the origin reports not ready
    spool_min_free_bytes: int = Field(default=1024 * 1024, ge=0)
    # DVR window of endpoints that do not set one (0 = off); recordings' disk budget
    hls_dvr_seconds: int = Field(default=7200, ge=0, le=MAX_DVR_SECONDS)
    recordings_max_bytes: int | None = Field(default=None, ge=0)

    def _ingest_host(self) -> str:
        host = self.rtmp_host or self.host
        return "127.0.0.1" if host in ("0.0.0.0", "::") else host

    def publish_base(self) -> str:
        if self.public_rtmp_url:
            return self.public_rtmp_url.rstrip("/")
        return f"rtmp://{self._ingest_host()}:{self.rtmp_port}/live"

    def srt_url(self, key: str, passphrase: str | None = None) -> str:
        """The SRT URL OBS and ffmpeg take (their `latency` is in microseconds)."""
        url = f"srt://{self._ingest_host()}:{self.srt_port}?streamid=publish:live/{key}"
        url += f"&latency={SRT_LATENCY_US}"
        # ffmpeg and OBS take option values verbatim (no percent-decoding); a passphrase
        # cannot hold the characters that would break the query (EndpointCreate)
        return f"{url}&passphrase={passphrase}" if passphrase else url
