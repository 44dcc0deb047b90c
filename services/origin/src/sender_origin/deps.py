"""FastAPI dependencies of the origin (Annotated aliases); `SessionDep` is the shared one."""

from __future__ import annotations

__all__ = ["ManagerDep", "SessionDep", "SettingsDep", "ViewerCountsDep"]

from typing import Annotated

from fastapi import Depends, Request

from sender_common.deps import SessionDep
from sender_origin.settings import OriginSettings
from sender_origin.streams.manager import StreamManager
from sender_origin.viewer_counts import ViewerCounts


def get_manager(request: Request) -> StreamManager:
    manager: StreamManager = request.app.state.manager
    return manager


def get_settings(request: Request) -> OriginSettings:
    settings: OriginSettings = request.app.state.settings
    return settings


def get_viewer_counts(request: Request) -> ViewerCounts:
    counts: ViewerCounts = request.app.state.viewer_counts
    return counts


ManagerDep = Annotated[StreamManager, Depends(get_manager)]
SettingsDep = Annotated[OriginSettings, Depends(get_settings)]
ViewerCountsDep = Annotated[ViewerCounts, Depends(get_viewer_counts)]
