"""Generation history of an endpoint."""

from __future__ import annotations

from sqlmodel import Session, col, select

from sender_common.models import Generation, GenerationPublic, Rendition
from sender_origin.endpoints_service import get_endpoint


def list_generations(session: Session, *, slug: str, limit: int) -> list[GenerationPublic]:
    endpoint = get_endpoint(session, slug=slug)
    gens = session.exec(
        select(Generation)
        .where(Generation.endpoint_id == endpoint.id)
        .order_by(col(Generation.number).desc())
        .limit(limit)
    ).all()
    out = []
    for gen in gens:
        names = session.exec(select(Rendition.name).where(Rendition.generation_id == gen.id)).all()
        out.append(
            GenerationPublic(
                number=gen.number,
                state=gen.state,
                delivery=gen.delivery,
                started_at=gen.started_at,
                stopped_at=gen.stopped_at,
                renditions=list(names),
            )
        )
    return out
