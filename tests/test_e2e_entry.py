"""Fast checks of the e2e harness's pure parts, so `make test` notices when it breaks."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import yaml

from e2e.nodes import source_ips
from e2e.topology import ORIGIN_ENV
from e2e.vm import ScrapeTarget, scrape_config
from tests.tools import require_tool

TARGETS = [
    ScrapeTarget("origin", "127.0.0.2:8080", "n-origin"),
    ScrapeTarget("edge", "127.0.0.3:8081", "n-edge-a"),
    ScrapeTarget("edge", "127.0.0.4:8081", "n-edge-b"),
]


def test_scrape_config_one_job_per_role() -> None:
    doc = yaml.safe_load(scrape_config(TARGETS))
    assert doc["global"]["scrape_interval"] == "1s"
    jobs = {j["job_name"]: j for j in doc["scrape_configs"]}
    assert sorted(jobs) == ["sender-edge", "sender-origin"]
    edge_static = jobs["sender-edge"]["static_configs"]
    assert [s["labels"]["node_id"] for s in edge_static] == ["n-edge-a", "n-edge-b"]
    assert all(s["labels"]["role"] == "edge" for s in edge_static)


def test_scrape_config_accepted_by_victoria_metrics(tmp_path: Path) -> None:
    exe = require_tool("victoria-metrics")
    path = tmp_path / "scrape.yml"
    path.write_text(scrape_config(TARGETS))
    done = subprocess.run(
        [exe, "-dryRun", f"-promscrape.config={path}", "-promscrape.config.strictParse"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_origin_trusts_exactly_the_edges() -> None:
    assert ORIGIN_ENV["SENDER_TRUSTED_PROXIES"] == "127.0.0.3/32,127.0.0.4/32"


def test_source_ips_reads_proc_net_tcp() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.2", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.socket() as client:
            client.bind(("127.0.0.7", 0))
            client.connect(("127.0.0.2", port))
            conn, _ = server.accept()
            with conn:
                assert source_ips("127.0.0.2", port) == {"127.0.0.7"}
