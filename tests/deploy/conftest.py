"""The rendered base and example overlay, once per test session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.manifests import BASE, OVERLAY, kustomize


@pytest.fixture(scope="session")
def base_docs() -> list[dict[str, Any]]:
    return kustomize(BASE)


@pytest.fixture(scope="session")
def overlay_docs() -> list[dict[str, Any]]:
    return kustomize(OVERLAY)
