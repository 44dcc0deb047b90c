"""The edge's running mirror workers (memory): at most one per endpoint, with their clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.mirror.follow.context import MirrorContext, Timing
from sender_edge.mirror.follow.worker import MirrorWorker
from sender_edge.mirror.sessions.models import SessionOptions
from sender_edge.mirror.upstream.fetch import make_client
from sender_edge.mirror.upstream.policy import UpstreamPolicy
from sender_edge.settings import EdgeSettings

log = logging.getLogger(__name__)


class RunningMirrors:
    """Starts and stops mirror workers, one per endpoint; owns the upstream clients."""

    def __init__(
        self,
        settings: EdgeSettings,
        *,
        cache: SpoolCache,
        metrics: EdgeMetrics,
        parts: PartStore,
        policy: UpstreamPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.timing = Timing.of(settings)
        self._metrics = metrics
        self._context = MirrorContext(
            cache,
            settings.spool_dir,
            self.timing,
            metrics,
            asyncio.Semaphore(settings.fetch_concurrency),
            parts,
        )
        self._policy = policy
        self._transport = transport
        self._clients: dict[bool, httpx.AsyncClient] = {}  # by TLS verification
        self._workers: dict[str, MirrorWorker] = {}

    @property
    def context(self) -> MirrorContext:
        """What every worker of this edge shares (also the DVR pull-through)."""
        return self._context

    def __contains__(self, slug: str) -> bool:
        return slug in self._workers

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._workers))

    def __len__(self) -> int:
        return len(self._workers)

    def get(self, slug: str) -> MirrorWorker | None:
        return self._workers.get(slug)

    def client(self, *, verify: bool = True) -> httpx.AsyncClient:
        return self._clients[verify]

    def lags(self) -> dict[str, float]:
        """Each running mirror's seconds since its last progress (those that made any)."""
        out = {slug: w.lag_seconds() for slug, w in self._workers.items()}
        return {slug: lag for slug, lag in out.items() if lag is not None}

    def open(self) -> None:
        for verify in (True, False):
            self._clients[verify] = make_client(
                verify=verify,
                timeout=self.settings.upstream_timeout,
                transport=self._transport,
                bind=self.settings.upstream_bind,
                policy=self._policy,
            )

    async def close(self) -> None:
        await asyncio.gather(*(w.stop() for w in self._workers.values()))
        self._workers.clear()
        self._metrics.sessions.set(0)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def ensure(self, slug: str, options: SessionOptions) -> MirrorWorker:
        """The worker of `slug` with these options, started when there is none."""
        worker = self._workers.get(slug)
        if worker is not None and worker.options == options:
            return worker
        if worker is not None:
            raise RuntimeError("options changed: stop the old worker first")
        client = self._clients[options.verify_tls]
        worker = MirrorWorker(slug, options, client=client, context=self._context)
        self._workers[slug] = worker
        worker.start()
        self._metrics.sessions.set(len(self._workers))
        log.info("%s: mirroring %s", slug, options.upstream_url)
        return worker

    async def stop(self, slug: str) -> None:
        worker = self._workers.pop(slug, None)
        if worker is not None:
            await worker.stop()
            self._metrics.sessions.set(len(self._workers))
            log.info("%s: mirror stopped", slug)

    async def sweep(self) -> int:
        """Retention: old generations' spool of the running sessions."""
        removed = 0
        for worker in list(self._workers.values()):
            removed += await asyncio.to_thread(worker.sweep)
        return removed
