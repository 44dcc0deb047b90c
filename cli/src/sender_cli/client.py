"""A small synchronous client for the management API of a running node.

SenderCliError
├── ServiceUnreachable   the node is not running (exit 2)
└── ApiError             the node answered with an error status (exit 1)
"""

from __future__ import annotations

from sender_common.errors import SenderError

__all__ = ["ApiClient", "ApiError", "SenderCliError", "ServiceUnreachable", "format_detail"]

from types import TracebackType
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class SenderCliError(SenderError):
    """An error the CLI reports as one line and an exit code."""

    exit_code = 1


class ServiceUnreachable(SenderCliError):
    exit_code = 2


class ApiError(SenderCliError):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


def format_detail(body: object) -> str:
    """The `detail` of an error body as one line (422 bodies carry a list of problems)."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


class ApiClient:
    """Calls one role's HTTP API; transport and HTTP errors become `SenderCliError`s."""

    def __init__(
        self,
        role: str,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.role = role
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: object = None) -> Any:
        """Send a request; the decoded JSON answer (None for an empty body)."""
        try:
            response = self._http.request(method, path, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ServiceUnreachable(
                f"{self.role} not reachable at {self.base_url}: is `sender up` running?"
            ) from exc
        except httpx.HTTPError as exc:
            raise SenderCliError(f"{self.role} at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = format_detail(response.json())
            except ValueError:
                detail = response.text.strip() or response.reason_phrase
            raise ApiError(response.status_code, detail)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, json: object = None) -> Any:
        return self.request("POST", path, json=json)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)
