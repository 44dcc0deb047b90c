"""Where the multi-node cluster's processes live (one loopback address per role) and the
settings every node of a kind gets."""

from __future__ import annotations

__all__ = [
    "EDGE_ENV",
    "EDGE_HOSTS",
    "INGEST_TOKEN",
    "METRICS_ENV",
    "METRICS_HOST",
    "ORIGIN_ENV",
    "ORIGIN_HOST",
    "VIEWER_ENV",
    "VM_HOST",
]

from sender_common.settings import CommonSettings
from sender_common.settings_env import given, role_env, settings_env

ORIGIN_HOST = "127.0.0.2"
EDGE_HOSTS = ("127.0.0.3", "127.0.0.4")
METRICS_HOST = "127.0.0.5"
VM_HOST = "127.0.0.6"
INGEST_TOKEN = "e2e-ingest-token"

# Short enough to watch viewers come and go within a test; shared by nodes and metrics.
VIEWER_ENV = settings_env(
    given(
        CommonSettings,
        viewer_idle_seconds=6,
        viewer_report_seconds=1,
        metrics_ingest_token=INGEST_TOKEN,
    )
)
ORIGIN_ENV = role_env(
    "origin",
    reconnect_grace_seconds=1,
    srt_port=0,  # several origins share a host: each takes a free UDP port
    # the edges' own fetches are relayed traffic, not viewers
    trusted_proxies=[f"{h}/32" for h in EDGE_HOSTS],
)
EDGE_ENV = role_env("edge", reconcile_seconds=1, upstream_timeout=2, stale_after_targets=3)
METRICS_ENV = role_env("metrics", snapshot_seconds=2)
