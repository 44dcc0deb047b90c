"""Container images: size of each role's image, cold start (`run` of a new container on a
new volume until the first 200 on /readyz) and stop (SIGTERM until exit), on the host network
at 127.0.0.1.

Needs podman or docker and the images from `make images`.
    .venv/bin/python bench/containers.py [--runs 5] [--tag latest]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e2e.containers.engine import ContainerEngine, find_engine
from tests.procs import free_port

ROLES = ("origin", "edge", "metrics")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tag", default="latest")
    args = parser.parse_args()
    executable = find_engine()
    if executable is None:
        print("neither podman nor docker is installed", file=sys.stderr)
        return 1
    engine = ContainerEngine(executable, prefix=f"sender-bench-{os.getpid()}", tag=args.tag)
    print(f"engine {executable}; {args.runs} cold starts per role (new container, new volume)")
    print(f"{'image':<24}{'size MB':>9}{'ready median s':>16}{'ready max s':>13}{'stop max s':>12}")
    try:
        for role in ROLES:
            size = int(
                engine.run("image", "inspect", "--format", "{{.Size}}", engine.image(role)).stdout
            )
            times, stops = [], []
            for n in range(args.runs):
                env = {"SENDER_API_TOKEN": "bench-token"}
                if role == "origin":
                    env["SENDER_RTMP_PORT"] = str(free_port())
                c = engine.start(role, f"{role}{n}", "127.0.0.1", free_port(), env)
                times.append(c.wait_ready())
                took, code = c.stop()
                assert code == 0, f"{c.name} exited {code} on SIGTERM"
                stops.append(took)
                c.remove()
                engine.containers.remove(c)
            print(
                f"{engine.image(role):<24}{size / 1e6:>9.0f}"
                f"{statistics.median(times):>16.2f}{max(times):>13.2f}{max(stops):>12.2f}"
            )
    finally:
        engine.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
