"""Config precedence (argument > env > OTEL env > file > default) and one-line errors."""

from __future__ import annotations

import pytest

from neatlogs import config
from neatlogs.config import ConfigError, load


def write(path, text):
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_set(tmp_path):
    settings = load({}, environ={}, cwd=str(tmp_path))
    assert settings.endpoint is None
    assert settings.capture_content is True
    assert settings.sources["endpoint"] == "default"


def test_argument_beats_environment_beats_file(tmp_path):
    write(tmp_path / "neatlogs.toml", 'workflow_name = "from-file"\nuser_id = "file-user"\ndebug = true\n')
    env = {"NEATLOGS_WORKFLOW_NAME": "from-env", "NEATLOGS_USER_ID": "env-user"}
    settings = load({"workflow_name": "from-arg"}, environ=env, cwd=str(tmp_path))
    assert settings.workflow_name == "from-arg"
    assert settings.user_id == "env-user"
    assert settings.debug is True
    assert settings.sources["workflow_name"] == "argument"
    assert settings.sources["user_id"] == "environment NEATLOGS_USER_ID"
    assert settings.sources["debug"] == f"config file {tmp_path / 'neatlogs.toml'}"


def test_standard_otel_variables_sit_between_neatlogs_env_and_file(tmp_path):
    write(tmp_path / "neatlogs.toml", 'endpoint = "http://file:1"\n')
    settings = load({}, environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:2"}, cwd=str(tmp_path))
    assert settings.endpoint == "http://otel:2"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:2", "NEATLOGS_ENDPOINT": "http://nl:3"}
    assert load({}, environ=env, cwd=str(tmp_path)).endpoint == "http://nl:3"


def test_nearest_parent_neatlogs_toml_is_found(tmp_path):
    write(tmp_path / "neatlogs.toml", 'workflow_name = "parent"\n')
    child = tmp_path / "a" / "b"
    child.mkdir(parents=True)
    assert load({}, environ={}, cwd=str(child)).workflow_name == "parent"


def test_tool_neatlogs_in_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.neatlogs]\nworkflow_name = "py"\ntags = ["a", "b"]\n')
    settings = load({}, environ={}, cwd=str(tmp_path))
    assert settings.workflow_name == "py"
    assert settings.tags == ("a", "b")


def test_neatlogs_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.neatlogs]\nworkflow_name = "py"\n')
    write(tmp_path / "neatlogs.toml", 'workflow_name = "toml"\n')
    assert load({}, environ={}, cwd=str(tmp_path)).workflow_name == "toml"


def test_neatlogs_config_points_at_a_file(tmp_path):
    config = write(tmp_path / "elsewhere.toml", 'workflow_name = "explicit"\n')
    assert load({}, environ={"NEATLOGS_CONFIG": str(config)}, cwd="/").workflow_name == "explicit"


def test_lists_and_bools_from_environment(tmp_path):
    env = {"NEATLOGS_INSTRUMENTATIONS": "openai, anthropic", "NEATLOGS_CAPTURE_CONTENT": "false",
           "NEATLOGS_AUTO_SESSION": "1"}
    settings = load({}, environ=env, cwd=str(tmp_path))
    assert settings.instrumentations == ("openai", "anthropic")
    assert settings.capture_content is False
    assert settings.auto_session is True


# --- one-line errors, one test per kind of bad value ----------------------------------
def assert_one_line_naming(error: ConfigError, *needles: str) -> None:
    message = str(error)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


def test_bad_boolean_in_environment(tmp_path):
    with pytest.raises(ConfigError) as info:
        load({}, environ={"NEATLOGS_CAPTURE_CONTENT": "maybe"}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "capture_content", "NEATLOGS_CAPTURE_CONTENT", "maybe")


def test_bad_url_in_environment(tmp_path):
    with pytest.raises(ConfigError) as info:
        load({}, environ={"NEATLOGS_ENDPOINT": "localhost:4318"}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "endpoint", "NEATLOGS_ENDPOINT", "URL")


def test_bad_sample_rate_argument(tmp_path):
    with pytest.raises(ConfigError) as info:
        load({"sample_rate": 3}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "sample_rate", "argument")


def test_wrong_type_in_config_file(tmp_path):
    path = write(tmp_path / "neatlogs.toml", "auto_session = \"sometimes\"\n")
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "auto_session", str(path))


def test_list_of_non_strings_in_config_file(tmp_path):
    write(tmp_path / "neatlogs.toml", "tags = [1, 2]\n")
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "tags", "list of strings")


def test_unknown_key_in_config_file(tmp_path):
    path = write(tmp_path / "neatlogs.toml", 'endpiont = "http://x"\n')
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "endpiont", str(path))


def test_broken_toml(tmp_path):
    path = write(tmp_path / "neatlogs.toml", "endpoint = \n")
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, str(path), "not valid TOML")


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load({}, environ={"NEATLOGS_CONFIG": str(tmp_path / "nope.toml")}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "nope.toml", "cannot read")


def test_unknown_init_argument(tmp_path):
    with pytest.raises(ConfigError) as info:
        load({"endpont": "x"}, environ={}, cwd=str(tmp_path))
    assert_one_line_naming(info.value, "endpont")


def test_api_key_is_never_shown_in_errors(tmp_path):
    write(tmp_path / "neatlogs.toml", "api_key = 12345678\n")
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    assert "12345678" not in str(info.value)
    assert "api_key" in str(info.value)


def test_neatlogs_run_endpoint_choice_outranks_the_init_argument(tmp_path):
    given = {"endpoint": "https://program.example"}
    chosen = config.load(given, environ={"NEATLOGS_RUN_ENDPOINT": "http://127.0.0.1:4318"}, cwd=str(tmp_path))
    assert (chosen.endpoint, chosen.sources["endpoint"]) == ("http://127.0.0.1:4318", "neatlogs run --endpoint")
    local = config.load(given, environ={"NEATLOGS_RUN_ENDPOINT": "local", "NEATLOGS_ENDPOINT": "https://x.example"},
                        cwd=str(tmp_path))
    assert (local.endpoint, local.sources["endpoint"]) == (None, "neatlogs run --local")
    plain = config.load(given, environ={"NEATLOGS_ENDPOINT": "https://env.example"}, cwd=str(tmp_path))
    assert plain.endpoint == "https://program.example"  # plain environment keeps today's precedence


def test_max_value_chars_defaults_by_destination_and_is_a_setting(tmp_path):
    assert config.load(environ={}, cwd=str(tmp_path)).value_limit == 1_000_000
    assert config.load(environ={"NEATLOGS_ENDPOINT": "http://127.0.0.1:1"}, cwd=str(tmp_path)).value_limit == 32_000
    assert config.load({"max_value_chars": 500}, environ={}, cwd=str(tmp_path)).value_limit == 500
    with pytest.raises(config.ConfigError, match="max_value_chars from environment NEATLOGS_MAX_VALUE_CHARS"):
        config.load(environ={"NEATLOGS_MAX_VALUE_CHARS": "lots"}, cwd=str(tmp_path))
