"""`neatlogs ui` as a user starts it: a real subprocess serving the store on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_serves_on_loopback_until_interrupted(tmp_path):
    port = free_port()
    db = str(tmp_path / "store.db")
    process = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "ui", "--port", str(port), "--db", db],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sessions", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        assert os.path.exists(db)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert f"neatlogs dashboard: http://127.0.0.1:{port}" in out
    assert f"NEATLOGS_ENDPOINT=http://127.0.0.1:{port}" in out
    assert "warning" not in err


def test_serving_another_address_without_a_key_warns():
    # --max-body 0 stops it after the warning and before it binds anything (tests stay on loopback).
    result = subprocess.run([sys.executable, "-m", "neatlogs_cli", "ui", "--host", "0.0.0.0", "--max-body", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "neatlogs: warning: serving on 0.0.0.0 without --api-key: anyone who can reach this address "
        "can read your traces and send spans",
        "neatlogs: max_body must be a positive number of bytes, got 0",
    ]
    keyed = subprocess.run([sys.executable, "-m", "neatlogs_cli", "ui", "--host", "0.0.0.0", "--max-body", "0",
                            "--api-key", "k"], capture_output=True, text=True, timeout=60)
    assert "warning" not in keyed.stderr
