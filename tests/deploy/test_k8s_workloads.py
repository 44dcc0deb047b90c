"""deploy/k8s as rendered: the roles' workloads, Services, probes, configuration and
security, the example overlay and the optional Redis component."""

from __future__ import annotations

import ipaddress
import re

import pytest

from tests.deploy.layout import DATA_DIR, HTTP_PORT, ROLES, RTMP_PORT, SRT_PORT
from tests.deploy.manifests import (
    BASE,
    K8S_VERSIONS,
    REPLICATED,
    WORKLOADS,
    Docs,
    builtin,
    by_key,
    env_by_name,
    key,
    kustomize,
    only_container,
    pod_spec,
    schema_validate,
)


def test_base_topology(base_docs: Docs) -> None:
    docs = by_key(base_docs)
    origin = docs["StatefulSet", "sender-origin"]
    assert origin["spec"]["replicas"] == 1
    assert ("Service", origin["spec"]["serviceName"]) in docs
    (claim,) = origin["spec"]["volumeClaimTemplates"]
    mounts = {m["mountPath"]: m["name"] for m in only_container(origin)["volumeMounts"]}
    assert mounts[DATA_DIR] == claim["metadata"]["name"]
    assert {(p["name"], p["containerPort"]) for p in only_container(origin)["ports"]} == {
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
    edge_spec = pod_spec(edge)
    assert edge_spec is not None
    spool = {m["mountPath"]: m["name"] for m in only_container(edge)["volumeMounts"]}[DATA_DIR]
    assert "emptyDir" in {v["name"]: v for v in edge_spec["volumes"]}[spool]
    assert (
        env_by_name(only_container(edge))["SENDER_UPSTREAM_URL"]["value"]
        == "http://sender-origin:8080"
    )

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
def test_workload_wiring(base_docs: Docs, role: str) -> None:
    docs = by_key(base_docs)
    workload = docs[WORKLOADS[role]]
    template = workload["spec"]["template"]
    pod_labels = template["metadata"]["labels"]
    selector = workload["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    container = only_container(workload)
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
    env = env_by_name(container)
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


def test_services_select_existing_pods(base_docs: Docs) -> None:
    pods = [
        (d["spec"]["template"]["metadata"]["labels"], only_container(d))
        for d in base_docs
        if pod_spec(d) is not None
    ]
    for service in (d for d in base_docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        matching = [c for labels, c in pods if selector.items() <= labels.items()]
        assert matching, f"Service {service['metadata']['name']} selects no pod"
        for port in service["spec"]["ports"]:
            for container in matching:
                names = {p["name"] for p in container["ports"]}
                assert port["targetPort"] in names, (service["metadata"]["name"], port)


def test_in_cluster_urls_point_at_services(base_docs: Docs) -> None:
    docs = by_key(base_docs)
    for doc in base_docs:
        if pod_spec(doc) is None:
            continue
        for name, item in env_by_name(only_container(doc)).items():
            value = item.get("value", "")
            match = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", value)
            if name.endswith("_URL") and match:
                service = docs["Service", match.group(1)]
                assert int(match.group(2)) in {p["port"] for p in service["spec"]["ports"]}


def test_example_overlay(overlay_docs: Docs) -> None:
    docs = by_key(overlay_docs)
    assert docs["Namespace", "sender"]
    for doc in overlay_docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "sender", key(doc)
    assert docs["Deployment", "sender-edge"]["spec"]["replicas"] == 3
    assert docs["HorizontalPodAutoscaler", "sender-edge"]["spec"]["minReplicas"] == 3
    for role in ROLES:
        image = only_container(docs[WORKLOADS[role]])["image"]
        assert re.fullmatch(rf"[\w./-]+/sender-{role}:[\w.-]+", image), image
        assert not image.endswith(":latest")
    for role in ("origin", "edge"):
        container = only_container(docs[WORKLOADS[role]])
        env = env_by_name(container)
        proxies = env["SENDER_TRUSTED_PROXIES"]["value"]
        for cidr in proxies.split(","):
            ipaddress.ip_network(cidr.strip())
        # the patch adds a variable; it must not drop the ones from the base
        assert "SENDER_DATA_DIR" in env
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_redis_component_runs_metrics_replicas() -> None:
    docs = kustomize(REPLICATED)
    keyed = by_key(docs)
    for version in K8S_VERSIONS:
        for doc in builtin(docs):
            schema_validate(doc, version)
    metrics = keyed["Deployment", "sender-metrics"]
    assert metrics["spec"]["replicas"] == 2
    assert metrics["spec"]["strategy"] == {"type": "RollingUpdate"}
    env = env_by_name(only_container(metrics))
    assert env["SENDER_METRICS_REDIS_URL"]["value"] == "redis://sender-redis:6379/0"
    assert "SENDER_DATABASE_URL" in env  # the base's variables survive the patch
    redis_service = keyed["Service", "sender-redis"]["spec"]
    assert [(p["port"], p["targetPort"]) for p in redis_service["ports"]] == [(6379, "redis")]
    redis = keyed["StatefulSet", "sender-redis"]
    pod_labels = redis["spec"]["template"]["metadata"]["labels"]
    assert redis_service["selector"].items() <= pod_labels.items()
    assert {"redis": 6379} == {
        p["name"]: p["containerPort"] for p in only_container(redis)["ports"]
    }
    assert "--appendonly" in only_container(redis)["args"]  # pins and sequences outlive a restart
    hpa = keyed["HorizontalPodAutoscaler", "sender-metrics"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "sender-metrics"
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 8)
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "sender", key(doc)
    # the base alone stays one metrics process without Redis
    base = by_key(kustomize(BASE))
    assert base["Deployment", "sender-metrics"]["spec"]["replicas"] == 1
    assert not [k for k in base if k[1] == "sender-redis"]
