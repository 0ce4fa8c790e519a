"""``neatlogs run`` as a command: arguments, exit codes, environment, workflow names (real exec)."""

from __future__ import annotations

import os
import subprocess

import pytest
from run_support import PROGRAMS

from neatlogs_cli.run import UsageError, parse_arguments, workflow_name_for

SHOW_ENV = "import os; print(os.environ['NEATLOGS_SESSION_ID']); print(os.environ.get('NEATLOGS_WORKFLOW_NAME'))"


def run(venv, *args, cwd=None, **env):
    return subprocess.run([venv.neatlogs, "run", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=venv.env(**env))


def test_parse_options_then_command():
    options = parse_arguments(["--workflow-name", "bot", "--debug", "--endpoint=http://x:1", "--", "python", "-u", "b.py"])
    assert (options.workflow_name, options.debug, options.endpoint) == ("bot", True, "http://x:1")
    assert options.command == ["python", "-u", "b.py"]
    # Without "--" the first non-option starts COMMAND; its own options stay its own.
    assert parse_arguments(["pytest", "--debug"]).command == ["pytest", "--debug"]


@pytest.mark.parametrize("argv", [[], ["--debug"], ["--nope", "--", "python"], ["--session-id"]])
def test_parse_rejects(argv):
    with pytest.raises(UsageError):
        parse_arguments(argv)


@pytest.mark.parametrize(("command", "name"), [
    (["python", "bot.py"], "bot"),
    (["python3.11", "-u", "-X", "dev", "src/agent.py", "--flag"], "agent"),
    (["python", "-m", "pkg.server"], "pkg.server"),
    (["/venv/bin/python", "-mhttp.server"], "http.server"),
    (["python", "pkg/__main__.py"], "pkg"),
    (["python", "-c", "pass"], None),
    (["uvicorn", "app:app"], "uvicorn"),
    (["/usr/local/bin/pytest"], "pytest"),
])
def test_workflow_name_for(command, name):
    assert workflow_name_for(command) == name


def test_usage_and_exit_2_without_command(traced_venv):
    result = run(traced_venv)
    assert result.returncode == 2
    assert "no COMMAND" in result.stderr and "usage: neatlogs run" in result.stderr


def test_usage_and_exit_2_on_unknown_option(traced_venv):
    result = run(traced_venv, "--colour", "--", "python", "-c", "pass")
    assert result.returncode == 2
    assert "unknown option --colour" in result.stderr and "usage: neatlogs run" in result.stderr


def test_help_exits_0(traced_venv):
    result = run(traced_venv, "--help")
    assert result.returncode == 0 and "usage: neatlogs run" in result.stdout


def test_command_not_found_is_127_with_one_line(traced_venv):
    result = run(traced_venv, "--", "no-such-command-neatlogs")
    assert result.returncode == 127
    assert result.stderr == "neatlogs: command not found: no-such-command-neatlogs\n"


def test_not_executable_is_126(traced_venv, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("print('hi')\n")
    result = run(traced_venv, "--", str(script))
    assert result.returncode == 126
    assert result.stderr.startswith("neatlogs: ") and str(script) in result.stderr


def test_bad_endpoint_is_one_line_and_exit_2(traced_venv):
    result = run(traced_venv, "--endpoint", "ftp://x", "--", "python", "-c", "pass")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--endpoint" in result.stderr


@pytest.mark.parametrize("code", [0, 3])
def test_exit_code_is_the_commands(traced_venv, code):
    result = run(traced_venv, "--", "python", "-c", f"import sys; sys.exit({code})")
    assert result.returncode == code, result.stderr
    assert result.stderr == ""


def test_exec_keeps_pid_stdin_and_output(traced_venv):
    proc = subprocess.Popen(
        [traced_venv.neatlogs, "run", "--", "python", "-c", "import os, sys; print(os.getpid(), sys.stdin.read())"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=traced_venv.env())
    out, _ = proc.communicate("hello", timeout=60)
    assert out.split() == [str(proc.pid), "hello"]  # exec, not a child: the same process


def test_environment_and_pythonpath(traced_venv, tmp_path):
    program = tmp_path / "show.py"
    program.write_text("import os, sys\nprint(os.environ['PYTHONPATH'])\nprint(sys.path)\n" + SHOW_ENV.replace("; ", "\n"))
    result = run(traced_venv, "--", "python", str(program), PYTHONPATH=f"{PROGRAMS}{os.pathsep}/somewhere/else")
    assert result.returncode == 0, result.stderr
    pythonpath, sys_path, session_id, workflow = result.stdout.splitlines()
    bootstrap, *rest = pythonpath.split(os.pathsep)
    assert bootstrap.endswith("sitecustomize_template") and "site-packages" in bootstrap  # from the wheel
    assert rest == [str(PROGRAMS), "/somewhere/else"]
    assert bootstrap not in sys_path and str(PROGRAMS) in sys_path  # the bootstrap took itself off
    assert len(session_id) == 36 and workflow == "show"


def test_workflow_name_options_and_config_file(traced_venv, tmp_path):
    program = ["python", "-c", SHOW_ENV]
    assert run(traced_venv, "--session-id", "s-1", "--workflow-name", "w", "--", *program).stdout.split() == ["s-1", "w"]
    # A name from the config file wins over the one taken from the command.
    (tmp_path / "neatlogs.toml").write_text('workflow_name = "from-file"\n')
    result = run(traced_venv, "--", "python", "-c", SHOW_ENV, "x.py", cwd=tmp_path)
    assert result.stdout.split()[1] == "None"


def test_nested_run_does_not_stack_the_bootstrap(traced_venv):
    result = run(traced_venv, "--session-id", "outer", "--", "neatlogs", "run", "--",
                 "python", "-c", "import os; print(os.environ['PYTHONPATH']); print(os.environ['NEATLOGS_SESSION_ID'])")
    assert result.returncode == 0, result.stderr
    pythonpath, session_id = result.stdout.split()
    assert pythonpath.count("sitecustomize_template") == 1
    assert session_id == "outer"  # the inner run keeps the outer run's session


def test_interpreter_without_neatlogs_runs_untraced_with_one_warning(traced_venv, bare_venv):
    result = run(traced_venv, "--", str(bare_venv / "bin" / "python"), "-c", "print('ran')")
    assert result.returncode == 0
    assert result.stdout == "ran\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("neatlogs: not tracing this program"), result.stderr
    debug = run(traced_venv, "--debug", "--", str(bare_venv / "bin" / "python"), "-c", "print('ran')")
    assert "ModuleNotFoundError" in debug.stderr and debug.stdout == "ran\n"


def test_fast_path_does_not_import_typer(traced_venv):
    probe = subprocess.run(
        [traced_venv.python, "-X", "importtime", "-c",
         "import sys; sys.argv = ['neatlogs', 'run', '--help']; from neatlogs_cli.__main__ import main\n"
         "try:\n    main()\nexcept SystemExit:\n    pass"],
        capture_output=True, text=True, env=traced_venv.env())
    assert probe.returncode == 0, probe.stderr
    imported = {line.split("|")[-1].strip() for line in probe.stderr.splitlines() if "|" in line}
    assert "neatlogs_cli.run" in imported
    assert not {"typer", "rich", "click", "opentelemetry"} & imported
