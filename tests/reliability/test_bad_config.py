"""Every setting with a bad value, from the environment or the config file, is a one-line error naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from neatlogs.config import PARAMS, ConfigError, load

BAD_VALUES = {"bool": "perhaps", "url": "ftp://nowhere", "rate": "1.5", "list": None, "dict": None,
              "headers": "Authorization"}
CHECKED = [p for p in PARAMS if p.env and BAD_VALUES.get(p.kind)]
FILE_BAD = {"bool": '"perhaps"', "url": '"not a url"', "rate": "2", "list": "[1, 2]", "dict": '"text"',
            "str": "42", "path": "[]", "headers": "[1]"}


@pytest.mark.parametrize("param", CHECKED, ids=lambda p: p.env)
def test_bad_environment_value(param, tmp_path):
    with pytest.raises(ConfigError) as info:
        load({}, environ={param.env: BAD_VALUES[param.kind]}, cwd=str(tmp_path))
    message = str(info.value)
    assert "\n" not in message
    assert param.name in message and param.env in message


@pytest.mark.parametrize("param", [p for p in PARAMS if p.kind in FILE_BAD], ids=lambda p: p.name)
def test_bad_config_file_value(param, tmp_path):
    path = tmp_path / "neatlogs.toml"
    path.write_text(f"{param.name} = {FILE_BAD[param.kind]}\n")
    with pytest.raises(ConfigError) as info:
        load({}, environ={}, cwd=str(tmp_path))
    message = str(info.value)
    assert "\n" not in message
    assert param.name in message and str(path) in message


def test_a_program_gets_the_one_line_error_not_a_traceback_from_our_internals(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(tmp_path), NEATLOGS_SAMPLE_RATE="lots")
    result = subprocess.run([sys.executable, "-c", "import neatlogs; neatlogs.init()"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("neatlogs.config.ConfigError: neatlogs: sample_rate from environment NEATLOGS_SAMPLE_RATE")


def test_a_bad_header_never_shows_its_value():
    with pytest.raises(ConfigError) as info:
        load({}, environ={"OTEL_EXPORTER_OTLP_HEADERS": "Basic-secret-token"})
    assert "OTEL_EXPORTER_OTLP_HEADERS" in str(info.value) and "secret" not in str(info.value)
