"""A role running as a child process: own process group, death signal, log file."""

from __future__ import annotations

from sender_cli.client import SenderCliError

__all__ = ["RoleProcess", "RoleStartError", "wait_all_ready"]

import asyncio
import contextlib
import functools
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sender_cli.local.roles import RoleSpec, UpConfig
from sender_common.process.pdeathsig import child_setup

log = logging.getLogger(__name__)
READY_TIMEOUT = httpx.Timeout(2.0)


class RoleStartError(SenderCliError):
    """A role exited or never became ready; the message carries its last log lines."""


class RoleProcess:
    """One role started with `uvicorn --factory`, its output kept in `<data-dir>/<role>/`."""

    def __init__(self, spec: RoleSpec, config: UpConfig) -> None:
        self.spec = spec
        self.config = config
        self.url = config.url(spec.port)
        self.log_path: Path = config.data_dir / spec.name / f"{spec.name}.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.spec.env}
        argv = self.spec.argv(self.config.host, self.config.child_log_level)
        log.info("starting %s: %s", self.name, " ".join(argv))
        with self.log_path.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=functools.partial(child_setup, os.getpid()),
            )

    def tail(self, n: int = 15) -> list[str]:
        """The last lines the role wrote."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return lines[-n:]

    def failure(self, what: str) -> RoleStartError:
        lines = "\n".join(f"  | {line}" for line in self.tail()) or "  | (no output)"
        return RoleStartError(f"{self.name} {what}; last lines of {self.log_path}:\n{lines}")

    async def ready(self, client: httpx.AsyncClient) -> bool:
        """One readiness probe; raises when the process has already exited."""
        if self.process is None or self.process.returncode is not None:
            code = self.process.returncode if self.process else None
            raise self.failure(f"exited with status {code} before it was ready")
        try:
            response = await client.get(f"{self.url}/readyz", timeout=READY_TIMEOUT)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def stop(self, timeout: float) -> None:
        """SIGTERM to the role's group, SIGKILL after `timeout`, then reap."""
        proc = self.process
        if proc is None:
            return
        if proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                log.warning("%s did not stop within %.0fs: killing it", self.name, timeout)
        _signal_group(proc.pid, signal.SIGKILL)  # anything the role left in its group
        with contextlib.suppress(ProcessLookupError):
            await proc.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def wait_all_ready(
    roles: list[RoleProcess],
    *,
    timeout: float,
    stop: asyncio.Event,
    on_ready: Callable[[RoleProcess], None],
) -> bool:
    """Poll every role's /readyz until all answer 200; False when `stop` was set first."""
    deadline = time.monotonic() + timeout
    pending = list(roles)
    async with httpx.AsyncClient() as client:
        while pending:
            if stop.is_set():
                return False
            for role in list(pending):
                if await role.ready(client):
                    pending.remove(role)
                    on_ready(role)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise pending[0].failure(f"was not ready within {timeout:.0f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
    return True
