"""The README's configuration table is the source of truth for SENDER_* variables: every
settings field of every role (and of `sender up`) is a row there, every row is a field, and
the defaults it states are the models' defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from sender_cli.local.roles import UpSettings
from sender_common.settings import ROLES, role_settings
from sender_common.settings_env import env_name

README = Path(__file__).resolve().parents[2] / "README.md"
MODELS: list[type[BaseSettings]] = [*(role_settings(r) for r in ROLES), UpSettings]
UNSTATED = object()  # a default the table describes in words


def table_rows() -> list[tuple[list[str], str]]:
    """(variables, default) of each row of the configuration table."""
    text = README.read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`SENDER_"):
            rows.append((re.findall(r"`(SENDER_[A-Z0-9_]+)`", cells[0]), cells[1]))
    return rows


def parse_default(text: str) -> object:
    """A default as the table writes it: `none`, `empty`, booleans, numbers with units."""
    text = text.strip()
    words = {"none": None, "empty": "", "true": True, "false": False}
    if text in words:
        return words[text]
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|MiB|/s)?", text):
        number = float(m[1])
        return number * 1024 * 1024 if m[2] == "MiB" else number
    if m := re.fullmatch(r"`([^`]+)`|([A-Z]+)", text):
        value = m[1] or m[2]
        return UNSTATED if value.startswith(("SENDER_", "./")) else value
    return UNSTATED


def model_fields() -> dict[str, list[tuple[type[BaseSettings], str]]]:
    """Each variable, with the models (and field names) it sets."""
    out: dict[str, list[tuple[type[BaseSettings], str]]] = {}
    for model in MODELS:
        for field in model.model_fields:
            out.setdefault(env_name(model, field), []).append((model, field))
    return out


def test_the_table_is_found_and_parsed() -> None:
    rows = table_rows()
    assert len(rows) > 40
    assert (["SENDER_DATA_DIR"], "`./data`") in rows


def test_every_settings_field_is_in_the_table() -> None:
    documented = {name for names, _ in table_rows() for name in names}
    missing = sorted(set(model_fields()) - documented)
    assert not missing, f"settings fields missing from the README configuration table: {missing}"


def test_every_variable_in_the_table_is_a_settings_field() -> None:
    fields = model_fields()
    stray = sorted(name for names, _ in table_rows() for name in names if name not in fields)
    assert not stray, f"README configuration rows that no settings model reads: {stray}"


def test_the_table_states_the_models_defaults() -> None:
    fields = model_fields()
    checked = 0
    for names, cell in table_rows():
        per_role = cell.split(" / ")
        if len(per_role) > 1:  # one default per role: origin / edge / metrics
            (name,) = names
            for role, text in zip(ROLES, per_role, strict=True):
                info = role_settings(role).model_fields[name.removeprefix("SENDER_").lower()]
                assert info.default == parse_default(text), (name, role)
                checked += 1
            continue
        parts = [p.strip() for p in cell.split(",")]
        stated = parts if len(parts) == len(names) else [cell] * len(names)
        for name, text in zip(names, stated, strict=True):
            expected = parse_default(text)
            if expected is UNSTATED:
                continue
            for model, field in fields[name]:
                default = model.model_fields[field].get_default(call_default_factory=True)
                if expected is None and default == []:
                    default = None  # an empty list is "none" in words
                assert default == expected, (
                    f"{name}: README says {text!r}, {model.__name__} {default!r}"
                )
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("text", ["2", "5 s", "16 MiB", "5/s", "true", "none", "empty", "`x`"])
def test_defaults_in_words_parse(text: str) -> None:
    assert parse_default(text) is not UNSTATED


# variables the test suite reads (not settings of any role)
TEST_SWITCHES = {"SENDER_E2E_CONTAINERS"}


def test_docs_and_manifests_name_only_real_variables() -> None:
    """A renamed field leaves no stale `SENDER_*` name in the docs or the deploy manifests."""
    root = README.parent
    files = [README, *root.glob("docs/**/*.md"), *root.glob("*/README.md")]
    files += [p for p in (root / "deploy").rglob("*") if p.is_file()]
    fields = model_fields()
    stale = {
        f"{path.relative_to(root)}: {name}"
        for path in files
        for name in re.findall(r"SENDER_[A-Z0-9_]+", path.read_text(errors="replace"))
        if name not in fields and name not in TEST_SWITCHES
    }
    assert len(files) > 10
    assert not stale, sorted(stale)
