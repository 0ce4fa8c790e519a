"""A local store that cannot be written never loses spans in silence (real programs, real SQLite files).

Damaged files are moved aside and a fresh store started; a newer neatlogs' store is never
written; a store locked past the exit bound, or a newer one, sends its spans to the journal,
which the next run or ``neatlogs push --local`` writes into the store; when nothing under the
home can be written (a full or read-only file system), one line at exit counts what was lost.
The program's exit code is its own throughout.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from neatlogs.store import SCHEMA_VERSION

PROGRAM = textwrap.dedent("""
    import sys, time, neatlogs
    neatlogs.init(session_id=sys.argv[1])

    @neatlogs.span(kind="AGENT")
    def turn(i):
        return f"reply {i}"

    count, pause = int(sys.argv[2]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    for i in range(count):
        if pause and i == count * 3 // 4:
            time.sleep(pause)  # the export worker starts writing the first spans meanwhile
        turn(i)
    sys.exit(int(sys.argv[3]))
""")

NEATLOGS = os.path.join(os.path.dirname(sys.executable), "neatlogs")


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = str(home)
    return env


def run_program(home: Path, session: str, spans: int = 40, status: int = 0,
                pause: float = 0.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, session, str(spans), str(status), str(pause)],
                          env=environment(home), capture_output=True, text=True, timeout=60)


def push_local(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEATLOGS, "push", "--local"], env=environment(home), capture_output=True, text=True,
                          timeout=60)


def stored(home: Path, session: str) -> int:
    conn = sqlite3.connect(f"file:{home / 'traces.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM spans WHERE session_id = ?", (session,)).fetchone()[0]
    finally:
        conn.close()


def neatlogs_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("neatlogs:")]


def journal_files(home: Path) -> list[str]:
    return glob.glob(str(home / "journal" / "*.jsonl"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    result = run_program(folder, "earlier", spans=3)  # a store with some history
    assert result.returncode == 0, result.stderr
    assert stored(folder, "earlier") == 3
    return folder


def _damage_with_garbage(db: Path) -> None:
    db.write_bytes(os.urandom(64 * 1024))


def _damage_by_truncation(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE padding (x TEXT)")
    conn.executemany("INSERT INTO padding VALUES (?)", [("x" * 500,)] * 2000)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = db.stat().st_size
    with open(db, "r+b") as f:
        f.truncate(size // 2)


def _damage_by_dropping_a_table(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TABLE sessions")
    conn.close()


@pytest.mark.parametrize("damage", [_damage_with_garbage, _damage_by_truncation, _damage_by_dropping_a_table],
                         ids=["garbage", "truncated", "table dropped"])
def test_a_damaged_store_is_moved_aside_and_a_fresh_one_takes_every_span(home, damage):
    damage(home / "traces.db")
    before = (home / "traces.db").read_bytes()
    result = run_program(home, "after-damage", status=3)
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "was damaged" in lines[0] and "moved aside to traces.db.corrupt-" in lines[0]
    assert "a fresh store was started" in lines[0]
    assert stored(home, "after-damage") == 40
    [aside] = glob.glob(str(home / "traces.db.corrupt-*[0-9Z]"))
    assert Path(aside).read_bytes() == before  # kept as it was, for whoever wants to rescue it
    assert journal_files(home) == []


def test_a_newer_store_is_never_written_and_its_spans_wait_in_the_journal(home):
    db = home / "traces.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    result = run_program(home, "newer", status=3)
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert any(f"written by a newer neatlogs (store schema {SCHEMA_VERSION + 1}" in line for line in lines), lines
    assert any("40 spans could not be written" in line and "push --local" in line for line in lines), lines
    assert len(lines) == 2, lines
    assert stored(home, "newer") == 0
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1  # never migrated down
    conn.close()
    refused = push_local(home)
    assert refused.returncode == 1 and "newer neatlogs" in refused.stderr
    # The user moves the newer store away (or downgrades it): the journal then fills the store.
    db.rename(home / "newer.db")
    pushed = push_local(home)
    assert pushed.returncode == 0, pushed.stderr
    assert "wrote 40 spans from the journal" in pushed.stdout
    assert stored(home, "newer") == 40
    assert journal_files(home) == []
    assert push_local(home).stdout.startswith("journal empty")


@contextlib.contextmanager
def write_lock_held(db: Path) -> Iterator[None]:
    """Another process holding the store's write lock (BEGIN EXCLUSIVE) until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()\n", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate(timeout=30)


def test_a_store_locked_past_the_exit_bound_keeps_the_spans_for_the_next_run(home):
    with write_lock_held(home / "traces.db"):
        result = run_program(home, "locked", status=3)
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "40 spans could not be written" in lines[0] and "database is locked" in lines[0]
    assert journal_files(home)
    assert stored(home, "locked") == 0
    nxt = run_program(home, "next", spans=1)  # the next process writes the journal in on its first write
    assert nxt.returncode == 0 and neatlogs_lines(nxt.stderr) == [], nxt.stderr
    assert stored(home, "locked") == 40
    assert stored(home, "next") == 1
    assert journal_files(home) == []


def test_a_write_still_waiting_on_the_lock_at_exit_is_kept_once(home):
    with write_lock_held(home / "traces.db"):
        result = run_program(home, "waiting", status=3, pause=1.5)
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("neatlogs: 40 spans could not be written"), result.stderr
    pushed = push_local(home)
    assert pushed.returncode == 0, pushed.stderr
    assert stored(home, "waiting") == 40


def test_push_local_writes_the_journal_into_the_store(home):
    with write_lock_held(home / "traces.db"):
        result = run_program(home, "locked")
        assert result.returncode == 0
        busy = push_local(home)
        assert busy.returncode == 1 and "database is locked" in busy.stderr
    pushed = push_local(home)
    assert pushed.returncode == 0, pushed.stderr
    assert stored(home, "locked") == 40
    assert journal_files(home) == []


def test_the_exit_line_never_says_recorded_for_spans_that_were_not(home):
    import pty

    with write_lock_held(home / "traces.db"):
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [NEATLOGS, "run", "--session-id", "hint-locked", "--", sys.executable, "-c", PROGRAM, "hint-locked", "5",
             "0"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=environment(home))
        os.close(slave)
        output = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        os.close(master)
        assert proc.wait(timeout=60) == 0
    text = output.decode()
    assert "recorded; see it with" not in text
    assert "session hint-locked not fully recorded: 5 spans are not in the store" in text
    assert "5 spans could not be written" in text


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def small_filesystem(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``folder`` (root only: CI runs as root)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


needs_root = pytest.mark.skipif(not _is_root(), reason="a full or read-only file system needs a tmpfs mount (root)")


@needs_root
def test_a_full_disk_counts_the_lost_spans_in_one_line(tmp_path):
    with small_filesystem(tmp_path / "home", "size=1m") as home:
        first = run_program(home, "before-full", spans=2)
        assert first.returncode == 0, first.stderr
        fd = os.open(home / "filler", os.O_WRONLY | os.O_CREAT)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 512)
        os.close(fd)
        result = run_program(home, "full", status=3)
        assert result.returncode == 3
        lines = neatlogs_lines(result.stderr)
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("neatlogs: 40 spans were lost: neither")
        assert "no space left on device" in lines[0] or "disk is full" in lines[0]
        (home / "filler").unlink()
        after = run_program(home, "after-full", spans=2)
        assert after.returncode == 0 and neatlogs_lines(after.stderr) == [], after.stderr
        assert stored(home, "after-full") == 2


@needs_root
def test_a_read_only_home_counts_the_lost_spans_in_one_line(tmp_path):
    with small_filesystem(tmp_path / "home", "size=1m") as home:
        first = run_program(home, "before-ro", spans=2)
        assert first.returncode == 0, first.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        result = run_program(home, "read-only", status=3)
        assert result.returncode == 3
        lines = neatlogs_lines(result.stderr)
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("neatlogs: 40 spans were lost: neither")
        assert "read-only" in lines[0] or "readonly" in lines[0]


@pytest.mark.skipif(_is_root(), reason="root ignores file modes: the tmpfs tests above cover a read-only home")
def test_a_home_without_write_permission_counts_the_lost_spans(home):
    home.chmod(0o500)
    (home / "traces.db").chmod(0o400)
    try:
        result = run_program(home, "read-only", status=3)
    finally:
        home.chmod(0o700)
        (home / "traces.db").chmod(0o600)
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert len(lines) == 1 and "40 spans were lost" in lines[0], result.stderr
