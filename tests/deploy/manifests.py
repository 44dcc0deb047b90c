"""The Kubernetes manifests as the cluster would get them: rendered by the real
``kubectl kustomize`` (kustomize built into kubectl), validated against the Kubernetes JSON
schemas shipped in ``kubernetes-validate``, and small accessors for the tests."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.layout import DEPLOY, rel, run, tool

K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
REPLICATED = K8S / "overlays" / "replicated"  # the base plus the optional Redis component
# Oldest and newest Kubernetes minor versions the manifests must be valid for.
K8S_VERSIONS = ("1.29.0", "1.37.0")

WORKLOADS = {
    "origin": ("StatefulSet", "sender-origin"),
    "edge": ("Deployment", "sender-edge"),
    "metrics": ("Deployment", "sender-metrics"),
}


@functools.cache
def _rendered(directory: Path) -> str:
    kubectl = tool("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with built-in kustomize) is not installed")
    proc = run([kubectl, "kustomize", str(directory)])
    if proc.returncode != 0 and "unknown command" in proc.stderr:
        pytest.skip("this kubectl has no kustomize subcommand")
    assert proc.returncode == 0, f"kubectl kustomize {rel(directory)}: {proc.stderr}"
    return proc.stdout


Docs = list[dict[str, Any]]
"""Kubernetes objects as parsed YAML documents."""


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize DIR`` renders (a fresh copy each call)."""
    docs = [doc for doc in yaml.safe_load_all(_rendered(directory)) if doc]
    assert docs, f"kubectl kustomize {rel(directory)} rendered nothing"
    return copy.deepcopy(docs)


def key(doc: dict[str, Any]) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {key(d): d for d in docs}
    assert len(keyed) == len(docs), "duplicate kind/name"
    return keyed


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    template = doc.get("spec", {}).get("template")
    return template.get("spec") if template else None


def only_container(doc: dict[str, Any]) -> dict[str, Any]:
    spec = pod_spec(doc)
    assert spec is not None
    containers: list[dict[str, Any]] = spec["containers"]
    assert len(containers) == 1
    return containers[0]


def env_by_name(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A container's ``env`` by variable name."""
    return {e["name"]: e for e in item.get("env", [])}


def schema_validate(doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def builtin(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects of built-in kinds (the VictoriaMetrics operator's CRDs have no schema here)."""
    return [d for d in docs if not d["apiVersion"].startswith("operator.victoriametrics.com/")]
