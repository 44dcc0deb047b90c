"""SENDER_DATABASE_URL: SQLite or PostgreSQL, refused at start otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sender_common.settings import CommonSettings


def _settings(tmp_path: Path, url: str | None) -> CommonSettings:
    return CommonSettings(data_dir=tmp_path, database_url=url)


def test_default_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert _settings(tmp_path, None).effective_database_url() == f"sqlite:///{tmp_path}/sender.db"


@pytest.mark.parametrize(
    ("url", "effective"),
    [
        ("postgresql://u:p@db/sender", "postgresql+psycopg://u:p@db/sender"),
        ("postgres://u:p@db/sender", "postgresql+psycopg://u:p@db/sender"),
        ("postgresql+psycopg://u:p@db/sender", "postgresql+psycopg://u:p@db/sender"),
        ("sqlite:////var/lib/sender.db", "sqlite:////var/lib/sender.db"),
    ],
)
def test_postgresql_goes_through_psycopg(tmp_path: Path, url: str, effective: str) -> None:
    assert _settings(tmp_path, url).effective_database_url() == effective


@pytest.mark.parametrize("url", ["mysql://u:p@db/sender", "oracle://db", "not a url"])
def test_other_databases_are_refused_at_start(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValidationError, match="SQLite or PostgreSQL"):
        _settings(tmp_path, url)
