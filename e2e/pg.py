"""A throwaway PostgreSQL server: initdb in a temp dir, pg_ctl start on 127.0.0.1, stop."""

from __future__ import annotations

__all__ = ["Postgres", "find_pg_bin"]

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.procs import free_port

PG_USER = "postgres"


def find_pg_bin() -> Path | None:
    """The newest `/usr/lib/postgresql/*/bin` holding initdb and pg_ctl (or PATH's)."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for d in reversed(dirs):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


class Postgres:
    """One cluster; as root it runs as the `postgres` user (initdb refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        # not under pytest's tmp dir: that one is private to root and postgres must reach it
        self.root = Path(tempfile.mkdtemp(prefix="sender-e2e-pg-"))
        self.data = self.root / "data"
        self.port = free_port("127.0.0.1")
        self.host = "127.0.0.1"
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, argv: Sequence[str], timeout: float = 60) -> str:
        cmd = list(argv)
        if self.as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.root, PG_USER, PG_USER)
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        )
        opts = f"-k {self.root} -h {self.host} -p {self.port} -c fsync=off -c max_connections=200"
        self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.root / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            timeout=90,
        )
        self.started = True

    def create_database(self, name: str) -> str:
        """Create `name`; returns its SQLAlchemy URL for SENDER_DATABASE_URL."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@{self.host}:{self.port}/{name}"

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.started:
            self._run(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                timeout=60,
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
