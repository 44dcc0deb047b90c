"""scripts/container-engine: which engine `make images` and `make e2e-containers` use, with
fake podman / docker commands on a PATH of their own (nothing real is installed or run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "container-engine"
BASH = shutil.which("bash") or "/bin/bash"


class FakeMachine:
    """A PATH holding only the tools the script needs plus the fake engines given."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        for tool in ("dirname", "timeout", "sleep", "cp"):
            found = shutil.which(tool)
            assert found, tool
            (self.bin / tool).symlink_to(found)
        self.installs = root / "installs"
        # the installer puts a podman on PATH, as install-container-deps would
        podman = self._script(root / "podman", "exit 0\n")
        self.installer = self._script(
            root / "install-deps", f'echo once >> "{self.installs}"\ncp "{podman}" "{self.bin}"\n'
        )

    def _script(self, path: Path, body: str) -> Path:
        path.write_text(f"#!{BASH}\n{body}")
        path.chmod(0o755)
        return path

    def docker(self, info: str) -> None:
        """A docker client whose `docker info` does `info` (`exit 0`, `exit 1`, `sleep 30`)."""
        self._script(self.bin / "docker", f'[ "$1" = info ] && {{ {info}; }}\nexit 0\n')

    def podman(self) -> None:
        self._script(self.bin / "podman", "exit 0\n")

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        full = {"PATH": str(self.bin), "SENDER_CONTAINER_DEPS": str(self.installer), **env}
        return subprocess.run(
            [BASH, str(SCRIPT)], env=full, capture_output=True, text=True, timeout=60, check=False
        )

    def installed(self) -> int:
        return len(self.installs.read_text().splitlines()) if self.installs.exists() else 0


@pytest.fixture
def machine(tmp_path: Path) -> FakeMachine:
    return FakeMachine(tmp_path)


def test_docker_with_a_daemon_is_used(machine: FakeMachine) -> None:
    machine.docker("exit 0")
    out = machine.run()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(machine.bin / "docker")
    assert machine.installed() == 0


@pytest.mark.parametrize("info", ["exit 1", "sleep 30"])
def test_docker_without_a_daemon_falls_back_to_podman_installed(
    machine: FakeMachine, info: str
) -> None:
    machine.docker(info)  # no daemon: refused at once, or no answer at all
    out = machine.run(SENDER_DOCKER_INFO_TIMEOUT="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(machine.bin / "podman")
    assert "daemon does not answer" in out.stderr
    assert machine.installed() == 1


def test_neither_installed_installs_podman(machine: FakeMachine) -> None:
    out = machine.run()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(machine.bin / "podman")
    assert machine.installed() == 1


def test_podman_wins_and_nothing_is_installed(machine: FakeMachine) -> None:
    machine.podman()
    machine.docker("exit 0")
    out = machine.run()
    assert out.stdout.strip() == str(machine.bin / "podman")
    assert machine.installed() == 0


def test_container_engine_variable_wins(machine: FakeMachine) -> None:
    machine.docker("exit 1")
    out = machine.run(CONTAINER_ENGINE="/opt/engine")
    assert out.returncode == 0 and out.stdout.strip() == "/opt/engine"
    assert machine.installed() == 0


def test_an_installer_that_brings_no_podman_fails(machine: FakeMachine, tmp_path: Path) -> None:
    machine.docker("exit 1")
    out = machine.run(SENDER_CONTAINER_DEPS=str(machine._script(tmp_path / "noop", "exit 0\n")))
    assert out.returncode != 0 and out.stdout == ""
    assert "podman is still not installed" in out.stderr


def test_make_images_and_e2e_containers_use_it() -> None:
    build = (REPO / "scripts" / "build-images").read_text()
    assert "engine=$(scripts/container-engine)" in build
    makefile = (REPO / "Makefile").read_text()
    assert "CONTAINER_ENGINE=$$(./scripts/container-engine)" in makefile
    assert os.access(SCRIPT, os.X_OK)
