"""deploy/nginx and deploy/victoriametrics: the nginx front for large edges and the scrape
configuration, checked by reading them and by ``nginx -t`` / ``victoria-metrics -dryRun``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.layout import DEPLOY, HTTP_PORT, ROLES, run, tool

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
    nginx = tool("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
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
    proc = run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)]
    )
    assert proc.returncode == 0, proc.stderr


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
    binary = tool("victoria-metrics") or tool("vmagent")
    if binary is None:
        pytest.skip("victoria-metrics/vmagent is not installed (scripts/install-system-deps)")
    path = SCRAPE
    if which != "static":
        path = tmp_path / "k8s.yml"
        path.write_text(_commented_kubernetes_job())
    proc = run(
        [binary, f"-promscrape.config={path}", "-dryRun", "-loggerLevel=ERROR"], cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
