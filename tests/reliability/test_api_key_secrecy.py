"""The API key never shows: not in spans, debug logs, errors, doctor output or the dashboard."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

KEY = "sk-neatlogs-very-secret-4242"


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(tmp_path), NEATLOGS_API_KEY=KEY, **extra)
    return env


def test_not_in_debug_logs_or_exit_messages_even_when_the_endpoint_refuses(tmp_path, otlp_receiver):
    otlp_receiver.status = 401
    code = "import neatlogs\nneatlogs.init(debug=True)\nwith neatlogs.trace('t'):\n    pass\n"
    result = subprocess.run([sys.executable, "-c", code], env=clean_env(tmp_path, NEATLOGS_ENDPOINT=otlp_receiver.endpoint),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "neatlogs debug:" in result.stderr  # debug logging was on
    assert "refused the API key" in result.stderr
    assert KEY not in result.stderr and KEY not in result.stdout
    body = gzip.decompress(otlp_receiver.raw[0]["body"])
    assert KEY.encode() not in body


def test_not_in_doctor_output(tmp_path):
    result = subprocess.run([sys.executable, "-m", "neatlogs_cli", "doctor"], env=clean_env(tmp_path),
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert "api_key" in output
    assert KEY not in output


def test_not_in_the_dashboard(tmp_path):
    from neatlogs import _testing, tracing
    from neatlogs_cli.ui import DashboardServer

    _testing.reset()
    os.environ["NEATLOGS_API_KEY"] = KEY
    try:
        import neatlogs

        neatlogs.init(session_id="secret-session")
        with neatlogs.trace("t"):
            pass
        neatlogs.flush()
        db = tracing.settings().store_path
    finally:
        del os.environ["NEATLOGS_API_KEY"]
    import urllib.request

    with DashboardServer(db) as server:
        pages = [urllib.request.urlopen(server.url + path, timeout=10).read().decode()
                 for path in ("/", "/sessions/secret-session", "/api/sessions", "/api/sessions/secret-session")]
    assert any("secret-session" in page for page in pages)
    assert not any(KEY in page for page in pages)
