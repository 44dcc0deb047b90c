"""How commands print: rich tables for people, raw JSON with `--json`."""

from __future__ import annotations

__all__ = ["console", "err_console", "print_json", "print_record", "print_rows"]

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(data: object) -> None:
    """Raw JSON on stdout, no markup, so scripts can parse it."""
    console.out(json.dumps(data, indent=2, default=str), highlight=False)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


def print_rows(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A table with one row per record and the given columns."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    if not rows:
        console.print(f"{title}: none")
        return
    console.print(table)


def print_record(title: str, record: dict[str, Any]) -> None:
    """A two-column table of one record's fields."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in record.items():
        table.add_row(key, _cell(value))
    console.print(table)
