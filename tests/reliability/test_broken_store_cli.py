"""A broken store is one line: `sessions`, `show`, `traces`, `doctor` and `ui` on a store that
is garbage, truncated, missing a table, from a newer schema, or read-only.

Each command runs as a real subprocess on a real SQLite file. A broken store gives exit
non-zero and one stderr line naming the problem and the fix, never a traceback. A read-only
store (a read-only tmpfs when the test runs as root, else a chmod) reads: the views work, and
`ui` serves it read-only, its collector answering a JSON error.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from http_client import http  # noqa: E402
from otlp_bodies import protobuf_body, turn_spans  # noqa: E402

from neatlogs import store  # noqa: E402

SESSION = "kept-session"
PROTOBUF = {"content-type": "application/x-protobuf"}


def neatlogs(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", *args], capture_output=True, text=True,
                          env=env, cwd=home, timeout=timeout)


def _seed(path: Path, turns: int = 200) -> None:
    conn = store.connect(str(path))
    from neatlogs_cli.server.otlp_decode import decode_request

    spans = [s for t in range(turns) for s in turn_spans(SESSION, t, f"question {t} " * 20, f"answer {t} " * 20)]
    store.insert_spans(conn, decode_request(protobuf_body(spans), "application/x-protobuf", None, 1 << 30))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database at all, just some text a tool left here\n" * 100)


def _truncated(path: Path) -> None:
    _seed(path)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 3)


def _missing_table(path: Path) -> None:
    _seed(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE sessions")
    conn.commit()
    conn.close()


def _newer_schema(path: Path) -> None:
    _seed(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 7}")
    conn.commit()
    conn.close()


BROKEN = {
    "garbage": (_garbage, "not a neatlogs store"),
    "truncated": (_truncated, "damaged"),
    "missing_table": (_missing_table, "no sessions table"),
    "newer_schema": (_newer_schema, f"schema version {store.SCHEMA_VERSION + 7}"),
}
COMMANDS = [("sessions",), ("sessions", "--json"), ("show", SESSION), ("show", SESSION, "--json"), ("traces",),
            ("doctor",)]


def _one_line(result: subprocess.CompletedProcess, needle: str) -> str:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    lines = [line for line in (result.stderr + result.stdout).splitlines() if needle in line]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_broken_store_is_one_line(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    make, needle = BROKEN[case]
    path = tmp_path / "traces.db"
    make(path)
    result = neatlogs(tmp_path, *command)
    line = _one_line(result, needle)
    assert str(path) in line
    assert "upgrade neatlogs" in line if case == "newer_schema" else "move it aside" in line
    if command[0] != "doctor":
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_ui_on_a_broken_store_exits_with_one_line(tmp_path: Path, case: str) -> None:
    make, needle = BROKEN[case]
    make(tmp_path / "traces.db")
    result = neatlogs(tmp_path, "ui", "--port", str(_free_port()), timeout=60)
    _one_line(result, needle)


@pytest.fixture
def readonly_home(tmp_path: Path) -> Iterator[Path]:
    """A NEATLOGS_HOME holding a seeded store that cannot be written (a read-only mount as root)."""
    home = tmp_path / "ro-home"
    home.mkdir()
    seeded = tmp_path / "seed.db"
    _seed(seeded, turns=5)
    if os.geteuid() == 0:
        if shutil.which("mount") is None:
            pytest.skip("running as root without mount: cannot make a read-only filesystem")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(home)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"running as root but tmpfs cannot be mounted: {mounted.stderr.decode().strip()}")
        try:
            shutil.copy(seeded, home / "traces.db")
            subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
            yield home
        finally:
            subprocess.run(["umount", "-l", str(home)])
    else:
        shutil.copy(seeded, home / "traces.db")
        os.chmod(home / "traces.db", 0o444)
        os.chmod(home, 0o555)
        try:
            yield home
        finally:
            os.chmod(home, 0o755)


def test_a_read_only_store_reads(readonly_home: Path) -> None:
    listed = neatlogs(readonly_home, "sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["session_id"] for s in json.loads(listed.stdout)] == [SESSION]
    shown = neatlogs(readonly_home, "show", SESSION)
    assert shown.returncode == 0 and "question 4" in shown.stdout, shown.stderr
    traces = neatlogs(readonly_home, "traces")
    assert traces.returncode == 0, traces.stderr
    doctor = neatlogs(readonly_home, "doctor")
    assert "Traceback" not in doctor.stderr + doctor.stdout
    assert any(line.startswith("store: problem:") and "read-only" in line for line in doctor.stdout.splitlines())


def test_ui_serves_a_read_only_store_read_only(readonly_home: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    proc = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "ui", "--port", str(port)],
                            env={**env, "NEATLOGS_HOME": str(readonly_home)}, cwd=readonly_home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "neatlogs ui did not start"
                time.sleep(0.05)
        assert http("GET", url + "/").status == 200
        page = http("GET", url + f"/sessions/{SESSION}")
        assert page.status == 200 and "question 4" in page.text
        assert http("GET", url + "/traces").status == 200
        refused = http("POST", url + "/v1/traces", protobuf_body(turn_spans("new", 99, "hi", "ho")), PROTOBUF)
        assert refused.status == 503 and "read-only" in refused.json()["error"]
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert "serving it read-only" in err
