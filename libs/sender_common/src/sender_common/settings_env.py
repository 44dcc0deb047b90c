"""A child role's environment, from its settings model.

Whoever starts a role process (`sender up`, tests, the e2e harness) builds its environment
from the role's model, `role_env("edge", upstream_url=...)` or `settings_env(given(Model,
...))`, so a misspelled or renamed field fails there, not silently in the child.
"""

from __future__ import annotations

__all__ = [
    "check_env_names",
    "env_name",
    "given",
    "role_env",
    "settings_env",
    "settings_from_env",
]

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_settings import BaseSettings, EnvSettingsSource, InitSettingsSource

from sender_common.settings import HLS_FIELDS, role_settings

S = TypeVar("S", bound=BaseSettings)


def env_name(model: type[BaseSettings], field: str) -> str:
    """The variable that sets `field` of `model`: its alias, or env prefix and name."""
    info = model.model_fields[field]
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    if alias:
        return alias.upper()
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


def given(model: type[S], /, **values: Any) -> S:
    """`model` validated from these field values and its defaults only (not the environment);
    `hls=HlsConfig(...)` stands for the `hls_*` fields. An unknown field is refused."""
    if (hls := values.pop("hls", None)) is not None:
        values |= {f"hls_{name}": getattr(hls, name) for name in HLS_FIELDS}
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
    return model(_build_sources=((InitSettingsSource(model, values),), {}))


class _GivenEnv(EnvSettingsSource):
    """The env source reading a given mapping instead of `os.environ`."""

    def __init__(self, model: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = dict(env)
        super().__init__(model)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return self._given
        return {key.lower(): value for key, value in self._given.items()}


def check_env_names(model: type[BaseSettings], names: Iterable[str]) -> None:
    """Refuse a variable with the model's prefix (`SENDER_`) that sets none of its fields."""
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    known = {env_name(model, field) for field in model.model_fields}
    unknown = sorted(n for n in names if n.upper().startswith(prefix) and n.upper() not in known)
    if unknown:
        raise ValueError(f"{model.__name__} has no variable {', '.join(unknown)}")


def settings_from_env(model: type[S], env: Mapping[str, str]) -> S:
    """`model` as a child process given exactly `env` reads it (not `os.environ`); see
    `check_env_names`."""
    check_env_names(model, env)
    return model(_build_sources=((_GivenEnv(model, env),), {}))


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):  # NoDecode lists, split on commas by their validators
        return ",".join(_env_value(item) for item in value)
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "2", as people write it
    return str(value)  # str() of a float is exact (its shortest round-tripping form)


def settings_env(settings: BaseSettings) -> dict[str, str]:
    """The variables that give a child process `settings`: each field set explicitly and not
    None (an unset variable means the default). Checked by reading them back."""
    model = type(settings)
    env = {
        env_name(model, name): _env_value(value)
        for name in sorted(settings.model_fields_set)
        if (value := getattr(settings, name)) is not None
    }
    back = settings_from_env(model, env)
    lost = sorted(
        name
        for name in settings.model_fields_set
        if getattr(settings, name) is not None and getattr(back, name) != getattr(settings, name)
    )
    if lost:
        raise ValueError(f"{model.__name__}: the environment cannot carry {', '.join(lost)}")
    return env


def role_env(role: str, /, **values: Any) -> dict[str, str]:
    """The variables giving a child `role` process these field values (see `given`)."""
    return settings_env(given(role_settings(role), **values))
