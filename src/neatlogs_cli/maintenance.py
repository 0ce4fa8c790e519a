"""``neatlogs prune``, ``stats``, ``delete``, ``export`` and ``import``: keeping the local store tidy.

Each function parses nothing (typer did), does one thing to the store, prints one summary line
(or the data asked for) and returns the exit code: 0 done, 1 with a one-line reason on stderr.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import time

from neatlogs import store

from .views import _db_path, _error, resolve_id

__all__ = ["delete_command", "export_command", "import_command", "parse_age", "prune_command", "stats_command"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_IMPORT_MAX_BYTES = 512 * 1024 * 1024


def parse_age(text: str) -> int:
    """Seconds in an age such as ``30d``, ``12h``, ``90m``, ``2w`` or ``45s``.

    Raises:
        ValueError: the text is not a number followed by one of s, m, h, d, w.
    """
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not an age: give a number and a unit, e.g. 30d, 12h, 90m, 2w")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _open(db: str | None, *, must_exist: bool = True) -> tuple[str, sqlite3.Connection] | None:
    """The store's path and a connection; None (the reason printed) when there is no store."""
    path = _db_path(db)
    if must_exist and not os.path.exists(path):
        _error(f"there is no store at {path}")
        return None
    from .store_open import StoreProblem, describe, open_for_reading

    try:  # a broken store is one line naming the problem and the fix, never a traceback
        checked = open_for_reading(path)
        if checked is not None:
            checked.close()
        return path, store.connect(path)
    except StoreProblem as problem:
        _error(str(problem))
    except sqlite3.DatabaseError as error:
        _error(describe(path, error))
    return None


def prune_command(older_than: str, db: str | None = None) -> int:
    """Delete sessions whose last span is older than ``older_than`` and give the space back."""
    try:
        seconds = parse_age(older_than)
    except ValueError as error:
        return _error(f"--older-than: {error}")
    opened = _open(db)
    if opened is None:
        return 1
    path, conn = opened
    before = store.stats(conn, path).file_bytes
    sessions, spans = store.prune(conn, time.time_ns() - seconds * 1_000_000_000)
    after = store.stats(conn, path).file_bytes
    conn.close()
    print(f"pruned {sessions} session{'s' if sessions != 1 else ''} ({spans} spans) older than {older_than}; "
          f"{path} went from {before / 1e6:.1f} MB to {after / 1e6:.1f} MB")
    return 0


def stats_command(as_json: bool = False, db: str | None = None) -> int:
    """Print the store's size, span count and the oldest data in it."""
    opened = _open(db)
    if opened is None:
        return 1
    path, conn = opened
    figures = store.stats(conn, path)
    conn.close()
    if as_json:
        print(json.dumps(figures.to_json(), indent=2))
        return 0
    from .views import _time

    print(f"store     {figures.path}")
    print(f"size      {figures.file_bytes / 1e6:.1f} MB")
    print(f"spans     {figures.span_count}")
    print(f"traces    {figures.trace_count}")
    print(f"sessions  {figures.session_count}")
    if figures.oldest_start_ns:
        print(f"oldest    {_time(figures.oldest_start_ns)}")
        print(f"newest    {_time(figures.newest_end_ns or figures.oldest_start_ns)}")
    return 0


def delete_command(some_id: str, db: str | None = None) -> int:
    """Delete the session or trace ``some_id`` (a unique prefix is enough)."""
    opened = _open(db)
    if opened is None:
        return 1
    _, conn = opened
    try:
        what, full_id = resolve_id(conn, some_id)
    except LookupError as error:
        return _error(str(error))
    if what == "trace":
        spans = store.delete_trace(conn, full_id)
    else:
        spans = store.delete_session(conn, full_id)
    conn.close()
    print(f"deleted {what} {full_id} ({spans} spans)")
    return 0


def export_command(some_id: str, fmt: str = "json", out: str | None = None, db: str | None = None) -> int:
    """Write a session or trace as neatlogs JSON or OTLP JSON to ``out`` (or stdout)."""
    if fmt not in ("json", "otlp"):
        return _error(f"--format must be json or otlp, not {fmt!r}")
    opened = _open(db)
    if opened is None:
        return 1
    _, conn = opened
    try:
        what, full_id = resolve_id(conn, some_id)
    except LookupError as error:
        return _error(str(error))
    from .transfer import otlp_json

    found = (store.get_trace(conn, full_id) if what == "trace"
             else store.get_session(conn, full_id))
    conn.close()
    if found is None:
        return _error(f"no {what} matches {some_id!r}")
    spans = found.spans if isinstance(found, store.TraceSpans) else [s for t in found.traces for s in t.spans]
    document = otlp_json(spans) if fmt == "otlp" else found.to_json()
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {what} {full_id} ({len(spans)} spans) to {out}", file=sys.stderr)
    else:
        print(text)
    return 0


def import_command(path: str, db: str | None = None) -> int:
    """Add the spans of an OTLP JSON or neatlogs JSON file to the store (spans already there are skipped)."""
    from .transfer import ImportError_, read_import

    try:
        with open(path, "rb") as f:
            body = f.read(_IMPORT_MAX_BYTES + 1)
    except OSError as error:
        return _error(f"cannot read {path}: {error.strerror}")
    if len(body) > _IMPORT_MAX_BYTES:
        return _error(f"{path} is over {_IMPORT_MAX_BYTES // (1024 * 1024)} MiB: split it")
    try:
        records = read_import(body, _IMPORT_MAX_BYTES)
    except ImportError_ as error:
        return _error(f"{path}: {error}")
    opened = _open(db, must_exist=False)
    if opened is None:
        return 1
    target, conn = opened
    added = store.insert_spans(conn, records)
    conn.close()
    print(f"imported {added} of {len(records)} spans from {path} into {target}"
          + (f" ({len(records) - added} were already there)" if added < len(records) else ""))
    return 0
