"""An interpreter like the role images': a virtualenv holding only the product packages'
dependencies, from the wheelhouse `make images` fills (build/wheels/), as deploy/Dockerfile
installs them, and this checkout's own sources (a .pth file) in place of its Sender wheels.
Development tools installed in `.venv` (rich, pygments, trio, ...) are not in it."""

from __future__ import annotations

__all__ = ["WHEELS", "image_like_python"]

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "build" / "wheels"
PACKAGES = ["sender-common", "sender-origin", "sender-edge", "sender-metrics"]
SOURCES = [ROOT / "libs" / "sender_common" / "src"] + [
    ROOT / "services" / role / "src" for role in ("origin", "edge", "metrics")
]


def image_like_python(dest: Path) -> Path | None:
    """The python of a fresh virtualenv at `dest`, or None without a wheelhouse."""
    if not any(WHEELS.glob("sender_common-*.whl")):
        return None
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(dest)], check=True)
    python = dest / "bin" / "python"
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "install", "--no-index", "--find-links", str(WHEELS), *PACKAGES[1:]], check=True
    )
    subprocess.run([*pip, "uninstall", "-y", *PACKAGES], check=True)  # this checkout instead
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "sender-sources.pth").write_text("".join(f"{s}\n" for s in SOURCES))
    return python
