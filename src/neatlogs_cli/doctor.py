"""``neatlogs doctor``: the settings in effect and where each came from, and whether things work.

It checks that the settings resolve, that the endpoint answers (or the local store can be
written), that the bootstrap would load under the ``python`` on PATH, and which instrumented
libraries this interpreter has. The API key is never printed, only whether it is set.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from typing import Callable

from neatlogs import config

__all__ = ["ENDPOINT_TIMEOUT_SECONDS", "bootstrap_check", "doctor", "endpoint_check", "masked",
           "store_readable_check"]

ENDPOINT_TIMEOUT_SECONDS = 3.0
OK, PROBLEM = "ok", "problem"


def masked(value: object, secret: bool) -> str:
    """How a setting's value is shown: a secret only as set or not."""
    if secret:
        return "set (hidden)" if value else "not set"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    return "(none)" if value is None else str(value)


def endpoint_check(endpoint: str, api_key: str | None, timeout: float = ENDPOINT_TIMEOUT_SECONDS,
                   extra_headers: dict[str, str] | None = None) -> tuple[str, str]:
    """POST an empty OTLP export with the exporter's headers to the endpoint; return (ok|problem, what happened)."""
    import urllib.error
    import urllib.request

    from neatlogs.export.otlp import traces_url

    url = traces_url(endpoint)
    headers = {**(extra_headers or {}), "content-type": "application/x-protobuf"}
    if api_key:
        headers["x-api-key"] = api_key
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return OK, f"{url} answers (HTTP {response.status})"
    except urllib.error.HTTPError as exc:
        hint = " (check the API key or the headers)" if exc.code in (401, 403) else ""
        return PROBLEM, f"{url} answers but refused an empty export: HTTP {exc.code}{hint}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return PROBLEM, f"{url} does not answer: {reason}"


def store_check(path: str) -> tuple[str, str]:
    """Whether the local store's folder exists or can be made, and is writable."""
    folder = os.path.dirname(path)
    probe = folder
    while probe and not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if probe and os.access(probe, os.W_OK):
        return OK, f"local store {path} (writable)"
    return PROBLEM, f"local store {path}: {probe or folder} is not writable"


def store_readable_check(path: str) -> tuple[str, str] | None:
    """Whether the local store reads (None: no store yet): a broken one names the problem and the fix."""
    from .store_open import StoreProblem, is_writable, open_for_reading

    try:
        conn = open_for_reading(path)
    except StoreProblem as problem:
        return PROBLEM, str(problem)
    if conn is None:
        return None
    try:
        sessions = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    except sqlite3.DatabaseError as error:
        from .store_open import describe

        return PROBLEM, describe(path, error)
    finally:
        conn.close()
    mode = "" if is_writable(path) else " (read-only: traced runs cannot record into it)"
    return (OK if not mode else PROBLEM), f"{path} reads: {sessions} sessions{mode}"


def bootstrap_check(python: str | None = None) -> tuple[str, str]:
    """Would the bootstrap load neatlogs under ``python`` (default: the ``python`` on PATH)?"""
    from .run import bootstrap_folder

    python = python or shutil.which("python") or shutil.which("python3")
    if not python:
        return PROBLEM, "no python on PATH"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEATLOGS_")}
    inherited = os.environ.get("PYTHONPATH")
    env["PYTHONPATH"] = bootstrap_folder() + (os.pathsep + inherited if inherited else "")
    env["NEATLOGS_DISABLED"] = "true"  # load it, trace nothing
    env["NEATLOGS_DEBUG"] = "true"
    probe = "import sys; m = sys.modules.get('neatlogs'); print(m.__version__ if m else '')"
    try:
        result = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PROBLEM, f"{python} could not be run: {exc}"
    version = result.stdout.strip()
    if result.returncode == 0 and version:
        return OK, f"{python} loads the bootstrap (neatlogs {version})"
    why = next((line for line in result.stderr.splitlines() if line.startswith("neatlogs:")), result.stderr.strip())
    return PROBLEM, f"{python} would run programs untraced: {why.removeprefix('neatlogs: ') or 'unknown reason'}"


def instrumentation_lines() -> list[str]:
    """One line per known instrumentation: whether its library is installed here."""
    import importlib.util

    from neatlogs.instrumentation import REGISTRY
    from neatlogs.instrumentation._adopted import INSTRUMENTORS

    def installed(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    lines = []
    for name, (library, _module) in sorted(REGISTRY.items()):
        if not installed(library):
            lines.append(f"{name}: not installed in {sys.executable}")
        elif name in INSTRUMENTORS and not installed(INSTRUMENTORS[name][0]):
            lines.append(f"{name}: installed, not traced without its extra: pip install 'neatlogs[{name}]'")
        else:
            lines.append(f"{name}: installed")
    return lines


def doctor(echo: Callable[[str], None] = print, environ: dict[str, str] | None = None, cwd: str | None = None) -> int:
    """Print the report; return 0 when every check passed, else 1."""
    problems = 0
    try:
        settings = config.load(environ=os.environ if environ is None else environ, cwd=cwd)
    except config.ConfigError as exc:
        echo(f"settings: {PROBLEM}: {str(exc).removeprefix('neatlogs: ')}")
        return 1
    echo(f"config file: {settings.config_file or '(none found)'}")
    echo("settings in effect:")
    width = max(len(p.name) for p in config.PARAMS)
    for param in config.PARAMS:
        value = masked(getattr(settings, param.name), param.secret)
        echo(f"  {param.name:<{width}}  {value}   [{settings.sources.get(param.name, 'default')}]")
    if settings.endpoint:
        status, detail = endpoint_check(settings.endpoint, settings.api_key, extra_headers=settings.headers)
    else:
        status, detail = store_check(settings.store_path)
    problems += status == PROBLEM
    echo(f"export: {status}: {detail}")
    readable = store_readable_check(settings.store_path)
    if readable is not None:
        status, detail = readable
        problems += status == PROBLEM
        echo(f"store: {status}: {detail}")
    status, detail = bootstrap_check()
    problems += status == PROBLEM
    echo(f"bootstrap: {status}: {detail}")
    echo("instrumentations:")
    for line in instrumentation_lines():
        echo(f"  {line}")
    return 1 if problems else 0
