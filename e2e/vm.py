"""A real single-node VictoriaMetrics scraping the cluster, and a small query helper."""

from __future__ import annotations

__all__ = ["ScrapeTarget", "VictoriaMetrics", "scrape_config"]

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.child_server import ChildServer
from tests.waiting import wait_for

SCRAPE_INTERVAL = "1s"


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    """One role's `/metrics`, labelled with its role and node id."""

    role: str
    address: str  # host:port
    node_id: str


def scrape_config(targets: Sequence[ScrapeTarget]) -> str:
    """Prometheus `scrape_configs` YAML: one job per role, every target scraped each second."""
    jobs: dict[str, list[dict[str, object]]] = {}
    for t in targets:
        jobs.setdefault(t.role, []).append(
            {"targets": [t.address], "labels": {"role": t.role, "node_id": t.node_id}}
        )
    doc = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": SCRAPE_INTERVAL},
        "scrape_configs": [
            {"job_name": f"sender-{role}", "metrics_path": "/metrics", "static_configs": static}
            for role, static in sorted(jobs.items())
        ],
    }
    return str(yaml.safe_dump(doc, sort_keys=False))


Sample = tuple[dict[str, str], float]


class VictoriaMetrics(ChildServer):
    """`victoria-metrics` on its own address, its scrape config rewritten on demand."""

    def __init__(self, root: Path, host: str = "127.0.0.6") -> None:
        super().__init__(root, host, "victoria-metrics")
        self.url = f"http://{host}:{self.port}"
        self.config_path = root / "scrape.yml"

    @staticmethod
    def executable() -> str | None:
        return shutil.which("victoria-metrics")

    def write_config(self, targets: Sequence[ScrapeTarget]) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(scrape_config(targets))
        tmp.replace(self.config_path)

    def start(self, targets: Sequence[ScrapeTarget], timeout: float = 30) -> None:
        exe = self.executable()
        if exe is None:
            raise RuntimeError("victoria-metrics is not installed (scripts/install-system-deps)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config(targets)
        argv = [
            exe,
            f"-httpListenAddr={self.host}:{self.port}",
            f"-storageDataPath={self.root / 'data'}",
            f"-promscrape.config={self.config_path}",
            "-promscrape.configCheckInterval=1s",
            "-search.latencyOffset=0s",
            "-search.disableCache",
            f"-dedup.minScrapeInterval={SCRAPE_INTERVAL}",
            "-retentionPeriod=1d",
            "-loggerLevel=WARN",
        ]
        self.spawn(argv)
        wait_for(self._healthy, timeout, "victoria-metrics healthy")

    def _healthy(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            raise AssertionError(f"victoria-metrics exited:\n{self.log()[-2000:]}")
        return httpx.get(f"{self.url}/health", timeout=2).text.strip() == "OK"

    def stop(self, timeout: float = 15) -> None:
        super().stop(timeout)

    # -- queries -----------------------------------------------------------------------------

    def query(self, promql: str) -> list[Sample]:
        """An instant query at "now": (labels, value) for every series of the vector result."""
        # Scraped samples become searchable only after a periodic flush (seconds); the test
        # endpoint below makes them searchable at once, so a wait is bounded by the scrape.
        httpx.get(f"{self.url}/internal/force_flush", timeout=5).raise_for_status()
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        r.raise_for_status()
        data = r.json()
        if data.get("status") != "success":
            raise ValueError(f"query {promql!r} failed: {data}")
        result = data["data"]
        if result["resultType"] == "scalar":
            return [({}, float(result["result"][1]))]
        return [(s["metric"], float(s["value"][1])) for s in result["result"]]

    def value(self, promql: str) -> float | None:
        """The single value of `promql` (None when it has no series)."""
        samples = self.query(promql)
        if not samples:
            return None
        if len(samples) > 1:
            raise ValueError(f"{promql!r} returned {len(samples)} series")
        return samples[0][1]

    def wait_value(
        self,
        promql: str,
        expected: float | Callable[[float | None], bool],
        timeout: float = 30,
    ) -> float | None:
        """Poll `promql` until its value equals `expected` (or satisfies it); returns it."""
        check = expected if callable(expected) else (lambda v: v == expected)
        seen: list[float | None] = []

        def _match() -> tuple[float | None] | None:
            v = self.value(promql)
            seen.append(v)
            return (v,) if check(v) else None

        try:
            found = wait_for(_match, timeout, f"{promql} to match", interval=0.25)
            assert found is not None
            return found[0]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last values {seen[-5:]}") from None

    def hold_value(self, promql: str, expected: float, seconds: float) -> None:
        """Assert `promql` keeps the value `expected` for `seconds` (checked every 0.25 s)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            v = self.value(promql)
            assert v == expected, f"{promql} = {v}, expected {expected}"
            time.sleep(0.25)
