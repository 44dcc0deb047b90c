"""deploy/Dockerfile read with ``dockerfile-parse`` (continuation lines, comments, parser
directives and global ARG defaults are its business) and its ``.dockerignore`` matched with
``pathspec``; small views over both for the image tests."""

from __future__ import annotations

import io
import json
import shlex
from dataclasses import dataclass, field
from functools import cache

import pathspec
from dockerfile_parse import DockerfileParser

from tests.deploy.layout import DEPLOY

DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"


@dataclass
class Instruction:
    cmd: str
    args: str
    flags: dict[str, str] = field(default_factory=dict)

    def words(self) -> list[str]:
        """Exec form (JSON array) or shell-words of the arguments."""
        if self.args.lstrip().startswith("["):
            value = json.loads(self.args)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return shlex.split(self.args)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]


def _instruction(cmd: str, value: str) -> Instruction:
    """Leading ``--flag=value`` options (``COPY --from=builder``) split off the arguments."""
    flags: dict[str, str] = {}
    rest = value.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, flag_value = flag[2:].partition("=")
        flags[name] = flag_value
        rest = rest.strip()
    return Instruction(cmd, rest, flags)


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages (bases with those ARGs substituted)."""
    # a file object: given only a path (or none: the working directory) the parser writes there
    parser = DockerfileParser(fileobj=io.StringIO(text), env_replace=True)
    bases = iter(parser.parent_images)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for item in parser.structure:
        cmd, value = item["instruction"], item["value"]
        if cmd == "COMMENT":
            continue
        if cmd == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=next(bases), name=name))
        elif not stages:
            assert cmd == "ARG", f"{cmd} before the first FROM"
            arg, _, default = value.partition("=")
            args[arg] = default
        else:
            stages[-1].instructions.append(_instruction(cmd, value))
    return args, stages


@cache
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())[1]


def stage(name: str) -> Stage:
    (found,) = [s for s in stages() if s.name == name]
    return found


def image(role: str) -> Stage:
    """The role's image: its target stage with the stages it is built FROM, flattened into
    one stage on the first real base, instructions in build order."""
    chain = [stage(role)]
    while chain[0].base in {s.name for s in stages()}:
        chain.insert(0, stage(chain[0].base))
    instructions = [i for s in chain for i in s.instructions]
    return Stage(base=chain[0].base, name=role, instructions=instructions)


def used_stages(role: str) -> list[Stage]:
    """Every stage the role's image needs: its chain and the stages it copies from."""
    needed = [role]
    for name in needed:
        current = stage(name)
        for parent in [current.base, *(i.flags.get("from", "") for i in current.all("COPY"))]:
            if parent in {s.name for s in stages()} and parent not in needed:
                needed.append(parent)
    return [s for s in stages() if s.name in needed]


def copies(current: Stage) -> list[tuple[Instruction, list[str], str]]:
    """COPY and ADD instructions with their sources and destination."""
    return [(i, i.words()[:-1], i.words()[-1]) for i in current.all("COPY") + current.all("ADD")]


def dockerignore_patterns(lines: list[str]) -> list[pathspec.Pattern]:
    """A ``.dockerignore``'s lines as ``pathspec`` gitignore patterns (the glob language is
    the same: ``*`` and ``?`` stop at ``/``, ``**`` spans directories, ``!`` re-includes),
    brought to Docker's rules where git's differ: every pattern is relative to the context
    root (git matches a slash-less pattern at any depth), so it is anchored with a leading
    ``/``; a trailing ``/`` is dropped (Docker cleans it away, so the pattern matches a file
    too). ``[!...]`` classes are refused (Docker negates a class with ``^``); this
    repository's ignore files use none."""
    patterns = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line.lstrip("!").strip().strip("/")
        assert "[!" not in body, f"{line}: Docker's classes negate with ^"
        patterns.append(("!" if negate else "") + "/" + body)
    return list(pathspec.PathSpec.from_lines("gitignore", patterns).patterns)


@cache
def _context_patterns() -> list[pathspec.Pattern]:
    return dockerignore_patterns(DOCKERIGNORE.read_text().splitlines())


def ignored(path: str, patterns: list[pathspec.Pattern] | None = None) -> bool:
    """Whether ``path`` (relative to the build context) stays out of the build context, by
    Docker's rule: the last pattern that matches the path or one of its parent directories
    decides (git instead never looks inside an excluded directory, so its ``!`` cannot
    re-include below one; and pathspec's ``/*`` does not cover what is below)."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for pattern in _context_patterns() if patterns is None else patterns:
        if pattern.include is not None and any(pattern.match_file(p) for p in prefixes):
            result = pattern.include
    return result
