"""FastAPI dependencies of the edge (Annotated aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sender_edge.mirror.manager import EdgeManager


def get_manager(request: Request) -> EdgeManager:
    manager: EdgeManager = request.app.state.manager
    return manager


ManagerDep = Annotated[EdgeManager, Depends(get_manager)]
