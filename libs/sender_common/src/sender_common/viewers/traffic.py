"""HLS requests and bytes sent to viewers, counted as plain integers and exported at scrape.

Every part, segment and playlist answered adds to these, so their counting is on the serving
path of every request: one dictionary lookup and two integer additions, where a Prometheus
`Counter` takes a lock and a few calls per increment. The registry reads the sums when it is
scraped: `sender_{role}_hls_requests_total{endpoint,kind}` and
`sender_{role}_hls_bytes_total{endpoint}`, endpoints capped as every viewer label is.
"""

from __future__ import annotations

__all__ = ["HlsTraffic", "Tally"]

import time
from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from sender_common.viewers.labels import LabelCap

LOOKUPS = 4096  # (endpoint, kind) pairs kept looked up; the tallies themselves stay


class Tally:
    """Requests and bytes of one (capped endpoint, kind), since `created`."""

    __slots__ = ("created", "nbytes", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.nbytes = 0
        self.created = time.time()


class HlsTraffic(Collector):
    """The two HLS traffic counters of a node's viewers (see the module doc)."""

    def __init__(self, role: str, cap: LabelCap) -> None:
        self.requests_name = f"sender_{role}_hls_requests"
        self.bytes_name = f"sender_{role}_hls_bytes"
        self.cap = cap
        self._tallies: dict[tuple[str, str], Tally] = {}  # by (label, kind)
        self._lookup: dict[tuple[str, str], Tally] = {}  # by (endpoint, kind)

    def tally(self, endpoint: str, kind: str) -> Tally:
        """Where one request of `kind` to `endpoint` is added (requests += 1, nbytes += sent)."""
        found = self._lookup.get((endpoint, kind))
        if found is None:
            key = (self.cap(endpoint), kind)
            found = self._tallies.get(key)
            if found is None:
                found = self._tallies[key] = Tally()
            if len(self._lookup) >= LOOKUPS:
                self._lookup.clear()
            self._lookup[endpoint, kind] = found
        return found

    def describe(self) -> Iterable[CounterMetricFamily]:
        yield CounterMetricFamily(
            self.requests_name, "HLS requests from viewers", labels=["endpoint", "kind"]
        )
        yield CounterMetricFamily(self.bytes_name, "HLS bytes sent to viewers", labels=["endpoint"])

    def collect(self) -> Iterable[CounterMetricFamily]:
        requests = CounterMetricFamily(
            self.requests_name, "HLS requests from viewers", labels=["endpoint", "kind"]
        )
        sent = CounterMetricFamily(
            self.bytes_name, "HLS bytes sent to viewers", labels=["endpoint"]
        )
        by_label: dict[str, tuple[int, float]] = {}
        for (label, kind), tally in sorted(self._tallies.items()):
            requests.add_metric([label, kind], tally.requests, created=tally.created)
            total, created = by_label.get(label, (0, tally.created))  # errors send no bytes
            by_label[label] = (total + tally.nbytes, min(created, tally.created))
        for label, (total, created) in by_label.items():
            sent.add_metric([label], total, created=created)
        yield requests
        yield sent
