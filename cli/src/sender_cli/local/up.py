"""`sender up`: run origin, edge and metrics locally, optionally with a demo stream.

Start order is metrics, origin, edge; stop order is publisher, edge, origin, metrics.
Every role is a child in its own process group with a parent-death signal, so nothing
outlives the CLI even when it is killed.
"""

from __future__ import annotations

__all__ = ["DEMO_SLUG", "PIDS_FILE", "run_up"]

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sender_cli.local.banner import banner
from sender_cli.local.processes import RoleProcess, RoleStartError, wait_all_ready
from sender_cli.local.restarts import RestartBudget
from sender_cli.local.roles import PortBusyError, UpConfig, check_ports, role_available, role_specs
from sender_cli.output import err_console
from sender_cli.publisher import pattern_publisher
from sender_common.auth import require_credentials
from sender_common.errors import SenderError
from sender_common.ffmpeg import resolve_ffmpeg
from sender_common.process import SupervisedProcess
from sender_common.settings import CommonSettings

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
PIDS_FILE = "sender-up.pids"
API_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
OPTIONAL_ROLES = ("metrics", "edge")


class LocalStack:
    """The running roles and the demo publisher of one `sender up`."""

    def __init__(self, config: UpConfig, console: Console, common: CommonSettings) -> None:
        self.config = config
        self.common = common
        self.console = console
        self.skipped = {
            name: f"sender_{name}.main is not installed"
            for name in OPTIONAL_ROLES
            if not role_available(name)
        }
        available = {n for n in OPTIONAL_ROLES if n not in self.skipped}
        self.roles = [RoleProcess(s, config) for s in role_specs(config, available)]
        self.publisher: SupervisedProcess | None = None
        self.endpoint: dict[str, Any] | None = None
        self.stop = asyncio.Event()
        self.restarts = RestartBudget(budget=config.restart_budget, window=config.restart_window)
        self.pids_path = config.data_dir / PIDS_FILE
        token = common.api_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(timeout=API_TIMEOUT, headers=headers)

    def role(self, name: str) -> RoleProcess | None:
        return next((r for r in self.roles if r.name == name), None)

    def urls(self) -> dict[str, str]:
        order = ("origin", "edge", "metrics")
        return {n: r.url for n in order if (r := self.role(n)) is not None}

    def write_pids(self) -> None:
        """Record every child pid (for operators and tests); rewritten on publisher restarts."""
        pids: dict[str, Any] = {
            "cli": os.getpid(),
            "roles": {r.name: r.pid for r in self.roles if r.pid is not None},
            "publisher": self.publisher.pid if self.publisher else None,
        }
        tmp = self.pids_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(pids))
        tmp.replace(self.pids_path)

    async def start_roles(self) -> bool:
        """Start every role and wait for /readyz, with a progress display."""
        for role in self.roles:
            await role.start()
        self.write_pids()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            tasks = {r.name: progress.add_task(f"starting {r.name}", total=1) for r in self.roles}

            def on_ready(role: RoleProcess) -> None:
                desc = f"[green]{role.name}[/green] ready at {role.url}"
                progress.update(tasks[role.name], completed=1, description=desc)

            return await wait_all_ready(
                self.roles, timeout=self.config.ready_timeout, stop=self.stop, on_ready=on_ready
            )

    async def setup_demo(self) -> None:
        """Create (or re-key) the demo endpoint, publish into it, mirror it on the edge."""
        origin = self.urls()["origin"]
        r = await self.http.post(
            f"{origin}/api/v1/endpoints", json={"slug": DEMO_SLUG, "title": "Demo test pattern"}
        )
        if r.status_code == 409:  # it exists: only a fresh key can be shown in the banner
            r = await self.http.post(f"{origin}/api/v1/endpoints/{DEMO_SLUG}/rotate-key")
        r.raise_for_status()
        self.endpoint = r.json()

        async def spawned(_proc: asyncio.subprocess.Process) -> None:
            self.write_pids()

        self.publisher = pattern_publisher(
            resolve_ffmpeg(self.common.ffmpeg_executable),
            str(self.endpoint["publish_url"]),
            gop_seconds=self.config.segment_seconds,
            on_spawn=spawned,
        )
        self.publisher.start()
        await self.start_edge_session(origin)

    async def start_edge_session(self, origin: str) -> None:
        edge = self.urls().get("edge")
        if edge is None:
            return
        body = {"endpoint": DEMO_SLUG, "upstream_url": origin, "verify_tls": True}
        try:
            r = await self.http.post(f"{edge}/api/v1/edge/sessions", json=body)
        except httpx.HTTPError as exc:
            log.warning("edge session for %s not started: %s", DEMO_SLUG, exc)
            return
        if r.status_code >= 400:
            log.warning(
                "edge session for %s not started (%s): %s", DEMO_SLUG, r.status_code, r.text[:200]
            )

    async def watch(self) -> RoleProcess | None:
        """Until a stop is asked for (None) or a role exits on its own (that role)."""
        waiters = {
            asyncio.create_task(r.process.wait(), name=f"wait:{r.name}"): r
            for r in self.roles
            if r.process is not None
        }
        stopper = asyncio.create_task(self.stop.wait(), name="wait:stop")
        try:
            done, _ = await asyncio.wait({stopper, *waiters}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopper, *waiters):
                task.cancel()
            await asyncio.gather(stopper, *waiters, return_exceptions=True)
        died = [waiters[t] for t in done if t in waiters]
        return died[0] if died and not self.stop.is_set() else None

    async def keep_running(self) -> RoleProcess | None:
        """Watch the roles; restart one that exits with backoff while the others keep
        serving. None after a stop; the role whose restart budget ran out otherwise."""
        while True:
            died = await self.watch()
            if died is None:
                return None
            assert died.process is not None
            code = died.process.returncode
            delay = self.restarts.next_delay(died.name)
            if delay is None:
                return died
            log.warning("%s exited (status %s): restarting in %.1fs", died.name, code, delay)
            err_console.print(
                f"[yellow]{died.name} exited (status {code}); restarting in {delay:.1f}s[/yellow]"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
            if self.stop.is_set():
                return None
            await died.stop(self.config.stop_timeout)  # reap it and anything in its group
            await died.start()
            self.write_pids()

    async def shutdown(self) -> None:
        """Publisher first, then edge, origin, metrics: each SIGTERM, then SIGKILL."""
        if self.publisher is not None:
            await self.publisher.stop()
        for name in ("edge", "origin", "metrics"):
            role = self.role(name)
            if role is not None and role.process is not None:
                await role.stop(self.config.stop_timeout)
        await self.http.aclose()
        with contextlib.suppress(FileNotFoundError):
            self.pids_path.unlink()


async def _serve(stack: LocalStack) -> int:
    console = stack.console
    if not await stack.start_roles():
        return 130
    if stack.config.demo:
        await stack.setup_demo()
    panel = banner(stack.config, stack.urls(), endpoint=stack.endpoint, skipped=stack.skipped)
    console.print(panel)
    died = await stack.keep_running()
    if died is not None:
        budget = stack.restarts
        why = f"kept exiting ({budget.budget} restarts within {budget.window:.0f}s)"
        err_console.print(
            f"[red]error:[/red] {died.failure(why)}",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    console.print("stopping…")
    return 0


async def run_up(config: UpConfig, console: Console) -> int:
    """Run the local stack until SIGINT/SIGTERM; the process exit code."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    # what the roles share, read from the environment once for the CLI's own use
    common = CommonSettings(host=config.host, data_dir=config.data_dir)
    if common.metrics_ingest_token:
        config = dataclasses.replace(config, ingest_token=common.metrics_ingest_token)
    stack = LocalStack(config, console, common)
    try:
        # the roles would refuse one by one; say it once, before anything is bound
        require_credentials(common, "sender up")
        check_ports(config, [r.spec for r in stack.roles])
        if config.demo:
            resolve_ffmpeg(common.ffmpeg_executable)
    except (PortBusyError, SenderError) as exc:
        await stack.http.aclose()
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stack.stop.set)
    try:
        return await _serve(stack)
    except RoleStartError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 1
    except httpx.HTTPError as exc:
        err_console.print(
            f"[red]error:[/red] setting up the demo failed: {exc}", highlight=False, soft_wrap=True
        )
        return 1
    finally:
        await stack.shutdown()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
