"""deploy/ as a whole: the files are there, every YAML file parses, and the README shows
the commands that build and run the images."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.images import DOCKERFILE, DOCKERIGNORE, stages
from tests.deploy.layout import DEPLOY, ROLES, load_all, rel

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def test_deploy_files_exist() -> None:
    assert DOCKERFILE.is_file()
    assert DOCKERIGNORE.is_file()
    # one Dockerfile for the three images: a target per role
    assert set(ROLES) <= {s.name for s in stages()}
    for rel_path in (
        "nginx/edge-segments.conf",
        "victoriametrics/scrape.yml",
        "k8s/base/kustomization.yaml",
        "k8s/overlays/example/kustomization.yaml",
        "README.md",
    ):
        assert (DEPLOY / rel_path).is_file(), rel_path


@pytest.mark.parametrize("path", YAML_FILES, ids=rel)
def test_yaml_parses(path: Path) -> None:
    docs = load_all(path)
    assert docs, f"{rel(path)} has no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{rel(path)}: top level must be a mapping"


def test_readme_documents_the_commands() -> None:
    text = (DEPLOY / "README.md").read_text()
    for role in ROLES:
        assert f"docker build -f deploy/Dockerfile --target {role} " in text
    for needle in (
        "kubectl apply -k deploy/k8s/overlays/example",
        "-promscrape.config=deploy/victoriametrics/scrape.yml",
        "Dockerfile.dockerignore",
        "edge-segments.conf",
    ):
        assert needle in text, needle


def test_docker_examples_set_a_token() -> None:
    """The images bind 0.0.0.0: a role without SENDER_API_TOKEN would refuse to start."""
    text = (DEPLOY / "README.md").read_text()
    runs = text.split("docker run")[1:]
    assert len(runs) == len(ROLES)
    for block in runs:
        command = block.split("\n\n")[0]
        assert "-e SENDER_API_TOKEN=" in command, command
