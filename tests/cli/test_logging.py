"""The CLI's logging: -v says what goes on, -vv adds debug and each HTTP request."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sender_cli.local.roles import UpConfig, role_specs
from sender_cli.main import _logging
from sender_common.logs import HTTP_CLIENT_LOGGERS


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    clients = {n: logging.getLogger(n).level for n in HTTP_CLIENT_LOGGERS}
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in clients.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("verbose", "root", "clients"),
    [(0, logging.WARNING, logging.WARNING), (1, logging.INFO, logging.WARNING), (2, 10, 10)],
)
def test_verbosity(verbose: int, root: int, clients: int) -> None:
    _logging(verbose)
    assert logging.getLogger().level == root
    for name in HTTP_CLIENT_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == clients


@pytest.mark.parametrize(("child", "role_level"), [("warning", None), ("debug", "DEBUG")])
def test_up_roles_log_at_debug_with_vv(tmp_path: Path, child: str, role_level: str | None) -> None:
    config = UpConfig(data_dir=tmp_path, child_log_level=child)
    for spec in role_specs(config, {"origin", "edge", "metrics"}):
        assert spec.env.get("SENDER_LOG_LEVEL") == role_level
        argv = spec.argv("127.0.0.1", child)
        assert argv[argv.index("--log-level") + 1] == child
