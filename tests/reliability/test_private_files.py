"""Private by default: the home folder 0700 and the store and journal 0600 whatever the umask, and no literal ``~``.

Real programs, real files. A program run with HOME unset under a uid without a passwd
entry (a container's arbitrary user) keeps its store in ``$XDG_STATE_HOME/neatlogs``, else
``<temp dir>/neatlogs-<uid>``: never in a folder named ``~`` under the working directory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from neatlogs.store import SCHEMA_VERSION

PROGRAM = textwrap.dedent("""
    import os, sys, neatlogs
    os.umask(0)  # the most permissive umask: modes must not depend on it
    neatlogs.init(session_id="private")

    @neatlogs.span(kind="AGENT")
    def turn(i):
        return i

    for i in range(5):
        turn(i)
""")

NOBODY_UID = 54_321  # no passwd entry on the test machine
assert_no_entry = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="running as a uid without a passwd entry needs root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(extra)
    return env


def test_home_store_and_journal_are_private_whatever_the_umask(tmp_path):
    home = tmp_path / "new" / "home"
    result = subprocess.run([sys.executable, "-c", PROGRAM], env=environment(NEATLOGS_HOME=str(home)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert mode(home) == 0o700
    assert mode(home / "traces.db") == 0o600
    # A store from a newer neatlogs: the spans go to the journal, private too.
    conn = sqlite3.connect(home / "traces.db", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    result = subprocess.run([sys.executable, "-c", PROGRAM], env=environment(NEATLOGS_HOME=str(home)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    journal = home / "journal"
    assert mode(journal) == 0o700
    files = list(journal.iterdir())
    assert files and all(mode(f) == 0o600 for f in files)


def test_a_home_made_for_the_spool_is_private(tmp_path):
    home = tmp_path / "spool-home"
    env = environment(NEATLOGS_HOME=str(home), NEATLOGS_ENDPOINT="http://127.0.0.1:9/")  # nobody listens there
    result = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert mode(home) == 0o700


def _become_nobody() -> None:
    os.setgid(NOBODY_UID)
    os.setuid(NOBODY_UID)


def _interpreter_for_nobody(env: dict[str, str]) -> str:
    """An interpreter that uid NOBODY_UID can run and import neatlogs with (ours may sit in root's home)."""
    candidates = [sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"]
    for python in candidates:
        try:
            probe = subprocess.run([python, "-c", "import neatlogs, opentelemetry.sdk.trace"], env=env,
                                   capture_output=True, timeout=60, preexec_fn=_become_nobody)
        except OSError:
            continue
        if probe.returncode == 0:
            return python
    pytest.skip("no interpreter that a uid without a passwd entry may run imports neatlogs here")


def _run_as_nobody(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    import opentelemetry

    import neatlogs

    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    env = environment(**extra)
    env.pop("HOME", None)
    # Same minor version: the site-packages of this venv serve a system interpreter too.
    paths = {str(Path(neatlogs.__file__).parents[1]), str(Path(list(opentelemetry.__path__)[0]).parent)}
    env["PYTHONPATH"] = os.pathsep.join(sorted(paths))
    python = _interpreter_for_nobody(env)
    return subprocess.run([python, "-c", PROGRAM], env=env, cwd=work, capture_output=True, text=True,
                          timeout=60, preexec_fn=_become_nobody)


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder other uids can reach (pytest's own tmp folders are root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="neatlogs-private-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@assert_no_entry
def test_no_home_and_no_passwd_entry_uses_the_temp_folder_per_user(open_tmp):
    tmp_path = open_tmp
    import pwd

    with pytest.raises(KeyError):
        pwd.getpwuid(NOBODY_UID)
    temp = tmp_path / "tmp"
    temp.mkdir()
    temp.chmod(0o1777)
    result = _run_as_nobody(tmp_path, TMPDIR=str(temp))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not (tmp_path / "work" / "~").exists()
    store = temp / f"neatlogs-{NOBODY_UID}" / "traces.db"
    assert store.exists()
    assert mode(store.parent) == 0o700 and mode(store) == 0o600
    assert sqlite3.connect(store).execute("SELECT COUNT(*) FROM spans").fetchone()[0] == 5


@assert_no_entry
def test_no_home_and_no_passwd_entry_prefers_xdg_state_home(open_tmp):
    tmp_path = open_tmp
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    result = _run_as_nobody(tmp_path, XDG_STATE_HOME=str(state))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "work" / "~").exists()
    store = state / "neatlogs" / "traces.db"
    assert sqlite3.connect(store).execute("SELECT COUNT(*) FROM spans").fetchone()[0] == 5


def test_the_spool_is_private_whatever_the_umask(tmp_path):
    home = tmp_path / "home"
    # Port 9 on loopback refuses: every span goes to the spool.
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60,
                            env=environment(NEATLOGS_HOME=str(home), NEATLOGS_ENDPOINT="http://127.0.0.1:9"))
    assert result.returncode == 0, result.stderr
    spooled = sorted((home / "spool").rglob("*"))
    bodies = [p for p in spooled if p.name.endswith(".otlp.gz")]
    assert bodies, result.stderr
    for path in spooled:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
