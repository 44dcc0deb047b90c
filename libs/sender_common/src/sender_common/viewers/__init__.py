"""Viewer counting on a node: attribution, sessions, player events, reporting to metrics.

`Viewers` is the one object a role builds; it wires itself in through `observe` (the HLS
app's observer), `router()` (player events) and `children()` (the lifespan's workers).
Without `SENDER_METRICS_URL` the node counts itself (`sender_<role>_active_viewers`); with it,
the node also sends signed batches to the metrics role on the bulk lane, control messages
(`send_control`) on the control lane, and one final batch when it stops. Its knobs are the
`ViewerSettings` fields of the role's settings, read with them once.
"""

from __future__ import annotations

__all__ = ["Attributor", "RequestInfo", "ViewerTracker", "Viewers"]

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from sender_common.children import Child, Periodic
from sender_common.errors import NotFoundError
from sender_common.hls.serve.app import HlsHit
from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.viewers.attribution import Attributor, RequestInfo
from sender_common.viewers.events import PlayerEvent, RateLimiter, events_router
from sender_common.viewers.labels import LabelCap
from sender_common.viewers.lanes import (
    Deliver,
    Envelope,
    Lane,
    LaneLimits,
    Lanes,
    RetryableDelivery,
    http_deliver,
)
from sender_common.viewers.node_metrics import NodeViewerMetrics
from sender_common.viewers.reporter import Reporter
from sender_common.viewers.tracker import ViewerTracker, client_key, vsid_key

if TYPE_CHECKING:
    import httpx

HTTP_TIMEOUT_SECONDS, HTTP_CONNECT_SECONDS = 10.0, 3.0
log = logging.getLogger(__name__)


class Viewers:
    """Counts this node's viewers and, with a metrics URL, reports them."""

    def __init__(
        self,
        settings: CommonSettings,
        role: str,
        registry: CollectorRegistry,
        identity: NodeIdentity,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        known_endpoint: Callable[[str], bool] | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.attributor = Attributor(
            settings.trusted_proxies, count_localhost=settings.count_localhost
        )
        self.tracker = ViewerTracker(
            settings.idle_seconds, max_per_client=settings.viewer_max_per_client, clock=clock
        )
        self.known_endpoint = known_endpoint
        self.limiter = RateLimiter(settings.viewer_events_rate, settings.viewer_events_burst)
        self.cap = LabelCap(settings.viewer_label_limit)
        self.metrics = NodeViewerMetrics(registry, role, self.tracker.counts, self.cap)
        self.traffic = self.metrics.traffic
        self.sweeper = Periodic("viewers-sweep", 1.0, self.sweep)
        self._transport = transport
        self.client: httpx.AsyncClient | None = None
        self._post: Deliver | None = None
        self.lanes: Lanes | None = None
        self.reporter: Reporter | None = None
        self.report = Periodic("viewers-report", settings.viewer_report_seconds, self._tick)
        if settings.metrics_url:
            self.lanes = Lanes(
                self._deliver,
                limits={
                    Lane.bulk: LaneLimits(
                        settings.viewer_bulk_max_batches, settings.viewer_bulk_max_bytes
                    )
                },
                max_backoff=settings.viewer_retry_max_seconds,
                on_drop=self._dropped,
            )
            lanes = self.lanes
            self.metrics.bulk_pending.set_function(lambda: lanes.pending(Lane.bulk))
            self.reporter = Reporter(
                self.tracker, identity, role, self.lanes, token=settings.metrics_ingest_token
            )

    # -- the hooks -------------------------------------------------------------------------

    def observe(self, hit: HlsHit) -> None:
        """The HLS app's observer: count requests and keep playlist-fetching viewers alive."""
        if not hit.is_playlist and hit.status < 400:  # parts and segments: no viewer to touch
            self.count_media(
                hit.endpoint, hit.scope.get("client"), hit.scope.get("headers", ()), hit.nbytes
            )
            return
        info = self.attributor.from_scope(hit.scope, hit.vsid)
        if not self.attributor.counts(info):
            return
        kind = "error" if hit.status >= 400 else "playlist" if hit.is_playlist else "segment"
        tally = self.traffic.tally(hit.endpoint, kind)
        tally.requests += 1
        if kind == "error":
            return
        tally.nbytes += hit.nbytes
        self.tracker.count_request(hit.endpoint, hit.nbytes)
        if hit.is_playlist:
            self._touch(hit.endpoint, info)

    def count_media(
        self,
        endpoint: str,
        client: tuple[str, int] | None,
        headers: Iterable[tuple[bytes, bytes]],
        nbytes: int,
    ) -> None:
        """A part or segment answered to `client` (the HLS app's media counter, `observe`
        without an `HlsHit`): counted, with no viewer to touch."""
        if self.attributor.counts_peer(client, headers):
            tally = self.traffic.tally(endpoint, "segment")
            tally.requests += 1
            tally.nbytes += nbytes
            self.tracker.count_request(endpoint, nbytes)

    def router(self) -> APIRouter:
        """`POST /sender/api/v1/events`."""
        return events_router(
            self.attributor, self.limiter, self.on_event, self.metrics.events_limited.inc
        )

    def children(self) -> list[Child]:
        """The sweeper, then `delivery_children()`, then the reporter: all, in start order."""
        sweep, *report = self.worker_children()
        return [sweep, *self.delivery_children(), *report]

    def delivery_children(self) -> list[Child]:
        """With a metrics URL, the HTTP client and lanes. A role whose other children send
        control messages while stopping lists these before them, so they stop after."""
        if self.lanes is None:
            return []
        client = Child("viewers-client", self._open_client, self._close_client)
        return [client, *self.lanes.children()]

    def worker_children(self) -> list[Child]:
        """The expiry sweeper; with a metrics URL also the reporter, which sends a final
        batch when it stops."""
        out = [self.sweeper.child()]
        if self.reporter is not None:
            out.append(Child("viewers-report", self.report.start, self._stop_report))
        return out

    def send_control(self, resource: str, payload: Mapping[str, Any]) -> None:
        """Queue a signed control message for the metrics role; a no-op without a metrics URL."""
        if self.reporter is not None:
            self.reporter.control(resource, payload)

    def touch_session(self, endpoint: str, key: str, client_ip: str) -> None:
        """Keep a viewer that fetches no playlists alive (a WebRTC session, `key` its id)."""
        try:
            local = ipaddress.ip_address(client_ip).is_loopback
        except ValueError:
            local = False
        if (self.settings.count_localhost or not local) and self.tracker.touch(endpoint, key):
            self.metrics.sessions_started.labels(self.cap(endpoint)).inc()

    def end_session(self, endpoint: str, key: str) -> None:
        """That viewer left."""
        self.tracker.end(endpoint, key)

    def active(self, endpoint: str) -> int:
        """Viewers of `endpoint` this node sees right now."""
        return self.tracker.active(endpoint)

    # -- internals -------------------------------------------------------------------------

    def on_event(self, event: PlayerEvent, info: RequestInfo) -> None:
        """Apply one accepted player event. Events keep a viewer alive; they open a session
        only for an endpoint this node serves (playlist fetches open them otherwise)."""
        key = vsid_key(event.vsid)
        if (
            self.known_endpoint is not None
            and not self.tracker.has(event.endpoint, key)
            and not self.known_endpoint(event.endpoint)
        ):
            raise NotFoundError(f"no stream {event.endpoint!r} on this node")
        self.metrics.events.labels(event.type).inc()
        if not self.attributor.counts(info):
            return
        if event.type == "ended":
            self.tracker.end(event.endpoint, key)
            return
        if event.type == "heartbeat":
            self.tracker.count_heartbeat(event.endpoint)
            self.metrics.heartbeats.labels(self.cap(event.endpoint)).inc()
        if event.type != "error":
            self._touch(event.endpoint, info)

    def _touch(self, endpoint: str, info: RequestInfo) -> None:
        ip_key = client_key(info.client_ip, self.settings.viewer_salt)
        if info.vsid is not None:
            new = self.tracker.touch(endpoint, vsid_key(info.vsid), via=ip_key)
        else:
            new = self.tracker.touch(endpoint, ip_key)
        if new:
            self.metrics.sessions_started.labels(self.cap(endpoint)).inc()

    def sweep(self) -> None:
        self.tracker.sweep()
        self.limiter.prune()

    def _tick(self) -> None:
        assert self.reporter is not None
        self.reporter.tick()

    async def _stop_report(self) -> None:
        await self.report.stop()
        assert self.reporter is not None
        timeout = self.settings.viewer_final_flush_seconds
        if not await self.reporter.final(timeout):
            log.warning("viewer batches still queued after %.1fs at shutdown", timeout)

    def _dropped(self, lane: Lane, n: int) -> None:
        if lane is Lane.bulk:
            self.metrics.bulk_dropped.inc(n)

    async def _open_client(self) -> None:
        assert self.settings.metrics_url is not None
        assert self.reporter is not None
        # the key signs every batch: read now, off the event loop, not with the first batch
        await asyncio.to_thread(self.reporter.identity.load)
        import httpx  # with the client only: a node without a metrics URL runs without it

        self.client = httpx.AsyncClient(
            base_url=self.settings.metrics_url.rstrip("/"),
            timeout=httpx.Timeout(HTTP_TIMEOUT_SECONDS, connect=HTTP_CONNECT_SECONDS),
            transport=self._transport,
        )
        self._post = http_deliver(self.client)

    async def _close_client(self) -> None:
        if self.client is not None:
            self._post = None
            await self.client.aclose()
            self.client = None

    async def _deliver(self, env: Envelope) -> None:
        if self._post is None:
            raise RetryableDelivery("the metrics client is not open yet")
        await self._post(env)
        self.metrics.batches_sent.inc()
