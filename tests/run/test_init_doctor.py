"""``neatlogs init`` and ``neatlogs doctor`` through the real typer app."""

from __future__ import annotations

import socket
import stat
import sys

from typer.testing import CliRunner

from neatlogs import config
from neatlogs_cli.app import app
from neatlogs_cli.doctor import bootstrap_check, endpoint_check

runner = CliRunner()


def test_init_by_flags_writes_a_file_neatlogs_reads(tmp_path):
    result = runner.invoke(app, ["init", "--yes", "--workflow-name", "support-bot", "--endpoint",
                                 "http://127.0.0.1:6006", "--instrument", "openai,anthropic", "--no-auto-session"])
    assert result.exit_code == 0, result.output
    assert "NEATLOGS_API_KEY" in result.output  # no key written: told where to put it
    settings = config.load(environ={}, cwd=str(tmp_path))
    assert (settings.workflow_name, settings.endpoint) == ("support-bot", "http://127.0.0.1:6006")
    assert settings.instrumentations == ("openai", "anthropic") and settings.auto_session is False
    assert settings.api_key is None and "api_key" not in (tmp_path / "neatlogs.toml").read_text()


def test_init_api_key_only_when_given_then_mode_0600(tmp_path):
    result = runner.invoke(app, ["init", "--yes", "--api-key", "sk-abc"])
    assert result.exit_code == 0, result.output
    assert "version control" in result.output
    path = tmp_path / "neatlogs.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load(environ={}, cwd=str(tmp_path)).api_key == "sk-abc"


def test_init_asks_what_no_flag_gave(tmp_path):
    result = runner.invoke(app, ["init", "--endpoint", ""], input="my-bot\nopenai\nn\n")
    assert result.exit_code == 0, result.output
    settings = config.load(environ={}, cwd=str(tmp_path))
    assert (settings.workflow_name, settings.endpoint, settings.auto_session) == ("my-bot", None, False)


def test_init_keeps_an_existing_file_without_force(tmp_path):
    (tmp_path / "neatlogs.toml").write_text('workflow_name = "mine"\n')
    result = runner.invoke(app, ["init", "--yes"])
    assert result.exit_code == 1 and "--force" in result.output
    assert (tmp_path / "neatlogs.toml").read_text() == 'workflow_name = "mine"\n'
    assert runner.invoke(app, ["init", "--yes", "--force"]).exit_code == 0
    assert "mine" not in (tmp_path / "neatlogs.toml").read_text()


def test_init_rejects_a_bad_endpoint_in_one_line(tmp_path):
    result = runner.invoke(app, ["init", "--yes", "--endpoint", "ftp://nope"])
    assert result.exit_code == 1
    assert "endpoint" in result.output and "ftp://nope" in result.output
    assert not (tmp_path / "neatlogs.toml").exists()


def test_doctor_shows_sources_masks_the_key_and_reaches_the_endpoint(otlp_receiver, monkeypatch, tmp_path):
    (tmp_path / "neatlogs.toml").write_text('workflow_name = "from-file"\n')
    monkeypatch.setenv("NEATLOGS_ENDPOINT", otlp_receiver.endpoint)
    monkeypatch.setenv("NEATLOGS_API_KEY", "sk-very-secret")
    result = runner.invoke(app, ["doctor"])
    out = result.output
    assert "sk-very-secret" not in out
    assert "set (hidden)   [environment NEATLOGS_API_KEY]" in out
    assert f"config file {tmp_path / 'neatlogs.toml'}" in out and "from-file" in out
    assert "export: ok" in out and "answers (HTTP 200)" in out
    assert otlp_receiver.raw[0]["headers"].get("x-api-key") == "sk-very-secret"


def test_doctor_reports_an_endpoint_that_does_not_answer():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    status, detail = endpoint_check(f"http://127.0.0.1:{port}", None, timeout=2)
    assert status == "problem" and "does not answer" in detail


def test_bootstrap_check_under_this_python_and_a_bare_one(bare_venv):
    status, detail = bootstrap_check(sys.executable)
    assert status == "ok", detail
    status, detail = bootstrap_check(str(bare_venv / "bin" / "python"))
    assert status == "problem" and "untraced" in detail and "neatlogs is not installed" in detail
