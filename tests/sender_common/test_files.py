"""write_atomic: a reader sees the old file or the new one, and no temporary file is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from sender_common.files import write_atomic


def test_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "a" / "seg1.m4s"
    old = write_atomic(target, b"old")
    with target.open("rb") as reader:  # a reader of the old file keeps it whole
        mtime = write_atomic(target, b"new body")
        assert reader.read() == b"old"
    assert target.read_bytes() == b"new body"
    assert mtime >= old and mtime == target.stat().st_mtime_ns
    assert [p.name for p in target.parent.iterdir()] == ["seg1.m4s"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "seg1.m4s"
    target.mkdir()  # a directory is in the way: the rename fails
    with pytest.raises(OSError):
        write_atomic(target, b"body")
    assert [p.name for p in tmp_path.iterdir()] == ["seg1.m4s"]
