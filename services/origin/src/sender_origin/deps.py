"""FastAPI dependencies of the origin (Annotated aliases); `SessionDep` is the shared one."""

from __future__ import annotations

__all__ = ["ManagerDep", "SessionDep", "SettingsDep", "ViewerCountsDep"]

from typing import Annotated

from fastapi import Depends

from sender_common.deps import SessionDep, from_state
from sender_origin.settings import OriginSettings
from sender_origin.streams.manager import StreamManager
from sender_origin.viewer_counts import ViewerCounts

ManagerDep = Annotated[StreamManager, Depends(from_state("manager"))]
SettingsDep = Annotated[OriginSettings, Depends(from_state("settings"))]
ViewerCountsDep = Annotated[ViewerCounts, Depends(from_state("viewer_counts"))]
