"""HTTP commands without a running node, and the client's error handling."""

from __future__ import annotations

import httpx
import pytest
import typer
from typer.testing import CliRunner

from sender_cli.client import ApiClient, ApiError, ServiceUnreachable
from sender_cli.commands.endpoints import parse_ladder
from sender_cli.main import app
from tests.procs import free_port

runner = CliRunner()


@pytest.mark.parametrize(
    ("argv", "role", "flag"),
    [
        (["endpoints", "list"], "origin", "--origin"),
        (["streams", "status", "demo"], "origin", "--origin"),
        (["edge", "status"], "edge", "--edge"),
    ],
)
def test_service_not_running_is_one_line_exit_2(argv: list[str], role: str, flag: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, [*argv, flag, url])
    assert result.exit_code == 2
    assert f"{role} not reachable at {url}: is `sender up` running?" in result.output
    assert "Traceback" not in result.output


def _client(status: int, body: object) -> ApiClient:
    transport = httpx.MockTransport(lambda _req: httpx.Response(status, json=body))
    return ApiClient("origin", "http://origin.test", transport=transport)


def test_api_error_carries_the_detail() -> None:
    with _client(409, {"detail": "endpoint 'x' already exists"}) as c, pytest.raises(ApiError) as e:
        c.post("/api/v1/endpoints", {"slug": "x"})
    assert e.value.status_code == 409
    assert str(e.value) == "409: endpoint 'x' already exists"


def test_validation_errors_are_one_line() -> None:
    body = {"detail": [{"loc": ["body", "slug"], "msg": "String should match pattern"}]}
    with _client(422, body) as c, pytest.raises(ApiError) as e:
        c.post("/api/v1/endpoints", {"slug": "X"})
    assert e.value.detail == "slug: String should match pattern"


def test_unreachable_is_its_own_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = ApiClient("edge", "http://edge.test", transport=httpx.MockTransport(refuse))
    with client, pytest.raises(ServiceUnreachable) as e:
        client.get("/api/v1/edge/sessions")
    assert e.value.exit_code == 2


def test_parse_ladder() -> None:
    assert parse_ladder("src, 720p:720,360") == [
        {"name": "src"},
        {"name": "720p", "height": 720},
        {"name": "360p", "height": 360},
    ]
    with pytest.raises(typer.BadParameter):
        parse_ladder("hd:tall")


def test_bad_slug_is_refused_before_any_request() -> None:
    result = runner.invoke(
        app, ["endpoints", "create", "Bad_Slug", "--origin", "http://127.0.0.1:1"]
    )
    assert result.exit_code == 2
    assert "not reachable" not in result.output
