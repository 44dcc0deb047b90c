"""What every role's runtime object shares: its children, its manifest, running them."""

from __future__ import annotations

__all__ = ["RoleRuntimeBase", "hls_manifest"]

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sender_common.children import Child, run_children
from sender_common.settings import HlsConfig


def hls_manifest(hls: HlsConfig) -> dict[str, float | int]:
    return {
        "segment_seconds": hls.segment_seconds,
        "window_segments": hls.window_segments,
        "retention_seconds": hls.retention_seconds,
    }


class RoleRuntimeBase:
    """A role declares `children()` once; `running()` runs exactly that list."""

    started: list[str]

    def children(self) -> list[Child]:
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Role-specific manifest entries (capabilities, routes, timing)."""
        return {}

    def manifest(self) -> dict[str, object]:
        return {
            **self.describe(),
            "children": [c.name for c in self.children()],
            "running_children": list(getattr(self, "started", [])),
        }

    @asynccontextmanager
    async def running(self, app: Any) -> AsyncIterator[None]:
        del app
        async with run_children(self.children()) as names:
            self.started = names
            yield
        self.started = []
