"""FastAPI dependencies of the edge (Annotated aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sender_common.deps import from_state
from sender_edge.mirror.sessions.manager import EdgeManager

ManagerDep = Annotated[EdgeManager, Depends(from_state("manager"))]
