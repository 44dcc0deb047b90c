"""Recordings: the generations an origin keeps, their MP4 export, deletion and disk budget.

A recording is a generation whose spool is still there. Its export is one MP4 made by
ffmpeg with `-c copy` from the kept CMAF segments (each ffmpeg run's init section plus its
segments is one input of the concat demuxer, so a reconnect in the middle is fine).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from sender_common.errors import ConflictError, NotFoundError
from sender_common.hls.playlist.dvr_playlist import DvrEntry, read_entries
from sender_common.models import Generation, GenerationState
from sender_common.process.pdeathsig import child_setup
from sender_origin.database import endpoints, generations

log = logging.getLogger(__name__)
EXPORT_TIMEOUT = 600.0


class RecordingPublic(BaseModel):
    generation: int
    state: GenerationState
    started_at: datetime
    stopped_at: datetime | None
    duration_seconds: float
    size_bytes: int
    renditions: list[str]
    export_url: str


def _rows(engine: Engine, slug: str) -> list[tuple[Generation, list[str]]]:
    with Session(engine) as s:
        endpoint_id = endpoints.endpoint_id(s, slug=slug)
        return generations.kept_generations_of(s, endpoint_id=endpoint_id)


def list_recordings(engine: Engine, spool_dir: Path, slug: str) -> list[RecordingPublic]:
    """Kept generations, oldest first, with what their first rendition holds."""
    out = []
    for gen, names in _rows(engine, slug):
        if not names:
            continue
        entries = read_entries(spool_dir / slug / str(gen.number) / names[0])
        if not entries:
            continue
        out.append(
            RecordingPublic(
                **gen.model_dump(include={"state", "started_at", "stopped_at"}),
                generation=gen.number,
                duration_seconds=round(sum(e.duration for e in entries), 3),
                size_bytes=dir_size(spool_dir / slug / str(gen.number)),
                renditions=names,
                export_url=f"/api/v1/endpoints/{slug}/recordings/{gen.number}.mp4",
            )
        )
    return out


def _generation(engine: Engine, slug: str, number: int) -> tuple[Generation, list[str]]:
    with Session(engine) as s:
        endpoint_id = endpoints.endpoint_id(s, slug=slug)
        gen = generations.kept_generation(s, endpoint_id=endpoint_id, number=number)
        if gen is None:
            raise NotFoundError(f"no recording {number} of {slug!r}")
        return generations.with_rendition_names(s, [gen])[0]


async def export_mp4(
    engine: Engine, spool_dir: Path, ffmpeg: str, slug: str, number: int, rendition: str | None
) -> Path:
    """The generation as one MP4 (made once, then kept beside its segments)."""
    gen, names = await asyncio.to_thread(_generation, engine, slug, number)
    if gen.state != GenerationState.ended:
        raise ConflictError(f"generation {number} of {slug!r} is still live")
    name = rendition or (names[0] if names else "")
    if name not in names:
        raise NotFoundError(f"no rendition {rendition!r} in generation {number}")
    folder = spool_dir / slug / str(number) / name
    out = folder / "export.mp4"
    if out.is_file():
        return out
    entries = await asyncio.to_thread(read_entries, folder)
    if not entries:
        raise NotFoundError(f"generation {number} of {slug!r} kept no segments")
    work = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=".export-", dir=folder))
    try:  # a folder of its own: exports of one recording at once never share their inputs
        inputs = await asyncio.to_thread(_write_runs, spool_dir / slug, entries, work)
        await _concat(ffmpeg, inputs, work / "out.mp4")
        (work / "out.mp4").replace(out)
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    return out


def _write_runs(endpoint_dir: Path, entries: list[DvrEntry], work: Path) -> list[Path]:
    """One self-contained fragmented MP4 per init section: init + its segments."""
    runs: list[Path] = []
    current: str | None = None
    fh = None
    try:
        for e in entries:
            if e.map_uri != current:
                if fh is not None:
                    fh.close()
                current = e.map_uri
                runs.append(work / f"run{len(runs)}.mp4")
                fh = runs[-1].open("wb")
                fh.write((endpoint_dir / e.map_uri).read_bytes())
            assert fh is not None
            with (endpoint_dir / e.uri).open("rb") as seg:
                shutil.copyfileobj(seg, fh)
    finally:
        if fh is not None:
            fh.close()
    return runs


async def _concat(ffmpeg: str, inputs: list[Path], out: Path) -> None:
    listing = out.with_name("inputs.txt")
    listing.write_text("".join(f"file '{p.name}'\n" for p in inputs))
    argv = [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    argv += ["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy"]
    argv += ["-movflags", "+faststart", "-f", "mp4", str(out)]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=functools.partial(child_setup, os.getpid()),  # dies with the service
    )
    try:
        async with asyncio.timeout(EXPORT_TIMEOUT):
            _, err = await proc.communicate()
    except BaseException:  # timed out, or the request was cancelled
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg export failed: {err.decode(errors='replace')[-300:]}")


def removable_generation(engine: Engine, slug: str, number: int) -> int:
    """The id of recording `number` of `slug`, which may be removed: it has ended."""
    gen, _ = _generation(engine, slug, number)
    if gen.state != GenerationState.ended:
        raise ConflictError(f"generation {number} of {slug!r} is still live")
    assert gen.id is not None
    return gen.id


def dir_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += (Path(root) / f).stat().st_size
            except OSError:
                continue
    return total


def over_budget(
    spool_dir: Path, kept: list[tuple[str, int, int, bool]], budget: int | None
) -> tuple[int, list[tuple[str, int, int]]]:
    """(bytes kept, ended generations to remove, oldest first, to get under the budget)."""
    sizes = [
        (slug, n, gid, ended, dir_size(spool_dir / slug / str(n))) for slug, n, gid, ended in kept
    ]
    total = sum(s[4] for s in sizes)
    remove: list[tuple[str, int, int]] = []
    if budget is None:
        return total, remove
    left = total
    for slug, n, gid, ended, size in sizes:
        if left <= budget:
            break
        if ended:  # never the live window
            remove.append((slug, n, gid))
            left -= size
    return total, remove
