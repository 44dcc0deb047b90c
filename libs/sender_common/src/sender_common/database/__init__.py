"""The database: engine and schema (`engine`), additive column migrations (`migrate`), and the
database as a role child that comes up in the background (`child`)."""

from __future__ import annotations

__all__ = ["DatabaseChild", "create_db_engine", "database_ready", "init_schema"]

from sender_common.database.child import DatabaseChild
from sender_common.database.engine import create_db_engine, database_ready, init_schema
