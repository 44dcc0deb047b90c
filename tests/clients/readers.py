"""Real HLS clients reading a live playlist in the background, each with a log to count in.

VLC 3 (its adaptive demux, as plain HLS), ffmpeg and mpv (libavformat's HLS demuxer, decoding)
and streamlink each write a log naming every media segment they fetch; `segments_after`
counts the distinct ones numbered above a media sequence number (the break)."""

from __future__ import annotations

__all__ = ["Reader", "start_readers"]

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.procs import spawn
from tests.tools import require_tool

SEGMENT = re.compile(r"seg(\d+)\.m4s")
# what each client logs when it takes a media segment
FETCH_LINE = {
    "vlc": re.compile(r"Retrieving \S*seg(\d+)\.m4s"),
    "ffmpeg": re.compile(r"HLS request for url '\S*seg(\d+)\.m4s"),
    "mpv": re.compile(r"HLS request for url '\S*seg(\d+)\.m4s"),
    "streamlink": re.compile(r"[Ww]riting segment (\d+) to output"),
}
FATAL = {
    "vlc": ("Failed to create demuxer", "no moov before mdat"),
    "ffmpeg": (),
    "mpv": (),
    "streamlink": (),
}


@dataclass
class Reader:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path
    home: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def segments_after(self, msn: int) -> set[int]:
        """Media segments numbered above `msn` that the client fetched."""
        found = (int(m.group(1)) for m in FETCH_LINE[self.kind].finditer(self.text()))
        return {n for n in found if n > msn}

    @property
    def kind(self) -> str:
        return self.name.split("@")[0]

    def fatal(self) -> list[str]:
        return [line for line in FATAL[self.kind] if line in self.text()]

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)


def _argv(kind: str, url: str, log: Path) -> list[str]:
    if kind == "vlc":
        cvlc = require_tool("cvlc", "apt-get install vlc-bin vlc-plugin-base")
        argv = [cvlc, "--intf", "dummy", "--vout", "dummy", "--aout", "dummy", "-vv", url]
        # VLC refuses to run as root: run it as nobody then
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    if kind == "ffmpeg":
        ffmpeg = require_tool("ffmpeg")
        return [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "verbose", "-i", url,
                "-f", "null", "-"]  # fmt: skip
    if kind == "mpv":
        mpv = require_tool("mpv", "apt-get install mpv")
        return [mpv, "--no-config", "--vo=null", "--ao=null", "--really-quiet",
                f"--log-file={log}", "--msg-level=all=v", url]  # fmt: skip
    if kind == "streamlink":
        here = Path(sys.executable).with_name("streamlink")  # installed beside pytest
        streamlink = require_tool(here, "pip install -r requirements-dev.txt")
        return [streamlink, "--loglevel", "debug", "--hls-live-edge", "3",
                "-o", os.devnull, "-f", f"hlsvariant://{url}", "best"]  # fmt: skip
    raise ValueError(kind)


def start_readers(targets: dict[str, str], workdir: Path) -> list[Reader]:
    """Start one client per `name@where: url` (name is vlc, ffmpeg, mpv or streamlink)."""
    workdir.mkdir(parents=True, exist_ok=True)
    # every tool first: a missing one skips before any client runs
    argvs = {
        name: _argv(name.split("@")[0], url, _log(workdir, name)) for name, url in targets.items()
    }
    readers: list[Reader] = []
    try:
        for name, argv in argvs.items():
            readers.append(_start(name, targets[name], argv, workdir))
    except BaseException:
        for r in readers:
            r.stop()
        raise
    return readers


def _log(workdir: Path, name: str) -> Path:
    return workdir / f"{name.replace('@', '-')}.log"


def _start(name: str, url: str, argv: list[str], workdir: Path) -> Reader:
    kind, log = name.split("@")[0], _log(workdir, name)
    # a HOME of its own (VLC runs as nobody, who must be able to write it)
    home = Path(tempfile.mkdtemp(prefix=f"sender-{kind}-"))
    home.chmod(0o777)
    sink = log.with_suffix(".out") if kind == "mpv" else log  # mpv writes its log itself
    with sink.open("wb") as out:
        popen = spawn(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "HOME": str(home)},
        )
    return Reader(name, url, popen, log, home)
