"""The store's journal: spans the local store could not take, kept in files until a writer can.

When ``traces.db`` cannot be written (locked past the wait, full, read-only, from a newer
neatlogs, damaged while being replaced), the batch goes to ``<home>/journal/`` as one file
of JSON lines: a header ``{"neatlogs_journal": 1, "spans": N}`` and one ``SpanRecord`` per
line. Files are written whole (a temporary name, then a rename) with mode 0600. The next
process that writes to the store, or ``neatlogs push --local``, replays them: a replayer
claims a file by renaming it to ``<name>.claim-<pid>``; a claim whose process is gone is
taken back. Rows already in the store are skipped on insert, so a file replayed twice (a
claimant killed after its commit) never counts twice.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Iterable

from .._files import private_folder, write_private
from .records import SpanRecord

if TYPE_CHECKING:
    import sqlite3

__all__ = ["FORMAT", "MAX_BYTES", "journal_folder", "pending", "pending_spans", "put", "read", "replay"]

FORMAT = 1
"""Version of the file format; a file of another version is left for the neatlogs that wrote it."""

MAX_BYTES = 256 * 1024 * 1024
"""Bound on the journal's size: a store that stays unwritable must not fill the disk (later spans are counted lost)."""

_SUFFIX = ".jsonl"
_CLAIM = ".claim-"


def journal_folder(store_path: str) -> str:
    """The journal folder of the store at ``store_path``: ``journal/`` beside it."""
    return os.path.join(os.path.dirname(os.path.abspath(store_path)), "journal")


def put(store_path: str, records: Iterable[SpanRecord]) -> int:
    """Keep ``records`` in a new journal file; return how many were kept.

    Raises:
        OSError: nothing could be written (a read-only or full file system).
    """
    lines = [json.dumps(asdict(r), default=str, separators=(",", ":")) for r in records]
    if not lines:
        return 0
    header = json.dumps({"neatlogs_journal": FORMAT, "spans": len(lines)})
    folder = private_folder(journal_folder(store_path))
    if _size(folder) >= MAX_BYTES:
        import errno

        raise OSError(errno.ENOSPC, f"the journal is full ({MAX_BYTES // (1024 * 1024)} MiB)")
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}{_SUFFIX}"
    # ensure_ascii (the default): a lone surrogate is kept as an escape, never an encoding error.
    write_private(os.path.join(folder, name), "\n".join([header, *lines, ""]).encode("ascii"))
    return len(lines)


def _size(folder: str) -> int:
    total = 0
    for entry in os.scandir(folder):
        try:
            total += entry.stat().st_size
        except OSError:
            continue  # replayed and removed meanwhile
    return total


def pending(store_path: str) -> list[str]:
    """Paths of the journal files waiting to be written, oldest first (dead claimants' taken back)."""
    folder = journal_folder(store_path)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    files = []
    for name in names:
        if name.endswith(_SUFFIX):
            files.append(name)
        elif _CLAIM in name and _claimant_gone(name):
            original = name.split(_CLAIM, 1)[0]
            try:
                os.rename(os.path.join(folder, name), os.path.join(folder, original))
                files.append(original)
            except OSError:
                continue  # another replayer took it back first
    return [os.path.join(folder, name) for name in sorted(files)]


def pending_spans(store_path: str) -> int:
    """How many spans the journal holds (from the files' headers)."""
    total = 0
    for path in pending(store_path):
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                total += int(json.loads(f.readline()).get("spans", 0))
        except (OSError, ValueError, AttributeError):
            continue
    return total


def _claimant_gone(name: str) -> bool:
    try:
        pid = int(name.rsplit(_CLAIM, 1)[1])
    except ValueError:
        return True
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end that process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, another user's
    return False


def read(path: str) -> list[SpanRecord] | None:
    """The records of one journal file; None when it is not one this neatlogs reads.

    A line that does not parse (a file cut by a crash of the file system) is skipped.
    """
    records = []
    with open(path, encoding="ascii", errors="replace") as f:
        try:
            header = json.loads(f.readline())
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("neatlogs_journal") != FORMAT:
            return None
        for line in f:
            try:
                records.append(SpanRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
    return records


def replay(conn: sqlite3.Connection, store_path: str, max_seconds: float | None = None) -> tuple[int, int, int]:
    """Write the journal's spans into the store behind ``conn``, oldest file first.

    Stops at the first file the store refuses (the error is raised; that file stays in
    the journal) or after ``max_seconds``. A span whose values the store cannot take is
    left out (and counted), never the rest of its file.

    Returns:
        (spans written from the journal, spans still in it, spans left out as unstorable).
    """
    from .write import insert_spans_apart

    started = time.monotonic()
    written = dropped = 0
    for path in pending(store_path):
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
        claimed = f"{path}{_CLAIM}{os.getpid()}"
        try:
            os.rename(path, claimed)
        except OSError:
            continue  # another process is replaying it
        try:
            records = read(claimed)
            if records is None:
                os.rename(claimed, path)  # another format: leave it for the neatlogs that wrote it
                continue
            _, bad = insert_spans_apart(conn, records)
        except BaseException:
            os.rename(claimed, path)
            raise
        os.unlink(claimed)
        written += len(records) - len(bad)
        dropped += len(bad)
    return written, pending_spans(store_path), dropped
