"""Logging setup for a role process (once, idempotent)."""

from __future__ import annotations

import logging


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_sender", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._sender = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
