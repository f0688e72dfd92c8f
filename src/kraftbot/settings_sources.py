"""Where `load_settings` reads settings from (pydantic-settings sources), and a readable line per wrong setting.

Works on any settings class whose fields are sections (pydantic models), so `kraftbot.settings` can use it without an
import cycle.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, TomlConfigSettingsSource

ENV_PREFIX = "KRAFTBOT_"
CONFIG_ENV = f"{ENV_PREFIX}CONFIG"

# The [grounding] section was split into [check] and [followup]: where each key went.
MOVED_GROUNDING_KEYS = {
    "support_threshold": "check.support_threshold",
    "language": "check.language",
    "language_min_confidence": "check.language_min_confidence",
    "model_rewrite": "followup.model_rewrite",
}
# Settings of the generated answer and its extractive fallback, gone since answers are composed of
# the sources' claims by learned decisions: what took their place.
_LEARNED = "the learned ranking and decision took its place (answer.weights_file, answer.min_answerable)"
RETIRED = {
    "extractive": _LEARNED,
    "gate.absence_margin": _LEARNED,
    "gate.corpus_absences": "every statement of absence in the corpus is a candidate (answer.extra_absences)",
    "gate.lexical_weight": _LEARNED,
    "gate.min_dense": "off topic is judged against the index's own baseline (gate.off_topic_margin)",
    "gate.min_bm25": "off topic is judged against the index's own baseline (gate.off_topic_margin)",
    "answer.prompt_passages": "answers no longer come from a prompt: they quote the sources' claims",
    "answer.quote_evidence": "answers are the sources' own claims, quoted",
    "grounding.extractive_sentences": _LEARNED,
    "grounding.extractive_margin": _LEARNED,
    "grounding.extractive_min_similarity": _LEARNED,
    "grounding.extractive_type_bonus": _LEARNED,
    "grounding.extractive_draft_weight": _LEARNED,
    "grounding.quote_evidence": "answers are the sources' own claims, quoted",
}


def env_name(section: str, key: str) -> str:
    """The environment variable of a setting: `KRAFTBOT_<SECTION>_<KEY>`."""
    return f"{ENV_PREFIX}{section}_{key}".upper()


class EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=False)  # KRAFTBOT_LLM_BACKEND is llm.backend

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


# The file and the environment variables being read, while `reading` runs.
_READING: ContextVar[tuple[Path, Mapping[str, str]] | None] = ContextVar("kraftbot_settings_reading", default=None)


@contextmanager
def reading(config_file: Path, environ: Mapping[str, str]) -> Iterator[None]:
    """While inside, a settings class built reads `config_file` and `environ` (see `sources`)."""
    token = _READING.set((config_file, environ))
    try:
        yield
    finally:
        _READING.reset(token)


def sources(
    settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Highest priority first: arguments, environment, TOML file; outside `reading` the arguments alone."""
    current = _READING.get()
    if current is None:
        return (init_settings,)
    config_file, environ = current
    return init_settings, EnvironSource(settings_cls, environ), TomlConfigSettingsSource(settings_cls, config_file)


def _keys(settings_cls: type[BaseSettings], section: str) -> list[str]:
    field = settings_cls.model_fields.get(section)
    return list(field.annotation.model_fields) if field is not None else []  # type: ignore[union-attr]


def _unknown(settings_cls: type[BaseSettings], section: str, key: str = "") -> str:
    """Why `section.key` is no setting: retired, moved out of [grounding], or the nearest real name."""
    retired = RETIRED.get(f"{section}.{key}") or RETIRED.get(section)
    if retired:
        return f"no longer a setting: {retired}"
    if section == "grounding":
        new = MOVED_GROUNDING_KEYS.get(key)
        if new:
            section, key = new.split(".")
            return f"[grounding] was split up: this is now {new} ([{section}] {key}, {env_name(section, key)})"
        return "[grounding] was split into [check] and [followup]"
    if not key and section in settings_cls.model_fields:
        return f"a section, not a setting (one of its settings: {env_name(section, _keys(settings_cls, section)[0])})"
    if not key or section not in settings_cls.model_fields:
        close = difflib.get_close_matches(section.lower(), list(settings_cls.model_fields), n=1)
        return "unknown section" + (f" (did you mean [{close[0]}]?)" if close else "")
    close = difflib.get_close_matches(key.lower(), _keys(settings_cls, section), n=1)
    return "unknown setting" + (f" (did you mean {section}.{close[0]}?)" if close else "")


def known_environ(settings_cls: type[BaseSettings], environ: Mapping[str, str], problems: list[str]) -> dict[str, str]:
    """The `KRAFTBOT_<SECTION>_<KEY>` variables that name a setting; a line in `problems` for each other one.

    Only names starting with `KRAFTBOT_` count (other case is some other program's); `KRAFTBOT_CONFIG` names the file.
    """
    known: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        if key in _keys(settings_cls, section):
            known[name] = value
        else:
            setting = f"{section}.{key}" if key else section
            problems.append(f"environment variable {name}: {setting}: {_unknown(settings_cls, section, key)}")
    return known


def describe(
    error: ValidationError, settings_cls: type[BaseSettings], config_file: Path, environ: Mapping[str, str]
) -> list[str]:
    """One line per validation problem, naming the setting and where its value came from.

    `environ` holds the variables that were read: a value of a setting that has one came from it (it
    wins over the file); any other value came from `config_file`.
    """
    from_env = {name[len(ENV_PREFIX) :].lower(): name for name in environ}
    lines = []
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        variable = from_env.get("_".join(loc[:2])) if len(loc) > 1 else None
        source = f"environment variable {variable}" if variable else str(config_file)
        if problem["type"] != "extra_forbidden":
            lines.append(f"{source}: {'.'.join(loc)}: {problem['msg']} (got {problem['input']!r})")
        elif loc == ["grounding"] and isinstance(problem["input"], dict):
            lines += [
                f"{source}: grounding.{key}: {_unknown(settings_cls, 'grounding', key)}" for key in problem["input"]
            ]
        else:
            lines.append(f"{source}: {'.'.join(loc)}: {_unknown(settings_cls, *loc[:2])}")
    return lines
