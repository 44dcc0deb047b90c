"""The endpoints this origin has looked up: their runtimes by slug, read from the database,
and recent misses so an unknown name costs no query per request."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from sender_common.errors import NotFoundError
from sender_common.models import Endpoint
from sender_common.recent import RecentMisses
from sender_origin.database import endpoints, generations, in_session, media_sessions
from sender_origin.streams.runtime import EndpointRuntime, apply_endpoint, renditions_of

MISS_SECONDS = 2.0


class RuntimeLookup:
    """The `EndpointRuntime` of every endpoint looked up so far."""

    def __init__(self, engine: Engine, default_dvr_seconds: int) -> None:
        self.engine = engine
        self.default_dvr_seconds = default_dvr_seconds
        self._rt: dict[str, EndpointRuntime] = {}
        self._unknown = RecentMisses(ttl=MISS_SECONDS)

    def __contains__(self, slug: str) -> bool:
        return slug in self._rt

    def get(self, slug: str) -> EndpointRuntime | None:
        return self._rt.get(slug)

    def all(self) -> list[EndpointRuntime]:
        return list(self._rt.values())

    def pop(self, slug: str) -> EndpointRuntime | None:
        return self._rt.pop(slug, None)

    def created(self, slug: str) -> None:
        """Forget a recent miss, so a new endpoint is found at once."""
        self._unknown.discard(slug)

    async def load(self, slug: str) -> EndpointRuntime:
        """The endpoint's runtime with its current settings; NotFoundError for an unknown slug.
        A new runtime takes the stored start/stop and the latest generation."""
        endpoint = await in_session(self.engine, endpoints.get_endpoint, slug=slug)
        assert endpoint.id is not None
        rt = self._rt.get(slug)
        if rt is None or rt.endpoint_id != endpoint.id:
            rt = EndpointRuntime(slug, endpoint.id, renditions_of(endpoint))
            rt.desired, rt.generation = await in_session(self.engine, _stored, endpoint=endpoint)
            self._rt[slug] = rt
        else:
            rt.renditions = renditions_of(endpoint)
        apply_endpoint(rt, endpoint, self.default_dvr_seconds)
        return rt

    def known_unknown(self, slug: str) -> bool:
        """A recent miss: no endpoint of that name (no database lookup needed)."""
        return slug in self._unknown and slug not in self._rt

    async def find(self, slug: str) -> EndpointRuntime | None:
        """The known runtime, else loaded; None for an unknown endpoint (remembered a while)."""
        rt = self._rt.get(slug)
        if rt is not None or slug in self._unknown:
            return rt
        try:
            return await self.load(slug)
        except NotFoundError:
            self._unknown.add(slug)
            return None

    def by_key(self, key: str) -> tuple[Endpoint | None, bool, bool]:
        """(endpoint, live, desired) of the endpoint owning `key`, read synchronously (an
        ingest's handshake waits on it)."""
        with Session(self.engine) as session:
            endpoint = endpoints.find_by_key(session, key=key)
            if endpoint is None or endpoint.id is None:
                return None, False, False
            rt = self._rt.get(endpoint.slug)
            if rt is not None and rt.endpoint_id == endpoint.id:
                return endpoint, rt.publish is not None, rt.desired
            return endpoint, False, media_sessions.desired(session, endpoint=endpoint)


def _stored(session: Session, *, endpoint: Endpoint) -> tuple[bool, int | None]:
    """(desired, latest generation number) as the database has them."""
    assert endpoint.id is not None
    latest = generations.latest_generation(session, endpoint_id=endpoint.id)
    return media_sessions.desired(session, endpoint=endpoint), latest.number if latest else None
