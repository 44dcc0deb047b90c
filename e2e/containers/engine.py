"""Sender's images run as containers (podman or docker) on the host network.

Each container binds its own loopback address (``SENDER_HOST``) and keeps its data in a named
volume, so a stopped container can be replaced by a new one that finds its state again.
"""

from __future__ import annotations

__all__ = ["Container", "ContainerEngine", "find_engine"]

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sender_common.settings import role_settings
from sender_common.settings_env import role_env, settings_from_env
from tests.waiting import wait_for

DATA_DIR = "/var/lib/sender"


def find_engine() -> str | None:
    """podman or docker from PATH (``CONTAINER_ENGINE`` wins when set)."""
    return os.environ.get("CONTAINER_ENGINE") or shutil.which("podman") or shutil.which("docker")


@dataclass
class Container:
    """One running role container and the address it answers on."""

    engine: ContainerEngine
    name: str
    role: str
    url: str
    volume: str
    env: dict[str, str]
    started_at: float = field(default_factory=time.monotonic)

    @property
    def address(self) -> str:
        return self.url.split("://", 1)[1]

    def headers(self) -> dict[str, str]:
        settings = settings_from_env(role_settings(self.role), self.env)
        return {"Authorization": f"Bearer {settings.api_token}"}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=kw.pop("timeout", 5), **kw)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.headers(), timeout=10)

    def wait_ready(self, timeout: float = 45) -> float:
        """Seconds from `run` to the first 200 on /readyz."""

        def _ready() -> bool:
            if not self.running():
                raise AssertionError(f"{self.name} exited early:\n{self.logs()[-3000:]}")
            return self.get("/readyz", timeout=2).status_code == 200

        wait_for(_ready, timeout, f"{self.name} ready", interval=0.05)
        return time.monotonic() - self.started_at

    def running(self) -> bool:
        return self.inspect("{{.State.Running}}") == "true"

    def inspect(self, template: str) -> str:
        return self.engine.run("inspect", "--format", template, self.name).stdout.strip()

    def logs(self) -> str:
        out = self.engine.run("logs", self.name, check=False)
        return out.stdout + out.stderr

    def host_pids(self, command: str) -> list[int]:
        """Host pids of the container's processes named `command`."""
        fields = ["-o", "pid,comm"] if self.engine.is_docker else ["hpid", "comm"]
        out = self.engine.run("top", self.name, *fields, check=False).stdout
        rows = [line.split() for line in out.splitlines()[1:]]
        return [int(r[0]) for r in rows if len(r) == 2 and r[1] == command]

    def healthy(self) -> bool:
        """The image's HEALTHCHECK, run now (podman) or its latest result (docker)."""
        if self.engine.is_docker:
            return self.inspect("{{.State.Health.Status}}") == "healthy"
        return self.engine.run("healthcheck", "run", self.name, check=False).returncode == 0

    def stop(self, grace: int = 10) -> tuple[float, int]:
        """SIGTERM, SIGKILL after `grace` s; returns (seconds taken, exit code)."""
        start = time.monotonic()
        self.engine.run("stop", "--time", str(grace), self.name)
        took = time.monotonic() - start
        return took, int(self.inspect("{{.State.ExitCode}}"))

    def remove(self) -> None:
        self.engine.run("rm", "--force", self.name, check=False)


@dataclass
class ContainerEngine:
    """Starts role containers; `cleanup()` removes every container and volume it made."""

    executable: str
    prefix: str
    tag: str = "latest"
    containers: list[Container] = field(default_factory=list)
    volumes: set[str] = field(default_factory=set)

    def run(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.executable, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{self.executable} {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    @property
    def is_docker(self) -> bool:
        return os.path.basename(self.executable) == "docker"

    def image(self, role: str) -> str:
        return f"sender-{role}:{self.tag}"

    def has_image(self, role: str) -> bool:
        return self.run("image", "inspect", self.image(role), check=False).returncode == 0

    def start(
        self, role: str, name: str, host: str, port: int, env: dict[str, str], *, volume: str = ""
    ) -> Container:
        """`run -d` the role's image on the host network, bound to host:port; no waiting."""
        full_name = f"{self.prefix}-{name}"
        volume = volume or f"{full_name}-data"
        self.volumes.add(volume)
        full_env = {**role_env(role, host=host, http_port=port), **env}
        args = ["run", "--detach", "--name", full_name, "--network", "host", "--read-only"]
        if self.is_docker:  # podman's --read-only keeps a tmpfs /tmp by itself
            args += ["--tmpfs", "/tmp"]
        args += ["--volume", f"{volume}:{DATA_DIR}"]
        for key, value in full_env.items():
            args += ["--env", f"{key}={value}"]
        container = Container(self, full_name, role, f"http://{host}:{port}", volume, full_env)
        self.run(*args, self.image(role))
        self.containers.append(container)
        return container

    def replace(self, old: Container) -> Container:
        """Remove a stopped container and start its role again with the same volume and env."""
        old.remove()
        self.containers.remove(old)
        host, port = old.address.rsplit(":", 1)
        bind = role_env(old.role, host=host, http_port=int(port))
        env = {k: v for k, v in old.env.items() if k not in bind}
        name = old.name.removeprefix(f"{self.prefix}-")
        return self.start(old.role, name, host, int(port), env, volume=old.volume)

    def cleanup(self) -> None:
        for container in self.containers:
            container.remove()
        for volume in self.volumes:
            self.run("volume", "rm", "--force", volume, check=False)
