"""One supervised child process: own group, stderr ring buffer, restarts with backoff.

A crash restarts the child after a capped exponential backoff (tenacity); a run that
stayed up for `healthy_seconds` resets the backoff and the budget. `stop()` asks nicely
(optional `graceful` hook, then SIGTERM to the group) and SIGKILLs after a timeout.
The child gets PR_SET_PDEATHSIG, so it dies even if this process is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from sender_common.errors import SenderError
from sender_common.process.pdeathsig import child_setup
from sender_common.stream_keys import mask_key
from sender_common.tasks import cancel_and_wait, wait_set

log = logging.getLogger(__name__)

SpawnHook = Callable[[asyncio.subprocess.Process], Awaitable[None]]
PipedArgv = Callable[[list[int]], Sequence[str]]


class ProcessState(enum.StrEnum):
    idle = "idle"
    running = "running"
    backoff = "backoff"
    stopped = "stopped"
    failed = "failed"
    exited = "exited"


class ChildExit(SenderError):
    """A supervised child exited; what follows is a restart (or the end of the budget)."""


class _Crashed(ChildExit):
    def __init__(self, returncode: int, ran_for: float) -> None:
        super().__init__(f"exited with {returncode} after {ran_for:.1f}s")
        self.returncode = returncode
        self.ran_for = ran_for


class _RanHealthy(ChildExit):
    """A crash after a long healthy run: restart with a fresh budget."""


class SupervisedProcess:
    """Runs `argv()` until stopped, restarting it when it crashes."""

    def __init__(
        self,
        name: str,
        argv: Callable[[], Sequence[str]],
        *,
        stdin_pipe: bool = False,
        on_spawn: SpawnHook | None = None,
        on_exit: Callable[[int], None] | None = None,
        restart_on_clean_exit: bool = False,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        restart_budget: int = 10,
        healthy_seconds: float = 30.0,
        stop_timeout: float = 5.0,
        stderr_lines: int = 50,
        env: dict[str, str] | None = None,
        output_pipes: int = 0,
        piped_argv: PipedArgv | None = None,
    ) -> None:
        self.name = name
        self._argv = argv
        self._output_pipes = output_pipes
        self._piped_argv = piped_argv
        self.pipes: list[int] = []  # read ends of this run's output pipes: see take_pipes
        self._stdin_pipe = stdin_pipe
        self._on_spawn = on_spawn
        self._on_exit = on_exit
        self._restart_on_clean_exit = restart_on_clean_exit
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._budget = restart_budget
        self._healthy_seconds = healthy_seconds
        self._stop_timeout = stop_timeout
        self._env = env
        self.stderr_tail: deque[str] = deque(maxlen=stderr_lines)
        self.state = ProcessState.idle
        self.restarts = 0
        self.last_returncode: int | None = None
        self.process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._started = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    def start(self) -> None:
        """Begin supervising (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._supervise(), name=f"supervise:{self.name}")

    async def wait_started(self, timeout: float) -> bool:
        return await wait_set(self._started, timeout)

    async def wait(self) -> None:
        """Until supervision ends (clean exit, budget spent, or stop)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, graceful: Callable[[], Awaitable[None]] | None = None) -> None:
        """Stop the child: graceful hook, SIGTERM to its group, SIGKILL after the timeout."""
        self._stopping = True
        proc = self.process
        if proc is not None and proc.returncode is None:
            if graceful is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(graceful(), self._stop_timeout)
            await self._terminate(proc)
        await cancel_and_wait(self._task)
        if self.state != ProcessState.failed:
            self.state = ProcessState.stopped

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.05)
        if proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self._stop_timeout)
            except TimeoutError:
                log.warning("%s: did not stop in %.1fs, killing", self.name, self._stop_timeout)
        _signal_group(proc.pid, signal.SIGKILL)  # whatever is left in the group
        with contextlib.suppress(ProcessLookupError):
            await proc.wait()

    async def _supervise(self) -> None:
        try:
            while not self._stopping:
                try:
                    await self._retrying()
                    if self._stopping:
                        return
                    if not self._restart_on_clean_exit:
                        self.state = ProcessState.exited
                        return
                except _RanHealthy:
                    continue
        except (RetryError, _Crashed) as exc:
            self.state = ProcessState.failed
            log.error("%s: restart budget spent (%s)", self.name, exc)
        finally:
            proc = self.process
            if proc is not None and proc.returncode is None:
                await asyncio.shield(self._terminate(proc))

    async def _retrying(self) -> None:
        first = True
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=self._backoff_initial, max=self._backoff_max),
            stop=stop_after_attempt(self._budget + 1),
            retry=retry_if_exception_type(_Crashed),
            before_sleep=lambda rs: self._note_backoff(rs.outcome),
            reraise=True,
        ):
            with attempt:
                if not first:
                    self.restarts += 1
                first = False
                await self._run_once()

    def _note_backoff(self, outcome: object) -> None:
        self.state = ProcessState.backoff
        log.warning("%s: crashed (%s), restarting with backoff", self.name, outcome)

    async def _run_once(self) -> None:
        pairs: list[tuple[int, int]] = []
        started = time.monotonic()
        try:
            for _ in range(self._output_pipes):
                pairs.append(os.pipe())
            writers = [w for _, w in pairs]
            self.pipes = [r for r, _ in pairs]
            if self._piped_argv is not None:
                argv = list(self._piped_argv(writers))
            else:
                argv = list(self._argv())
            log.info("%s: starting %s", self.name, mask_key(" ".join(argv)))
            started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if self._stdin_pipe else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                preexec_fn=functools.partial(child_setup, os.getpid()),
                env=self._env,
                pass_fds=writers,
            )
        except BaseException:
            self._close_untaken()
            raise
        finally:
            for _, fd in pairs:  # the child holds them now; EOF reaches readers when it exits
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.process = proc
        self.state = ProcessState.running
        self._started.set()
        drain = asyncio.create_task(self._drain(proc), name=f"stderr:{self.name}")
        try:
            try:
                if self._on_spawn is not None:
                    await self._on_spawn(proc)
            finally:
                self._close_untaken()  # read ends the hook did not take: nobody would close them
            code = await proc.wait()
        finally:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(drain, 1.0)
        self.last_returncode = code
        if self._on_exit is not None:
            self._on_exit(code)
        ran_for = time.monotonic() - started
        if self._stopping:
            return
        if code == 0 and not self._restart_on_clean_exit:
            return
        log.warning("%s: exited with %s; last stderr: %s", self.name, code, self.tail(3))
        if ran_for >= self._healthy_seconds:
            self.restarts += 1
            raise _RanHealthy(f"exited with {code} after a healthy {ran_for:.1f}s")
        raise _Crashed(code, ran_for)

    def take_pipes(self) -> list[int]:
        """The read ends of this run's output pipes, for the spawn hook: the caller closes them.
        Those not taken by the end of the hook are closed."""
        taken, self.pipes = self.pipes, []
        return taken

    def _close_untaken(self) -> None:
        for fd in self.pipes:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.pipes = []

    async def _drain(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while True:
            line = await proc.stderr.readline()
            if not line:
                return
            text = mask_key(line.decode("utf-8", "replace").rstrip())
            if text:
                self.stderr_tail.append(text)
                log.debug("%s: %s", self.name, text)

    def tail(self, n: int = 10) -> list[str]:
        return list(self.stderr_tail)[-n:]


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
