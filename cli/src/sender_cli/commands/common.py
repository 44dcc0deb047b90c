"""Options shared by the HTTP commands, and the one place errors become exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from sender_cli.client import ApiClient, SenderCliError
from sender_cli.output import err_console, print_json

DEFAULT_ORIGIN = "http://127.0.0.1:8080"
DEFAULT_EDGE = "http://127.0.0.1:8081"

OriginOpt = Annotated[
    str, typer.Option("--origin", help="Base URL of the origin's HTTP API.", show_default=True)
]
EdgeOpt = Annotated[
    str, typer.Option("--edge", help="Base URL of the edge's HTTP API.", show_default=True)
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="SENDER_API_TOKEN", help="Bearer token for the management API."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")]
SlugOrAllArg = Annotated[
    str | None, typer.Argument(help="One endpoint; all sessions when omitted.")
]


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn client errors into one line on stderr and an exit code."""
    try:
        yield
    except SenderCliError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from exc


@dataclass(frozen=True, slots=True)
class Node:
    """A running node's API as the command line addresses it."""

    role: str
    url: str
    token: str | None
    as_json: bool

    def call(
        self,
        method: Literal["get", "post"],
        path: str,
        show: Callable[[Any], None],
        body: object = None,
    ) -> None:
        """`method path`; print the answer as JSON or through `show`."""
        with cli_errors(), ApiClient(self.role, self.url, token=self.token) as client:
            data = client.get(path) if method == "get" else client.post(path, body)
        if self.as_json:
            print_json(data)
        else:
            show(data)

    def one_or_all(
        self,
        collection: str,
        slug: str | None,
        show_one: Callable[[Any], None],
        show_all: Callable[[Any], None],
    ) -> None:
        """`GET {collection}/{slug}`, or the whole collection when no slug is given."""
        if slug:
            self.call("get", f"{collection}/{slug}", show_one)
        else:
            self.call("get", collection, show_all)
