"""How a role process is started: uvicorn's command line, one for `sender up` and the tests
(the images' CMDs spell out the same flags)."""

from __future__ import annotations

__all__ = ["GRACEFUL_SHUTDOWN_SECONDS", "uvicorn_argv"]

import sys

from sender_common.hls import HTTP_PROTOCOL

# After SIGTERM, requests still running this long are cancelled and the role goes on to stop.
# Waiting LL-HLS blocking reloads and hinted parts do not count: the HLS protocol answers them
# at once with what there is. This bounds the rest (an API call, an on-demand start, an
# upstream fetch), so that a role stops within 2 s.
GRACEFUL_SHUTDOWN_SECONDS = 1


def uvicorn_argv(
    role: str, host: str, port: int, log_level: str, *, access_log: bool = True
) -> list[str]:
    """`python -m uvicorn --factory sender_<role>.main:create_app ...` for this interpreter."""
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"sender_{role}.main:create_app",
        "--http",
        HTTP_PROTOCOL,
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--timeout-graceful-shutdown",
        str(GRACEFUL_SHUTDOWN_SECONDS),
        # no role serves WebSockets (the protocol refuses every upgrade): uvicorn then does not
        # load the websockets library (~2 MB of an idle role)
        "--ws",
        "none",
    ]
    return argv if access_log else [*argv, "--no-access-log"]
