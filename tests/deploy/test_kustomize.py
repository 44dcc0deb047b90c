"""deploy/k8s: the kustomizations, what ``kubectl kustomize`` renders from them, and that
every rendered object is valid for the oldest and newest Kubernetes supported (strict JSON
schemas: unknown fields are errors)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.layout import rel
from tests.deploy.manifests import (
    BASE,
    K8S,
    K8S_VERSIONS,
    OVERLAY,
    REPLICATED,
    Docs,
    builtin,
    by_key,
    key,
    kustomize,
    only_container,
    pod_spec,
    schema_validate,
)

BASE_OBJECTS = {
    ("ConfigMap", "sender-hls"),
    ("StatefulSet", "sender-origin"),
    ("Service", "sender-origin"),
    ("Service", "sender-origin-headless"),
    ("Service", "sender-origin-rtmp"),
    ("Deployment", "sender-edge"),
    ("Service", "sender-edge"),
    ("HorizontalPodAutoscaler", "sender-edge"),
    ("Deployment", "sender-metrics"),
    ("Service", "sender-metrics"),
    ("VMServiceScrape", "sender"),
}
RENDERED = {
    BASE: BASE_OBJECTS,
    OVERLAY: BASE_OBJECTS | {("Namespace", "sender")},
    REPLICATED: BASE_OBJECTS
    | {
        ("Namespace", "sender"),
        ("StatefulSet", "sender-redis"),
        ("Service", "sender-redis"),
        ("HorizontalPodAutoscaler", "sender-metrics"),
    },
}


def test_kustomization_files_reference_existing_files() -> None:
    for kfile in K8S.rglob("kustomization.yaml"):
        kust = yaml.safe_load(kfile.read_text())
        assert (kust["apiVersion"], kust["kind"]) in {
            ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
            ("kustomize.config.k8s.io/v1alpha1", "Component"),
        }
        for entry in [*kust.get("resources", []), *kust.get("components", [])]:
            assert (kfile.parent / entry).exists(), f"{rel(kfile)}: missing {entry}"
        for component in kust.get("components", []):
            ckust = yaml.safe_load((kfile.parent / component / "kustomization.yaml").read_text())
            assert ckust["kind"] == "Component", f"{component} is not a Component"
        for patch in kust.get("patches", []):
            assert (kfile.parent / patch["path"]).is_file(), f"{rel(kfile)}: missing {patch}"
    # every manifest in the base is listed: nothing is written and then forgotten
    listed = set(yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert "namespace" not in yaml.safe_load((BASE / "kustomization.yaml").read_text())
    for doc in kustomize(BASE):
        assert "namespace" not in doc["metadata"], f"base must be namespace-less: {key(doc)}"


@pytest.mark.parametrize("target", [BASE, OVERLAY, REPLICATED], ids=rel)
def test_kubectl_kustomize_renders(target: Path) -> None:
    """Each kustomization renders exactly the objects it should: none lost, none added."""
    assert set(by_key(kustomize(target))) == RENDERED[target]


def test_overlay_images_and_replicas_name_existing_objects() -> None:
    """kustomize silently ignores an ``images`` entry that matches no container and a
    ``replicas`` entry whose target has no replicas: both would deploy something else."""
    kust = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    base = kustomize(BASE)
    used = {
        re.split(r"[:@]", c["image"], maxsplit=1)[0]
        for d in base
        for c in (pod_spec(d) or {}).get("containers", [])
    }
    for image in kust["images"]:
        assert image["name"] in used, f"image {image['name']} is used by no container"
    rendered = by_key(kustomize(OVERLAY))
    for image in kust["images"]:
        wanted = f"{image['newName']}:{image['newTag']}"
        assert wanted in {only_container(d)["image"] for d in rendered.values() if pod_spec(d)}
    for rep in kust["replicas"]:
        hits = [d for d in base if d["metadata"]["name"] == rep["name"] and "replicas" in d["spec"]]
        assert hits, f"replicas target {rep['name']} not found"
        for doc in hits:
            assert rendered[key(doc)]["spec"]["replicas"] == rep["count"]


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_base_manifests_match_kubernetes_schemas(base_docs: Docs, version: str) -> None:
    docs = builtin(base_docs)
    assert {d["kind"] for d in docs} >= {
        "StatefulSet",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "ConfigMap",
    }
    for doc in docs:
        schema_validate(doc, version)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_overlay_matches_kubernetes_schemas(overlay_docs: Docs, version: str) -> None:
    for doc in builtin(overlay_docs):
        schema_validate(doc, version)


def test_schema_validation_is_not_vacuous(base_docs: Docs) -> None:
    deployment = copy.deepcopy(by_key(base_docs)["Deployment", "sender-edge"])
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)
    deployment = copy.deepcopy(by_key(base_docs)["Deployment", "sender-edge"])
    deployment["spec"]["replicass"] = 2  # unknown field: strict mode must reject it
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def _selects(selector: dict[str, Any], service: dict[str, Any]) -> bool:
    labels = service["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        inside = labels.get(expr["key"]) in expr["values"]
        if (expr["operator"] == "In") != inside:
            return False
    return True


def test_vmservicescrape_structure(base_docs: Docs) -> None:
    docs = by_key(base_docs)
    scrapes = [d for d in base_docs if d["kind"] == "VMServiceScrape"]
    assert len(scrapes) == 1
    scrape = scrapes[0]
    assert scrape["apiVersion"] == "operator.victoriametrics.com/v1beta1"
    assert set(scrape) == {"apiVersion", "kind", "metadata", "spec"}
    spec = scrape["spec"]
    assert set(spec) <= {"selector", "endpoints", "jobLabel", "namespaceSelector"}
    assert set(spec["selector"]) <= {"matchLabels", "matchExpressions"}
    for expr in spec["selector"].get("matchExpressions", []):
        assert set(expr) == {"key", "operator", "values"}
        assert expr["operator"] in {"In", "NotIn", "Exists", "DoesNotExist"}
    assert spec["endpoints"], "no endpoints"
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= {"port", "path", "scheme", "interval", "scrapeTimeout"}
        assert endpoint["port"] == "http"
        assert endpoint["path"] == "/metrics"
        assert endpoint.get("scheme", "http") == "http"
        for duration in ("interval", "scrapeTimeout"):
            if duration in endpoint:
                assert re.fullmatch(r"\d+(ms|s|m|h)", endpoint[duration])

    selected = {
        name
        for (kind, name), d in docs.items()
        if kind == "Service" and _selects(spec["selector"], d)
    }
    assert selected == {"sender-origin", "sender-edge", "sender-metrics"}
    for name in selected:
        assert "http" in {p["name"] for p in docs["Service", name]["spec"]["ports"]}
