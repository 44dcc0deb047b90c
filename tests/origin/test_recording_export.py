"""MP4 exports of a recording, with a stand-in for ffmpeg's concat (the real one is exercised in
test_dvr): exports of one recording at once each work in a folder of their own, and an export
whose request goes away takes its ffmpeg with it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from sender_common.database.engine import create_db_engine, init_schema
from sender_common.ffmpeg.command import SOURCE
from sender_common.hls.playlist.dvr_playlist import DvrEntry, append_entry
from sender_common.models import EndpointCreate
from sender_common.settings import CommonSettings
from sender_origin import recordings
from sender_origin.database import endpoints, generations
from tests.waiting import wait_for_async

# Stands in for `ffmpeg ... -f concat -i LISTING ... OUT`: notes its listing, waits until every
# export of the test runs at once, checks its inputs are still there, then joins them.
FAKE = """
import os, pathlib, sys, time
argv = sys.argv
listing = pathlib.Path(argv[argv.index("-i") + 1])
out = pathlib.Path(argv[-1])
shared = pathlib.Path(os.environ["FAKE_DIR"])
(shared / f"{os.getpid()}.started").write_text(str(listing))
if os.environ["FAKE_MODE"] == "hang":
    time.sleep(60)
deadline = time.monotonic() + 20
while len(list(shared.glob("*.started"))) < int(os.environ["FAKE_TOGETHER"]):
    if time.monotonic() > deadline:
        sys.exit("the exports did not run at once")
    time.sleep(0.02)
names = [line.split("'")[1] for line in listing.read_text().splitlines()]
time.sleep(0.3)  # the other export finishes meanwhile
data = b"".join((listing.parent / n).read_bytes() for n in names)
out.write_bytes(data)
"""


@pytest.fixture
def recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path, str]:
    settings = CommonSettings(data_dir=tmp_path / "data")
    engine = create_db_engine(settings)
    init_schema(engine)
    with Session(engine) as s:
        endpoints.create_endpoint(
            s, data=EndpointCreate(slug="rec"), publish_base="rtmp://127.0.0.1/live"
        )
        eid = endpoints.endpoint_id(s, slug="rec")
        number = generations.open_generation(s, endpoint_id=eid, renditions=[SOURCE])
        generations.close_generation(s, endpoint_id=eid, number=number)
    spool = tmp_path / "spool"
    folder = spool / "rec" / "1" / "src"
    folder.mkdir(parents=True)
    for run in range(2):  # a reconnect: two init sections
        (folder / f"init{run}.mp4").write_bytes(f"<init{run}>".encode())
        for seg in range(3):
            msn = run * 3 + seg
            (folder / f"seg{msn}.m4s").write_bytes(f"<seg{msn}>".encode())
            entry = DvrEntry(msn, f"1/src/seg{msn}.m4s", f"1/src/init{run}.mp4", 1.0, 0.0, 7)
            append_entry(folder, entry)
    fake = tmp_path / "ffmpeg"
    fake.write_text(f"#!{sys.executable}\n{FAKE}")
    fake.chmod(0o755)
    shared = tmp_path / "calls"
    shared.mkdir()
    monkeypatch.setenv("FAKE_DIR", str(shared))
    return engine, spool, str(fake)


EXPECTED = b"<init0><seg0><seg1><seg2><init1><seg3><seg4><seg5>"


async def test_two_exports_at_once_each_make_the_mp4(
    recording: tuple[Engine, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, spool, fake = recording
    monkeypatch.setenv("FAKE_MODE", "join")
    monkeypatch.setenv("FAKE_TOGETHER", "2")
    outs = await asyncio.gather(
        *(recordings.export_mp4(engine, spool, fake, "rec", 1, None) for _ in range(2))
    )
    assert all(out.read_bytes() == EXPECTED for out in outs)
    listings = {Path(p.read_text()).parent for p in (tmp_path / "calls").glob("*.started")}
    assert len(listings) == 2  # each in a folder of its own
    assert sorted(p.name for p in (spool / "rec" / "1" / "src").iterdir() if p.is_dir()) == []


async def test_a_cancelled_export_kills_its_ffmpeg(
    recording: tuple[Engine, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, spool, fake = recording
    monkeypatch.setenv("FAKE_MODE", "hang")
    export = asyncio.create_task(recordings.export_mp4(engine, spool, fake, "rec", 1, None))
    started = await wait_for_async(
        lambda: list((tmp_path / "calls").glob("*.started")), 20, "the export's ffmpeg"
    )
    pid = int(started[0].stem)
    export.cancel()
    with pytest.raises(asyncio.CancelledError):
        await export
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
    assert not (spool / "rec" / "1" / "src" / "export.mp4").exists()
    assert [p for p in (spool / "rec" / "1" / "src").iterdir() if p.is_dir()] == []
