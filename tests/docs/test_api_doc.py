"""docs/API.md and the roles' OpenAPI schemas describe the same routes.

Each role has a `## <Role>` section in API.md whose tables have rows
``| METHOD | `path` | ...``. Every OpenAPI operation must have a row there, and every row
must be an OpenAPI operation, except rows under a ``### Outside the OpenAPI schema``
heading (HLS, /metrics) and rows marked ``(pending)`` (documented contract, not wired yet).
"""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

API_MD = Path(__file__).resolve().parents[2] / "docs" / "API.md"
ROW = re.compile(r"^\|\s*(GET|POST|PUT|PATCH|DELETE|HEAD)\s*\|\s*`([^`]+)`\s*\|(.*)$")
OUTSIDE = "outside the openapi schema"
ROLES = {
    "origin": ("sender_origin.main", "sender_origin.settings", "OriginSettings"),
    "edge": ("sender_edge.main", "sender_edge.settings", "EdgeSettings"),
    "metrics": ("sender_metrics.main", "sender_metrics.settings", "MetricsSettings"),
}

Op = tuple[str, str]


def doc_rows(role: str) -> tuple[set[Op], set[Op]]:
    """(all documented operations, those that must be in the schema) of a role's section."""
    every: set[Op] = set()
    checked: set[Op] = set()
    in_role = outside = False
    for line in API_MD.read_text().splitlines():
        if line.startswith("## "):
            in_role = line[3:].strip().lower().startswith(role)
            outside = False
        elif line.startswith("### "):
            outside = OUTSIDE in line.lower()
        elif in_role and (m := ROW.match(line)):
            op = (m.group(1), m.group(2))
            every.add(op)
            if not outside and "(pending)" not in m.group(3):
                checked.add(op)
    return every, checked


def schema_ops(role: str, tmp_path: Path) -> set[Op]:
    main_mod, settings_mod, settings_cls = ROLES[role]
    create_app = importlib.import_module(main_mod).create_app
    settings = getattr(importlib.import_module(settings_mod), settings_cls)
    app = create_app(settings(data_dir=tmp_path))
    with warnings.catch_warnings():
        # the player's GET+HEAD asset route shares one operation id (FastAPI warns, harmless)
        warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
        spec: dict[str, Any] = app.openapi()
    return {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_schema_route_is_documented(role: str, tmp_path: Path) -> None:
    ops = schema_ops(role, tmp_path)
    every, _ = doc_rows(role)
    missing = sorted(ops - every)
    assert not missing, f"{role}: in the OpenAPI schema but not in docs/API.md: {missing}"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_documented_route_exists(role: str, tmp_path: Path) -> None:
    ops = schema_ops(role, tmp_path)
    _, checked = doc_rows(role)
    assert checked, f"docs/API.md has no route rows for {role}"
    extra = sorted(checked - ops)
    assert not extra, f"{role}: in docs/API.md but not in the OpenAPI schema: {extra}"
