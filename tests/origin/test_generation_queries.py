"""Listing generations asks the database a fixed number of questions, however many there are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from sender_common.database.engine import create_db_engine, init_schema
from sender_common.models import EndpointCreate, RenditionSpec
from sender_common.settings import CommonSettings
from sender_origin.database import endpoints, generations

LADDER = [RenditionSpec(name="src"), RenditionSpec(name="360p", height=360)]


def test_listing_generations_is_one_query_for_every_rendition(tmp_path: Path) -> None:
    engine = create_db_engine(CommonSettings(data_dir=tmp_path))
    init_schema(engine)
    with Session(engine) as s:
        endpoints.create_endpoint(s, data=EndpointCreate(slug="many"), publish_base="rtmp://x")
        eid = endpoints.endpoint_id(s, slug="many")
        for _ in range(12):
            generations.open_generation(s, endpoint_id=eid, renditions=LADDER)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    with Session(engine) as s:
        listed = generations.list_generations(s, endpoint_id=eid, limit=1000)
        kept = generations.kept_generations_of(s, endpoint_id=eid)
    assert [g.number for g in listed] == list(range(12, 0, -1))
    assert all(g.renditions == ["src", "360p"] for g in listed)
    assert [names for _, names in kept] == [["src", "360p"]] * 12
    assert len(statements) == 4  # two listings, each: generations, then their renditions
    with Session(engine) as s:
        gen = generations.kept_generation(s, endpoint_id=eid, number=7)
        assert gen is not None and gen.number == 7
        assert gen.id is not None
        generations.mark_spool_removed(s, generation_id=gen.id)
        assert generations.kept_generation(s, endpoint_id=eid, number=7) is None
