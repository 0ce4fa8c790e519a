"""``SqliteSpanExporter``: writes finished spans into the local store, one transaction per batch.

A batch the store cannot take is never lost in silence: a busy (locked past the wait),
full, read-only or newer-schema store sends it to the store's journal (``store.journal``),
written into ``traces.db`` by the next write that succeeds, the next process, or
``neatlogs push --local``; a damaged ``traces.db`` is moved aside and a fresh one started; a
span whose values cannot be stored is left out alone. When not even the journal can be
written, the spans are counted. Each of these is one line on stderr (``exit_lines``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

from opentelemetry.sdk.trace.export import SpanExportResult

from .. import _log, store
from ..store import damage, journal
from ..store.schema import NewerSchemaError
from ..store.write import insert_spans_apart
from .base import NeatlogsSpanExporter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["SqliteSpanExporter", "replay_journal", "replay_journal_report", "span_to_record"]

STORE_WAIT_SECONDS = 10.0
"""Longest a write waits for another process's lock on the store before its batch goes to the journal."""

REPLAY_SECONDS = 2.0
"""Longest one export spends writing the journal into the store (the rest waits for the next one)."""

_JOURNAL_MARGIN = 0.25
"""Seconds kept before the exit deadline for writing to the journal what the store did not take."""

_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def _plain(value: Any) -> Any:
    # BoundedAttributes hold tuples for list values; readers of the store expect lists.
    return list(value) if isinstance(value, tuple) else value


_resource_cache: tuple[Any, dict[str, Any]] | None = None


def _resource_dict(resource: Any) -> dict[str, Any]:
    # Every span of a process shares one Resource: convert it once, not per span.
    global _resource_cache
    cached = _resource_cache
    if cached is not None and cached[0] is resource:
        return cached[1]
    converted = {k: _plain(v) for k, v in resource.attributes.items()}
    _resource_cache = (resource, converted)
    return converted


def span_to_record(span: Any) -> store.SpanRecord:
    """Convert an OpenTelemetry ``ReadableSpan`` into the store's ``SpanRecord``."""
    ctx = span.context
    attributes = span.attributes
    # BoundedAttributes.copy() is a plain dict copy, much cheaper than dict() through the Mapping protocol.
    attributes = attributes.copy() if attributes else {}
    for key, value in attributes.items():
        if type(value) is tuple:
            attributes[key] = list(value)
    parent = span.parent
    return store.SpanRecord(
        trace_id=_hex(ctx.trace_id, 32),
        span_id=_hex(ctx.span_id, 16),
        parent_span_id=_hex(parent.span_id, 16) if parent is not None else None,
        parent_is_remote=bool(parent is not None and parent.is_remote),
        name=span.name,
        kind=store.span_kind_of(attributes),
        span_kind=span.kind.name if span.kind is not None else None,
        start_time_ns=span.start_time or 0,
        end_time_ns=span.end_time or span.start_time or 0,
        status_code=_STATUS.get(span.status.status_code.value, "UNSET"),
        status_message=span.status.description,
        attributes=attributes,
        events=[
            {
                "name": e.name,
                "time_ns": e.timestamp,
                "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
            }
            for e in span.events
        ]
        if span.events
        else [],
        resource=_resource_dict(span.resource),
    )


class SqliteSpanExporter(NeatlogsSpanExporter):
    """Writes each batch of finished spans to ``path`` in one SQLite transaction.

    Safe across fork: a child process opens its own connection. ``export`` runs on the
    batch processor's worker; ``spill``, ``spool_inflight`` and ``shutdown`` may run on another
    thread at the exit bound while an export waits on another process's lock, so they wait
    for the writer's lock only within that bound (the journal takes what is left).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._closed = False
        self._deadline: float | None = None
        self._refused: str | None = None  # a newer neatlogs' store: never written by this process
        self._replay_due = True  # the journal is written into the store after the first good write
        self._inflight: list[store.SpanRecord] | None = None
        self._journal_lock = threading.Lock()
        self._kept_inflight: list[store.SpanRecord] | None = None
        self.journaled = 0
        """Spans of this process kept in the journal because the store could not take them."""
        self.journal_reason = ""
        self.lost = 0
        """Spans neither written nor journaled: nothing under the home folder could be written."""
        self.lost_reason = ""
        self.unstorable = 0
        """Spans left out because their own values could not be stored (the rest of their batch was)."""
        self.unstorable_reason = ""

    # --- NeatlogsSpanExporter interface ------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        records = self._records(spans)
        if not records:
            return SpanExportResult.SUCCESS
        self._inflight = records
        try:
            with self._lock:
                return self._write(records)
        finally:
            self._inflight = None

    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        """At the exit bound: a quick write if the store is free, else the journal; never raises."""
        try:
            records = self._records(spans)
            if not records:
                return
            wait = self._seconds_left()
            if self._lock.acquire(timeout=wait if wait is not None else -1):
                try:
                    self._write(records)
                finally:
                    self._lock.release()
            else:
                self._to_journal(records, "the store was still busy at exit")
        except Exception:
            _log.internal_error("keeping %d spans at exit failed", len(spans))

    def spool_inflight(self) -> bool:
        """At the exit bound, journal the batch still waiting on the store (a duplicate is skipped on replay)."""
        records = self._inflight
        if records is None:
            return False
        self._to_journal(records, "the store was still busy at exit", inflight=True)
        return True

    def set_deadline(self, deadline: float | None) -> None:
        """Never wait for the store's lock past ``deadline``: the journal takes the batch then."""
        self._deadline = deadline

    def shutdown(self) -> None:
        self._closed = True
        # A write still waiting on another process's lock holds the writer's lock: past the
        # exit bound, leave its connection to the process's end rather than wait for it.
        wait = self._seconds_left()
        if self._lock.acquire(timeout=-1 if wait is None else wait):
            try:
                self._close()
            finally:
                self._lock.release()

    def exit_lines(self) -> list[str]:
        """What this process could not write to the store, one line each; empty when all was written."""
        lines = []
        if self.journaled:
            lines.append(f"{self.journaled} spans could not be written to {self.path} ({self.journal_reason}); "
                         f"kept in {journal.journal_folder(self.path)}: the next run or "
                         "`neatlogs push --local` writes them")
        if self.lost:
            lines.append(f"{self.lost} spans were lost: neither {self.path} nor its journal could be written "
                         f"({self.lost_reason})")
        if self.unstorable:
            lines.append(f"{self.unstorable} spans could not be stored and were left out ({self.unstorable_reason}); "
                         "the rest of their batches were written")
        return lines

    @property
    def unrecorded(self) -> int:
        return self.journaled + self.lost + self.unstorable

    # --- writing -------------------------------------------------------------------------------
    def _records(self, spans: Sequence[ReadableSpan]) -> list[store.SpanRecord]:
        records = []
        for span in spans:
            try:
                records.append(span_to_record(span))
            except Exception as error:
                self._left_out(1, error)
        return records

    def _seconds_left(self) -> float | None:
        deadline = self._deadline
        if deadline is None:
            return None
        return max(0.0, deadline - time.monotonic() - _JOURNAL_MARGIN)

    def _connection(self) -> sqlite3.Connection:
        wait = self._seconds_left()
        timeout = STORE_WAIT_SECONDS if wait is None else min(STORE_WAIT_SECONDS, wait)
        if self._conn is None or self._pid != os.getpid():
            try:  # the file being opened: moved aside only if it is still the one at the path
                self._inode = os.stat(self.path).st_ino
            except OSError:
                self._inode = None
            self._conn = store.connect(self.path, timeout=timeout)
            self._pid = os.getpid()
        elif wait is not None:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        return self._conn

    def _close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            try:
                self._conn.close()
            except Exception:
                _log.debug("closing %s failed", self.path, exc_info=True)
        self._conn = None

    def _write(self, records: list[store.SpanRecord]) -> SpanExportResult:
        """Write ``records`` (the writer's lock held); what the store cannot take goes to the journal."""
        if self._refused is not None:
            return self._to_journal(records, self._refused)
        for attempt in (1, 2):
            try:
                _, bad = insert_spans_apart(self._connection(), records)
            except (sqlite3.Error, OSError, NewerSchemaError) as error:
                kind = damage.kind_of(error)
                _log.debug("writing %d spans to %s failed (%s)", len(records), self.path, kind, exc_info=True)
                if kind == damage.NEWER:
                    self._refused = "written by a newer neatlogs"
                    self._close()
                    _log.warning(str(error) + "; spans go to its journal meanwhile")
                    return self._to_journal(records, self._refused)
                if kind == damage.DAMAGED and attempt == 1 and self._start_afresh(error):
                    continue
                self._close()  # the next batch reconnects: the file may come back (a lock released, space freed)
                return self._to_journal(records, damage.describe(error))
            for _record, problem in bad:
                self._left_out(1, problem)
            self._after_good_write()
            return SpanExportResult.SUCCESS
        return SpanExportResult.FAILURE  # pragma: no cover - the loop always returns

    def _start_afresh(self, error: BaseException) -> bool:
        """Move the damaged store aside and start a fresh one; False when that failed."""
        inode = self._inode
        self._close()
        try:
            moved = damage.move_aside(self.path, inode)
        except OSError:
            _log.debug("moving the damaged %s aside failed", self.path, exc_info=True)
            return False
        if moved is not None:
            _log.warning(f"{self.path} was damaged ({damage.describe(error)}): moved aside to "
                         f"{os.path.basename(moved)}; a fresh store was started")
        return True

    def _after_good_write(self) -> None:
        """Write the journal into the store: at the first good write, and after batches were journaled."""
        if not self._replay_due:
            return
        seconds = REPLAY_SECONDS
        left_now = self._seconds_left()
        if left_now is not None:  # at exit: only within what is left of the bound
            seconds = min(seconds, left_now - _JOURNAL_MARGIN)
            if seconds <= 0:
                return
        conn = self._conn
        if conn is None:
            return
        self._replay_due = False
        try:
            written, left, bad = journal.replay(conn, self.path, max_seconds=seconds)
        except (sqlite3.Error, OSError):
            _log.debug("writing the journal into %s failed", self.path, exc_info=True)
            self._replay_due = True
            return
        if bad:
            self._left_out(bad, ValueError("values the store cannot take, in the journal"))
        if left:
            self._replay_due = True
        _log.debug("wrote %d spans from the journal into %s (%d left)", written, self.path, left)

    def _to_journal(self, records: list[store.SpanRecord], reason: str, inflight: bool = False) -> SpanExportResult:
        with self._journal_lock:
            if records is self._kept_inflight:
                return SpanExportResult.SUCCESS  # the batch in flight, kept by spool_inflight() already
            if inflight:
                self._kept_inflight = records
            try:
                kept = journal.put(self.path, records)
            except OSError as error:
                _log.debug("journaling %d spans failed", len(records), exc_info=True)
                self.lost += len(records)
                self.lost_reason = damage.describe(error)
                return SpanExportResult.FAILURE
            self.journaled += kept
            self.journal_reason = reason
            self._replay_due = True
            return SpanExportResult.SUCCESS

    def _left_out(self, count: int, error: BaseException) -> None:
        self.unstorable += count
        self.unstorable_reason = f"{type(error).__name__}: {error}"[:200]
        _log.debug("left %d unstorable spans out", count, exc_info=True)


def replay_journal(store_path: str) -> tuple[int, int, int]:
    """Write what the journal of ``store_path`` holds into the store now; a damaged store is started afresh.

    Returns:
        (spans written, spans still in the journal, spans left out as unstorable).

    Raises:
        sqlite3.Error, OSError, NewerSchemaError: the store cannot be written.
    """
    for attempt in (1, 2):
        inode = os.stat(store_path).st_ino if os.path.exists(store_path) else None
        try:
            conn = store.connect(store_path)
            try:
                return journal.replay(conn, store_path)
            finally:
                conn.close()
        except sqlite3.DatabaseError as error:
            if attempt == 2 or damage.kind_of(error) != damage.DAMAGED:
                raise
            moved = damage.move_aside(store_path, inode)
            if moved is not None:
                _log.warning(f"{store_path} was damaged ({damage.describe(error)}): moved aside to "
                             f"{os.path.basename(moved)}; a fresh store was started")
    raise AssertionError("unreachable")  # pragma: no cover


def replay_journal_report(store_path: str) -> int:
    """``neatlogs push --local``: replay the journal, print what happened; the exit code (0: journal empty now)."""
    if not journal.pending(store_path):
        print(f"journal empty: nothing to write to {store_path}")
        return 0
    try:
        written, left, bad = replay_journal(store_path)
    except (sqlite3.Error, OSError, NewerSchemaError) as error:
        left = journal.pending_spans(store_path)
        _log.warning(f"{store_path} cannot be written ({damage.describe(error)}); {left} spans stay in "
                     f"{journal.journal_folder(store_path)}")
        return 1
    print(f"wrote {written} spans from the journal into {store_path}; {left} still in the journal"
          + (f"; {bad} left out (values the store cannot take)" if bad else ""))
    return 1 if left else 0
