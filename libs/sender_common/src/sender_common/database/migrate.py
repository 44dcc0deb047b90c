"""Additive schema migration at startup: create missing tables, add missing columns.

Sender's schema only grows (new tables, new nullable or defaulted columns), so an older
database is brought up to date in place; nothing is dropped or rewritten.
"""

from __future__ import annotations

__all__ = ["add_missing_columns"]

import logging

from sqlalchemy import Column, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import MetaData

log = logging.getLogger(__name__)


def _default_sql(column: Column[object]) -> str | None:
    default = column.default
    value = getattr(default, "arg", None) if default is not None else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def add_missing_columns(engine: Engine, metadata: MetaData) -> list[str]:
    """ALTER TABLE ... ADD COLUMN for every model column the database lacks."""
    inspector = inspect(engine)
    added: list[str] = []
    existing_tables = set(inspector.get_table_names())
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name not in existing_tables:
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                ddl = column.type.compile(dialect=engine.dialect)
                default = _default_sql(column)
                clause = f" NOT NULL DEFAULT {default}" if default is not None else ""
                conn.execute(
                    text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {ddl}{clause}')
                )
                added.append(f"{table.name}.{column.name}")
    for name in added:
        log.info("schema: added column %s", name)
    return added
