"""Python time per HLS request on the serving path, in this process, without the kernel.

`HlsHttpProtocol` with a real `HlsApp` (`tests.sender_common.hls_server.live_app`) and the
roles' viewer counting (`Viewers`, localhost counted), fed whole request heads through
`data_received` on a transport that only counts writes, so what is timed is the Python and
C work from the bytes read to the answer written and counted. Each kind of request runs
twice: as served (a head seen before is answered without parsing it again) and, as the
reference in the same run, with nothing remembered (every head through llhttp and its
callbacks). Prints the best of `--repeats` runs of `--requests` requests, in µs per
request (thread CPU time), and the ratio.

    .venv/bin/python bench/serve_cost.py [--requests 20000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry
from uvicorn.server import ServerState

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sender_common.hls.serve.protocol import HlsHttpProtocol
from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.viewers import Viewers
from tests.sender_common.hls_server import app_with, live_app

BROWSER = (
    b"Host: 127.0.0.1:8081\r\nConnection: keep-alive\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36\r\n"
    b"Accept: */*\r\nOrigin: http://127.0.0.1:8080\r\nReferer: http://127.0.0.1:8080/\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n"
    b"Sec-Fetch-Mode: cors\r\nSec-Fetch-Site: same-site\r\n\r\n"
)
REQUESTS = {
    "part (wrk's head)": b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\nHost: x:8081\r\n\r\n",
    "part (a browser's head)": b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\n" + BROWSER,
    "segment": b"GET /sender/hls/ep/1/src/seg0.m4s HTTP/1.1\r\nHost: x:8081\r\n\r\n",
    "playlist": b"GET /sender/hls/ep/live.m3u8 HTTP/1.1\r\nHost: x:8081\r\n\r\n",
}


class CountingTransport:
    """What the protocol writes to: counted, dropped."""

    def __init__(self) -> None:
        self.writes = 0
        self.closing = False

    def write(self, _data: bytes) -> None:
        self.writes += 1

    def writelines(self, _data: Any) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8081), "peername": ("127.0.0.1", 5555)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Forgetting(dict[bytes, Any]):
    """A `seen` that remembers nothing: every head goes through llhttp (the reference)."""

    def __setitem__(self, key: bytes, value: Any) -> None:
        pass


async def run(requests: int, repeats: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    settings = CommonSettings(data_dir=tmp, count_localhost=True)
    identity = NodeIdentity(Ed25519PrivateKey.generate())
    viewers = Viewers(settings, "edge", CollectorRegistry(), identity)
    hls, _, _ = live_app(tmp / "spool", observer=viewers.observe)
    hls.count_media = viewers.count_media
    config = uvicorn.Config(app_with(hls), http=HlsHttpProtocol, ws="none", lifespan="off")
    config.load()
    loop = asyncio.get_running_loop()
    for name, head in REQUESTS.items():
        best: dict[str, float] = {}
        for mode in ("parsed each time", "seen heads"):
            hls.seen = Forgetting() if mode == "parsed each time" else {}
            proto = HlsHttpProtocol(
                config=config, server_state=ServerState(), app_state={}, _loop=loop
            )
            transport = CountingTransport()
            proto.connection_made(transport)  # type: ignore[arg-type]
            for _ in range(1000):
                proto.data_received(head)
            times = []
            for _ in range(repeats):
                start = time.thread_time()
                for _ in range(requests):
                    proto.data_received(head)
                times.append((time.thread_time() - start) / requests)
                await asyncio.sleep(0)  # the loop's own callbacks (deferred counting)
            assert transport.writes == 1000 + repeats * requests
            assert not transport.closing
            best[mode] = min(times)
            proto.connection_lost(None)
        ref, seen = best["parsed each time"], best["seen heads"]
        print(
            f"  {name}: {seen * 1e6:.2f} µs per request with seen heads,"
            f" {ref * 1e6:.2f} µs parsed each time (ratio {seen / ref:.2f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print("Python time per HLS request on the serving path (best run, thread CPU time):")
    uvloop.run(run(args.requests, args.repeats))


if __name__ == "__main__":
    main()
