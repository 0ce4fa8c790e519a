"""The CLI's shared defaults: importing them (as the bootstrap does in every traced program) costs nothing."""

from __future__ import annotations

import subprocess
import sys

from neatlogs_cli import defaults


def test_defaults_import_nothing_heavy():
    code = ("import sys, neatlogs_cli.defaults; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('neatlogs', 'neatlogs_cli', 'typer', 'rich', 'starlette', 'opentelemetry')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "['neatlogs_cli', 'neatlogs_cli.defaults']"


def test_the_defaults():
    assert (defaults.DASHBOARD_HOST, defaults.DASHBOARD_PORT) == ("127.0.0.1", 6006)
    assert defaults.COLLECTOR_MAX_BODY == 16 * 1024 * 1024
    assert defaults.RUN_PID_ENV == "NEATLOGS_RUN_PID"
