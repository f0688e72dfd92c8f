"""Settings: defaults < kraftbot.toml < KRAFTBOT_<SECTION>_<KEY>, readable errors, and the README table."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kraftbot.errors import ConfigurationError
from kraftbot.settings import Settings, load_settings
from kraftbot.settings_sources import MOVED_GROUNDING_KEYS, RETIRED, env_name
from kraftbot.settings_table import settings_table, with_settings_table

from .conftest import PROJECT_ROOT

NO_FILE = Path("/nonexistent/kraftbot.toml")


def write_config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "kraftbot.toml"
    config.write_text(text, encoding="utf-8")
    return config


def changed(settings: Settings) -> dict[str, dict[str, object]]:
    """The settings that differ from the defaults, by section."""
    defaults, loaded = Settings().model_dump(), settings.model_dump()
    return {
        section: {key: value for key, value in values.items() if defaults[section][key] != value}
        for section, values in loaded.items()
        if values != defaults[section]
    }


def test_environment_wins_over_file_and_file_over_defaults(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[llm]\nmax_new_tokens = 99\n[server]\nport = 9000\n")
    settings = load_settings(config_file=config, environ={"KRAFTBOT_SERVER_PORT": "9100"})
    assert changed(settings) == {"llm": {"max_new_tokens": 99}, "server": {"port": 9100}}


def test_nested_variables_set_exactly_their_field(tmp_path: Path) -> None:
    environ = {
        "KRAFTBOT_LLM_MAX_NEW_TOKENS": "7",  # the key holds "_": split only after the section
        "KRAFTBOT_RETRIEVAL_DECOMPOUND": "false",
        "KRAFTBOT_GATE_BLOCK_INJECTIONS": "0",
        "KRAFTBOT_PATHS_CORPUS_DIR": "docs",  # relative: from the working directory, as given
        "KRAFTBOT_EMBEDDING_QUERY_PREFIX": "query: ",
    }
    settings = load_settings(config_file=NO_FILE, environ=environ)
    assert changed(settings) == {
        "paths": {"corpus_dir": Path("docs")},
        "embedding": {"query_prefix": "query: "},
        "retrieval": {"decompound": False},
        "llm": {"max_new_tokens": 7},
        "gate": {"block_injections": False},
    }


def test_config_file_from_working_directory_then_variable_then_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "[server]\nport = 9001\n")
    other = tmp_path / "other.toml"
    other.write_text('[paths]\ncorpus_dir = "/data/docs"\n', encoding="utf-8")
    assert load_settings(environ={}).server.port == 9001
    named = load_settings(environ={"KRAFTBOT_CONFIG": str(other)})
    assert changed(named) == {"paths": {"corpus_dir": Path("/data/docs")}}
    explicit = load_settings(config_file=tmp_path / "kraftbot.toml", environ={"KRAFTBOT_CONFIG": str(other)})
    assert changed(explicit) == {"server": {"port": 9001}}


def test_given_environment_replaces_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAFTBOT_LLM_BACKEND", "extractive")
    assert load_settings(config_file=NO_FILE).llm.backend == "extractive"
    assert load_settings(config_file=NO_FILE, environ={}) == Settings()
    assert Settings().llm.backend == "llamacpp", "Settings() alone must not read the environment"


def test_unknown_key_in_file_is_refused_with_file_and_name(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[llm]\nmax_new_tokenz = 5\n[retreival]\ntop_k = 3\n[LLM]\nbackend = 'openai'\n")
    with pytest.raises(ConfigurationError, match=r"kraftbot\.toml: llm\.max_new_tokenz: unknown setting") as caught:
        load_settings(config_file=config, environ={})
    assert "did you mean llm.max_new_tokens?" in str(caught.value)
    assert "retreival: unknown section (did you mean [retrieval]?)" in str(caught.value)
    assert "LLM: unknown section (did you mean [llm]?)" in str(caught.value), "sections in the file are lower case"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("KRAFTBOT_LLM_NOKEY", "llm.nokey: unknown setting"),
        ("KRAFTBOT_NOSECTION_X", "nosection.x: unknown section"),
        ("KRAFTBOT_LLM", "llm: a section, not a setting"),
    ],
)
def test_unknown_variable_is_refused_with_its_name(name: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=f"environment variable {name}: {why}"):
        load_settings(config_file=NO_FILE, environ={name: "1", "OTHER_PROGRAM_SETTING": "x"})


def test_old_grounding_section_in_file_names_each_new_place_or_what_replaced_it(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "[grounding]\nextractive_margin = 0.1\nquote_evidence = false\nmodel_rewrite = true\n"
    )
    with pytest.raises(ConfigurationError, match=r"grounding\.model_rewrite: .*followup\.model_rewrite") as caught:
        load_settings(config_file=config, environ={})
    lines = str(caught.value).splitlines()[1:]
    assert len(lines) == 3
    assert any(
        "grounding.extractive_margin: no longer a setting" in line and "answer.weights_file" in line for line in lines
    )
    assert any("grounding.quote_evidence: no longer a setting" in line for line in lines)


def test_old_grounding_variable_names_the_new_variable() -> None:
    environ = {"KRAFTBOT_GROUNDING_SUPPORT_THRESHOLD": "0.8"}
    with pytest.raises(
        ConfigurationError,
        match=r"KRAFTBOT_GROUNDING_SUPPORT_THRESHOLD: .*check\.support_threshold .*KRAFTBOT_CHECK_SUPPORT_THRESHOLD",
    ):
        load_settings(config_file=NO_FILE, environ=environ)


@pytest.mark.parametrize(
    ("text", "name", "replacement"),
    [
        ("[extractive]\nsentences = 3\n", "extractive", "answer.weights_file"),
        ("[gate]\nabsence_margin = -0.01\n", "gate.absence_margin", "answer.min_answerable"),
        ("[gate]\ncorpus_absences = true\n", "gate.corpus_absences", "answer.extra_absences"),
        ("[gate]\nmin_dense = 0.835\n", "gate.min_dense", "gate.off_topic_margin"),
        ("[answer]\nprompt_passages = 3\n", "answer.prompt_passages", "quote the sources' claims"),
    ],
)
def test_a_retired_setting_in_a_file_is_refused_with_what_took_its_place(
    tmp_path: Path, text: str, name: str, replacement: str
) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"{re.escape(name)}: no longer a setting: .*{re.escape(replacement)}"
    ):
        load_settings(config_file=write_config(tmp_path, text), environ={})


@pytest.mark.parametrize("retired", RETIRED)
def test_every_retired_setting_is_refused_as_a_variable_and_is_no_setting_any_more(retired: str) -> None:
    section, _, key = retired.partition(".")
    assert key not in (
        Settings.model_fields[section].annotation.model_fields if section in Settings.model_fields else {}
    )  # type: ignore[union-attr]
    name = env_name(section, key or "sentences")
    with pytest.raises(ConfigurationError, match=rf"{name}: .*no longer a setting: {re.escape(RETIRED[retired])}"):
        load_settings(config_file=NO_FILE, environ={name: "1"})


def test_what_a_retired_setting_points_to_is_a_real_setting() -> None:
    named = {match for reason in RETIRED.values() for match in re.findall(r"\b([a-z]+)\.([a-z_]+)\b", reason)}
    assert named, "the reasons name the settings that replaced the retired ones"
    for section, key in named:
        assert key in Settings.model_fields[section].annotation.model_fields, f"{section}.{key}"  # type: ignore[union-attr]


@pytest.mark.parametrize(("old", "new"), MOVED_GROUNDING_KEYS.items())
def test_every_old_grounding_key_is_refused_with_a_real_new_place(old: str, new: str) -> None:
    section, key = new.split(".")
    assert key in Settings.model_fields[section].annotation.model_fields  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match=rf"grounding\.{old}: .*{re.escape(new)}"):
        load_settings(config_file=NO_FILE, environ={env_name("grounding", old): "1"})


@pytest.mark.parametrize(
    ("environ", "config_text", "match"),
    [
        (
            {"KRAFTBOT_RETRIEVAL_TOP_K": "0"},
            "",
            r"environment variable KRAFTBOT_RETRIEVAL_TOP_K: retrieval\.top_k: .*"
            r"greater than or equal to 1 \(got '0'\)",
        ),
        ({}, "[retrieval]\ntop_k = 0\n", r"kraftbot\.toml: retrieval\.top_k: .*greater than or equal to 1 \(got 0\)"),
        ({"KRAFTBOT_LLM_BACKEND": "nonsense"}, "", r"KRAFTBOT_LLM_BACKEND: llm\.backend: .*'extractive'"),
        ({"KRAFTBOT_SERVER_PORT": "x"}, "[server]\nport = 1\n", r"KRAFTBOT_SERVER_PORT: server\.port: .*integer"),
    ],
)
def test_invalid_value_names_setting_and_source(
    tmp_path: Path, environ: dict[str, str], config_text: str, match: str
) -> None:
    config = write_config(tmp_path, config_text)
    with pytest.raises(ConfigurationError, match=match):
        load_settings(config_file=config, environ=environ)


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[llm]\ntemperature = 5.0\n")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(config_file=config, environ={"KRAFTBOT_LLM_THREADZ": "2", "KRAFTBOT_ANSWER_QUOTE_CHARS": "1"})
    problems = str(caught.value).splitlines()[1:]
    assert [line.split(": ")[1] for line in problems] == ["llm.threadz", "llm.temperature", "answer.quote_chars"]


@pytest.mark.parametrize("content", [b"[llm\nbackend = 1\n", b"[llm]\nmodel = '\xff'\n"])
def test_unreadable_file_is_a_configuration_error(tmp_path: Path, content: bytes) -> None:
    config = tmp_path / "kraftbot.toml"
    config.write_bytes(content)
    with pytest.raises(ConfigurationError, match=r"kraftbot\.toml: cannot read this settings file"):
        load_settings(config_file=config, environ={})


def test_cpu_threads_zero_means_every_core() -> None:
    settings = Settings()
    assert settings.cpu_threads(3) == 3
    assert settings.cpu_threads(0) == (os.cpu_count() or 1)


def test_every_setting_and_section_is_described() -> None:
    undescribed = [
        f"{section}.{key}"
        for section, section_field in Settings.model_fields.items()
        for key, field in section_field.annotation.model_fields.items()  # type: ignore[union-attr]
        if not (field.description or "").strip()
    ]
    assert not undescribed, f"give these fields a description in settings.py: {undescribed}"
    assert all((field.description or "").strip() for field in Settings.model_fields.values())


def test_readme_holds_the_current_settings_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert with_settings_table(readme) == readme, (
        "README settings table is out of date: regenerate it with `.venv/bin/python scripts/readme_settings.py`"
    )
    rows = settings_table().splitlines()[2:]
    fields = sum(len(field.annotation.model_fields) for field in Settings.model_fields.values())  # type: ignore[union-attr]
    assert len(rows) == fields
    assert (
        "| `answer.quote_chars` | `KRAFTBOT_ANSWER_QUOTE_CHARS` | `240` | Longest quote shown under a citation. |"
        in rows
    )
    assert any(row.startswith("| `answer.weights_file` | `KRAFTBOT_ANSWER_WEIGHTS_FILE` | `null` |") for row in rows)
    assert any(row.startswith("| `paths.model_cache_dir` |") and '`"~/.cache/kraftbot/models"`' in row for row in rows)
