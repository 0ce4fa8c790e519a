"""``neatlogs run``: replace this process with COMMAND, traced by the sitecustomize bootstrap.

The wrapper puts the bootstrap folder first on ``PYTHONPATH`` (keeping every other entry),
sets the ``NEATLOGS_*`` settings it was given plus one session id for the whole run, and
``exec``s COMMAND: stdin, stdout, the terminal, signals and the exit code are COMMAND's own.

It is reached through a fast path in ``neatlogs_cli.__main__`` that never imports typer or
rich, because its start-up time is added to every traced program's.
"""

from __future__ import annotations

import os
import sys

from .defaults import RUN_PID_ENV

__all__ = ["RunOptions", "UsageError", "bootstrap_folder", "build_environment", "main", "parse_arguments",
           "workflow_name_for"]

USAGE = """\
usage: neatlogs run [--workflow-name NAME] [--session-id ID] [--instrument openai,...]
                    [--endpoint URL | --local] [--no-content] [--debug] -- COMMAND [ARGS...]

Run COMMAND (python script.py, python -m module, a console script such as uvicorn or pytest)
with neatlogs tracing it: no change to its code. Its exit code is COMMAND's own.

options:
  --workflow-name NAME   service name of every span (default: the script's or module's name)
  --session-id ID        session id of the run (default: a new one, shared by child processes)
  --instrument LIST      libraries to instrument, comma separated (default: every supported library)
  --endpoint URL         send spans to this OTLP/HTTP endpoint, even if the program's init() names another
  --local                keep spans in the local store, even if the program's init() names an endpoint
  --no-content           do not record prompts, replies, inputs or outputs
  --debug                log what neatlogs does on stderr
  -h, --help             show this message
"""

BOOTSTRAP_FILE = "sitecustomize.py"
EXIT_USAGE = 2
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

_VALUE_OPTIONS = {
    "--workflow-name": "workflow_name",
    "--session-id": "session_id",
    "--instrument": "instrument",
    "--endpoint": "endpoint",
}
_FLAG_OPTIONS = {"--no-content": "no_content", "--debug": "debug", "--local": "local"}
# --endpoint and --local outrank the program's own init(endpoint=...): see neatlogs.config.
_OPTION_ENV = {
    "--workflow-name": "NEATLOGS_WORKFLOW_NAME",
    "--session-id": "NEATLOGS_SESSION_ID",
    "--instrument": "NEATLOGS_INSTRUMENTATIONS",
    "--endpoint": "NEATLOGS_RUN_ENDPOINT",
    "--local": "NEATLOGS_RUN_ENDPOINT",
    "--no-content": "NEATLOGS_CAPTURE_CONTENT",
    "--debug": "NEATLOGS_DEBUG",
}
# Interpreter options that take the next argument as their value (python -W spec, -X opt).
_PYTHON_OPTIONS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}


class UsageError(Exception):
    """The command line of ``neatlogs run`` was wrong; the message says how."""


class RunOptions:
    """What ``neatlogs run`` was asked to do: its options and the COMMAND to become."""

    def __init__(self) -> None:
        self.workflow_name: str | None = None
        self.session_id: str | None = None
        self.instrument: str | None = None
        self.endpoint: str | None = None
        self.no_content = False
        self.local = False
        self.debug = False
        self.help = False
        self.command: list[str] = []


def parse_arguments(argv: list[str]) -> RunOptions:
    """Parse ``neatlogs run``'s arguments; the first non-option (or whatever follows ``--``) is COMMAND.

    Raises:
        UsageError: an unknown option, an option without its value, or no COMMAND.
    """
    options = RunOptions()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, has_value, value = arg.partition("=")
        if name in _VALUE_OPTIONS:
            if not has_value:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"option {name} needs a value")
                value = argv[i]
            setattr(options, _VALUE_OPTIONS[name], value)
        elif arg in _FLAG_OPTIONS:
            setattr(options, _FLAG_OPTIONS[arg], True)
        elif arg in ("-h", "--help"):
            options.help = True
            return options
        else:
            raise UsageError(f"unknown option {arg}")
        i += 1
    options.command = argv[i:]
    if options.local and options.endpoint:
        raise UsageError("--local and --endpoint cannot be given together")
    if not options.command:
        raise UsageError("no COMMAND given")
    return options


def _is_python(executable: str) -> bool:
    name = os.path.basename(executable).lower()
    for prefix in ("python", "pypy"):
        if name.startswith(prefix):
            rest = name[len(prefix):].removesuffix(".exe").removesuffix("w")
            return all(c.isdigit() or c == "." for c in rest)
    return False


def _script_name(path: str) -> str | None:
    stem = os.path.splitext(os.path.basename(path.rstrip("/\\")))[0]
    if stem == "__main__":  # python pkg/__main__.py: the package names the program
        stem = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return stem or None


def workflow_name_for(command: list[str]) -> str | None:
    """The default workflow name for COMMAND: its script's stem, its ``-m`` module or its program name.

    None for ``python -c ...``, ``python -`` and a bare interpreter, where there is no name to take.
    """
    if not command:
        return None
    if not _is_python(command[0]):
        return _script_name(command[0])
    args = command[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-m" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-m") and len(arg) > 2:
            return arg[2:]
        if arg == "-c" or arg.startswith("-c") or arg == "-":
            return None
        if arg in _PYTHON_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return _script_name(arg)
    return None


def bootstrap_folder() -> str:
    """The folder holding the bootstrap ``sitecustomize.py``: in the installed wheel, else in the checkout.

    Raises:
        FileNotFoundError: neither place has it (a broken install).
    """
    package = os.path.dirname(os.path.abspath(__file__))
    candidates = (
        os.path.join(os.path.dirname(package), "sitecustomize_template"),  # wheel: site-packages/
        os.path.join(os.path.dirname(os.path.dirname(package)), "sitecustomize_template"),  # src/ checkout
    )
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, BOOTSTRAP_FILE)):
            return folder
    looked = ", ".join(candidates)
    raise FileNotFoundError(f"the neatlogs bootstrap is missing (looked in {looked}); reinstall neatlogs")


def _python_path(folder: str, existing: str | None) -> str:
    """``folder`` first, then every existing entry except earlier copies of ``folder`` (a nested run)."""
    if not existing:
        return folder
    kept = [
        entry for entry in existing.split(os.pathsep)
        if not entry or os.path.normcase(os.path.abspath(entry)) != os.path.normcase(folder)
    ]
    return os.pathsep.join([folder, *kept])


def build_environment(options: RunOptions, environ: dict[str, str], folder: str) -> dict[str, str]:
    """The environment COMMAND runs in: ``environ`` plus the bootstrap path, settings and session id.

    Raises:
        neatlogs.config.ConfigError: a setting (given, in the environment or in the config
            file) has a bad value.
    """
    from neatlogs import config
    from neatlogs.sessions import new_session_id

    env = dict(environ)
    for option, env_name in _OPTION_ENV.items():
        value = getattr(options, _VALUE_OPTIONS.get(option) or _FLAG_OPTIONS[option])
        if value is True:
            value = {"--no-content": "false", "--local": "local"}.get(option, "true")
        if value:
            env[env_name] = value
    # Resolve as the program will, so a bad setting fails here, before COMMAND starts.
    resolved = config.load(environ=env)
    if resolved.sources["workflow_name"] == "default":
        name = workflow_name_for(options.command)
        if name:
            env["NEATLOGS_WORKFLOW_NAME"] = name
    # One id for the run, in the environment so every Python child process shares it.
    env["NEATLOGS_SESSION_ID"] = resolved.session_id or new_session_id()
    env["PYTHONPATH"] = _python_path(folder, environ.get("PYTHONPATH"))
    env[RUN_PID_ENV] = str(os.getpid())  # exec keeps the pid: it is COMMAND's
    return env


def _fail(message: str, code: int) -> int:
    print(f"neatlogs: {message}", file=sys.stderr)
    return code


def main(argv: list[str]) -> int:
    """Run ``neatlogs run`` with ``argv`` (the arguments after ``run``).

    On success this never returns: the process becomes COMMAND. Otherwise it returns the
    exit code: 2 for a usage or settings error, 126 when COMMAND is not executable, 127
    when it is not found.
    """
    try:
        options = parse_arguments(argv)
    except UsageError as exc:
        sys.stderr.write(f"neatlogs run: {exc}\n{USAGE}")
        return EXIT_USAGE
    if options.help:
        sys.stdout.write(USAGE)
        return 0
    try:
        folder = bootstrap_folder()
    except FileNotFoundError as exc:
        return _fail(str(exc), 1)
    from neatlogs.config import ConfigError

    try:
        env = build_environment(options, dict(os.environ), folder)
    except ConfigError as exc:
        message = str(exc).removeprefix("neatlogs: ")
        for option, env_name in _OPTION_ENV.items():  # name what the user typed
            message = message.replace(f"environment {env_name}", option)
        return _fail(message, EXIT_USAGE)
    program = options.command[0]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(program, options.command, env)
    except FileNotFoundError:
        return _fail(f"command not found: {program}", EXIT_NOT_FOUND)
    except NotADirectoryError:
        return _fail(f"command not found: {program}", EXIT_NOT_FOUND)
    except PermissionError:
        return _fail(f"permission denied: {program} is not executable", EXIT_NOT_EXECUTABLE)
    except OSError as exc:
        return _fail(f"cannot run {program}: {exc.strerror or exc}", EXIT_NOT_EXECUTABLE)
    return 0  # pragma: no cover - exec does not return
