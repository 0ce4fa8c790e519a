"""``SpoolingBatchSpanProcessor``: batches finished spans for the exporter in a background thread.

Unlike OpenTelemetry's batch processor it bounds its queue in bytes, not spans (a span's
size is estimated once, when it ends, from its strings), and what overflows goes to the
exporter's spool on a helper thread instead of being discarded; it counts every span it
does drop; and it bounds the time ``shutdown`` may hold the program's exit: export until
the share of the bound the spill needs, then hand what is still queued (and the batch in
flight) to the exporter's spool, in bodies no bigger than a normal batch. The exporter is
a ``NeatlogsSpanExporter``, which declares ``set_deadline``, ``spill`` and
``spool_inflight`` for this. After ``fork`` the child starts its own worker, lazily, on its
first span.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref

from opentelemetry.sdk.trace import SpanProcessor

from .. import _log
from .base import NeatlogsSpanExporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

__all__ = ["MAX_QUEUE_BYTES", "SpoolingBatchSpanProcessor", "slim_span", "span_bytes"]

MAX_QUEUE_BYTES = 16 * 1024 * 1024
"""Default bound on the estimated bytes of finished spans held in memory (``max_queue_bytes``)."""

MAX_BATCH_BYTES = 2 * 1024 * 1024
"""Estimated bytes per export call or spilled body at most, whatever the span count."""

BATCH_SIZE = 512
"""Spans per export call."""

SCHEDULE_DELAY_SECONDS = 0.5
"""Longest a finished span waits before its batch is exported."""

SPAN_OVERHEAD_BYTES = 2_500
"""Memory of a finished span beside its strings (its objects, context, attribute table), measured."""

KEY_BYTES = 48
"""What an attribute adds to a span's estimate beside its value's characters (its key and table slot)."""

PROBE_SECONDS = 0.3
"""How long the exit lets the export alone try to empty the queue before the spill starts beside it."""

_AT_EXIT = "not spooled within the exit bound"

STUCK_SECONDS = 1.0
"""A spiller that writes no body for this long is stuck (a locked store): span threads stop waiting for it."""

MIN_SPILL_SECONDS = 0.3
"""The end of the exit bound kept for the spill alone; a bound shorter than this still gets it."""


def slim_span(span: ReadableSpan) -> None:
    """Swap a finished span's bounded containers for plain ones, where nothing was dropped from them.

    A span queued for export holds an attribute table, an event list and a link list, each
    with its own lock and deque: a dozen objects the garbage collector tracks, where a dict
    and two shared empty tuples do. In a program making a model call every few
    milliseconds those survivors alone trigger most of its young-generation collections,
    which in turn promote the program's own in-flight objects until full collections run
    (measured: 20 instead of 2 young collections per 1,000 anthropic calls, and a full one
    per 500). The finished span is immutable, so the swap changes no value; a container
    that did drop something keeps its count. ``ReadableSpan`` keeps them in ``_attributes``,
    ``_events`` and ``_links``:
    https://github.com/open-telemetry/opentelemetry-python/blob/v1.38.0/opentelemetry-sdk/src/opentelemetry/sdk/trace/__init__.py#L404-L435
    """
    attributes = getattr(span, "_attributes", None)
    table = getattr(attributes, "_dict", None)
    if type(table) is dict and attributes.dropped == 0:  # type: ignore[union-attr]
        span._attributes = dict(table)
    for name in ("_events", "_links"):
        items = getattr(span, name, None)
        entries = getattr(items, "_dq", None)
        if entries is not None and items.dropped == 0:  # type: ignore[union-attr]
            setattr(span, name, tuple(entries) if entries else ())


def span_bytes(span: ReadableSpan) -> int:
    """A cheap estimate of the memory a finished span holds: a fixed overhead plus its strings.

    Runs on the span's thread for every span, so it looks at each value's exact type once
    and counts a key as a fixed ``KEY_BYTES`` (keys are short constants, shared between spans).
    """
    size = SPAN_OVERHEAD_BYTES + len(span.name)
    for attributes in (span.attributes, *(event.attributes for event in span.events)):
        if not attributes:
            continue
        size += KEY_BYTES * len(attributes)
        for value in attributes.values():
            if type(value) is str:
                size += len(value)
            elif type(value) is tuple or type(value) is list:
                size += sum(len(v) if type(v) is str else 8 for v in value)
    return size


class SpoolingBatchSpanProcessor(SpanProcessor):
    """Queues finished spans and exports them in batches on a worker thread.

    ``on_end`` runs on the span's thread; it never waits on the network, and never raises.
    Memory held is bounded: ``max_queue_bytes`` of queued spans, plus a quarter of that
    waiting to be spilled, plus the batch being exported. When the spiller thread falls
    behind that quarter, ``on_end`` spills one body itself (the only time it writes a file).
    """

    def __init__(self, exporter: NeatlogsSpanExporter, max_queue_bytes: int = MAX_QUEUE_BYTES,
                 batch_size: int = BATCH_SIZE, schedule_delay: float = SCHEDULE_DELAY_SECONDS) -> None:
        self.exporter = exporter
        self.max_queue_bytes = max_queue_bytes
        self._overflow_bound = max(max_queue_bytes // 4, 2 * MAX_BATCH_BYTES)
        self.batch_size = batch_size
        self.schedule_delay = schedule_delay
        self.dropped_why: dict[str, int] = {}
        """Spans this processor gave up, by reason (a spill that failed or was stuck, the exit bound)."""
        self.overflowed = 0
        """Spans moved from the full queue to the exporter's spool."""
        self._shutdown = False
        self._init_worker_state()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)

            def reset_in_child() -> None:
                processor = ref()
                if processor is not None:
                    processor._init_worker_state()

            os.register_at_fork(after_in_child=reset_in_child)

    def _init_worker_state(self) -> None:
        # Called at construction and in a forked child: the parent's queue and threads are not ours.
        self._queue: collections.deque[tuple[ReadableSpan, int]] = collections.deque()
        self._queued_bytes = 0
        self._overflow: collections.deque[tuple[ReadableSpan, int]] = collections.deque()
        self._overflow_bytes = 0
        self._lock = threading.Lock()  # the queues and their byte counts
        self._cond = threading.Condition(threading.Lock())
        self._export_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._spiller: threading.Thread | None = None
        self._spill_wanted = threading.Event()
        self._pid = os.getpid()
        self._exporting = 0  # spans of the batch being exported now (out of the queue, not yet sent or kept)
        self._export_seq = 0  # which batch that is
        self._spilling = 0  # spans of the body the exit spill is writing now
        self._overflow_spilling = 0  # spans of the body the spiller thread is writing now
        self._spilled_bodies = 0  # the spiller's progress, which a span thread waiting for room watches
        self._sink_stuck_until = 0.0  # until then, a span thread drops the overflow beyond its bound at once
        self._spill_stopped = False  # the exit bound passed: the exit spill stops between bodies

    # --- SpanProcessor interface -------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def _on_ending(self, span: Span) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self._shutdown or not span.context.trace_flags.sampled:
            return
        if self._pid != os.getpid():
            self._init_worker_state()
        try:
            slim_span(span)
            size = span_bytes(span)
        except Exception:
            _log.internal_error("estimating a span's size failed")
            size = SPAN_OVERHEAD_BYTES
        queue = self._queue
        with self._lock:
            queue.append((span, size))
            self._queued_bytes += size
            over = self._queued_bytes > self.max_queue_bytes
            if over:
                self._move_oldest_to_overflow()
            length = len(queue)
            behind = self._overflow_bytes > self._overflow_bound
        if behind:
            self._spill_here()
        elif over:
            self._start_spiller()
        if self._worker is None:
            self._start_worker()
        elif length == self.batch_size:
            # Wake the worker once per full batch, not on every span after it.
            with self._cond:
                self._cond.notify()

    def _move_oldest_to_overflow(self) -> None:
        """Under ``_lock``: the queue is over its bound; its oldest spans wait for the spiller."""
        queue, overflow = self._queue, self._overflow
        while self._queued_bytes > self.max_queue_bytes and len(queue) > 1:
            item = queue.popleft()
            self._queued_bytes -= item[1]
            overflow.append(item)
            self._overflow_bytes += item[1]

    def _spill_here(self) -> None:
        """The spiller is behind: this (the span's) thread waits while it makes room, or drops the oldest.

        A program making spans faster than they can be sent or kept slows down here instead
        of holding unbounded memory: it waits as long as the spiller makes progress, and gives
        it the CPU meanwhile. But it never waits on a stuck sink (a locked store): after
        ``STUCK_SECONDS`` without a body spilled, the overflow beyond its bound is dropped
        (counted), and for 5 s span threads drop without waiting.
        """
        self._start_spiller()
        last_progress, seen = time.monotonic(), self._spilled_bodies
        while time.monotonic() >= self._sink_stuck_until:
            with self._lock:
                if self._overflow_bytes <= self._overflow_bound:
                    return
            self._spill_wanted.set()
            time.sleep(0.01)
            if self._spilled_bodies != seen:
                last_progress, seen = time.monotonic(), self._spilled_bodies
            elif time.monotonic() - last_progress > STUCK_SECONDS:
                self._sink_stuck_until = time.monotonic() + 5.0
        dropped = 0
        with self._lock:
            while self._overflow_bytes > self._overflow_bound and self._overflow:
                self._overflow_bytes -= self._overflow.popleft()[1]
                dropped += 1
        self._drop(dropped, "the export and the spool could not keep up")

    def _start_spiller(self) -> None:
        self._spill_wanted.set()
        if self._spiller is None:
            with self._cond:
                if self._spiller is None:
                    self._spiller = threading.Thread(target=self._spill_overflow, name="neatlogs-spill", daemon=True)
                    self._spiller.start()

    def _spill_overflow(self) -> None:
        """The spiller thread: what overflowed the queue goes to the exporter's spool, batch by batch."""
        while not self._shutdown:
            self._spill_wanted.wait()
            self._spill_wanted.clear()
            while not self._shutdown:
                batch = self._take(self._overflow, overflow=True)
                if not batch:
                    break
                self._overflow_spilling = len(batch)
                self._spill(batch)
                self._overflow_spilling = 0
                self._spilled_bodies += 1
                self.overflowed += len(batch)

    def _spill(self, batch: list[ReadableSpan]) -> bool:
        try:
            self.exporter.spill(batch)
            return True
        except Exception:
            _log.internal_error(f"spilling {len(batch)} spans failed")
            self._drop(len(batch), "the spool could not be written")
            return False

    def _start_worker(self) -> None:
        with self._cond:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="neatlogs-export", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while not self._shutdown:
            with self._cond:
                if len(self._queue) < self.batch_size:
                    self._cond.wait(self.schedule_delay)
            if self._shutdown:
                break
            # Only what is queued now: spans that trickle in while this export runs wait for
            # the next wake-up, so a steady program gets full batches instead of many tiny ones.
            self._export_all(limit=len(self._queue))

    def _take(self, queue: collections.deque[tuple[ReadableSpan, int]], limit: int | None = None,
              overflow: bool = False, newest: bool = False) -> list[ReadableSpan]:
        """The next batch from ``queue`` (its oldest end, or its newest): at most ``limit`` spans,
        a batch's count and ``MAX_BATCH_BYTES``."""
        # Behind a burst, take bigger batches: every export releases the GIL for I/O and
        # waits to get it back from a busy program, so fewer, larger exports keep up better.
        size = self.batch_size * 8 if len(queue) > self.batch_size * 4 else self.batch_size
        if limit is not None:
            size = min(size, limit)
        batch: list[ReadableSpan] = []
        taken = 0
        with self._lock:
            end = -1 if newest else 0
            while queue and len(batch) < size and (not batch or taken + queue[end][1] <= MAX_BATCH_BYTES):
                span, nbytes = queue.pop() if newest else queue.popleft()
                batch.append(span)
                taken += nbytes
            if overflow:
                self._overflow_bytes -= taken
            else:
                self._queued_bytes -= taken
        return batch

    def _export_all(self, deadline: float | None = None, limit: int | None = None) -> bool:
        with self._export_lock:
            left = limit
            while self._queue and (left is None or left > 0):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                if deadline is None and self._shutdown:
                    return False  # the worker stops: the exit's bounded flush takes over
                batch = self._take(self._queue, left)
                if left is not None:
                    left -= len(batch)
                self._export_seq += 1
                self._exporting = len(batch)
                try:
                    self.exporter.export(batch)
                except Exception:
                    _log.debug("export of %d spans failed", len(batch), exc_info=True)
                finally:
                    self._exporting = 0
        return True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export everything queued now; False when ``timeout_millis`` ran out first."""
        if self._shutdown:
            return True
        return self.force_flush_until(time.monotonic() + timeout_millis / 1000)

    def shutdown(self, timeout_millis: int = 3000) -> None:
        """Export what is queued, spool the rest; return within ``timeout_millis`` whatever happens. Idempotent.

        The export gets a short probe; if the queue is not empty by then (a slow or dead
        endpoint, a big backlog) the spill starts at once from the newest spans while the
        export goes on from the oldest, until the export's share of the bound ends. Then the
        request in flight is spooled too. Spans not spooled by the bound are counted dropped.
        """
        if self._shutdown:
            return
        started = time.monotonic()
        bound = started + max(timeout_millis / 1000, MIN_SPILL_SECONDS)
        export_deadline = bound - MIN_SPILL_SECONDS
        try:
            self.exporter.set_deadline(export_deadline)
        except Exception:
            _log.debug("bounding the exporter failed", exc_info=True)
        self._shutdown = True
        self._spill_wanted.set()  # the spiller thread stops; what it left is spilled below
        with self._cond:
            self._cond.notify_all()
        flushed = self._start(lambda: self._export_all(export_deadline), "the flush")
        flushed.wait(max(0.0, min(started + PROBE_SECONDS, export_deadline) - time.monotonic()))
        if not flushed.is_set() or self.unspooled():
            spilled = self._start(self._spill_remaining, "spilling the queue")
            flushed.wait(max(0.0, export_deadline - time.monotonic()))
            kept_seq = -1
            try:
                seq = self._export_seq
                if self.exporter.spool_inflight():
                    kept_seq = seq
            except Exception:
                _log.debug("keeping the batch in flight failed", exc_info=True)
            if not spilled.wait(max(0.0, bound - time.monotonic())):
                self._spill_stopped = True
                self._drop(self.unspooled(), _AT_EXIT)
            if self._exporting and self._export_seq != kept_seq:
                self._drop(self._exporting, _AT_EXIT)  # taken for export, neither sent nor kept by the bound
        spiller = self._spiller
        if spiller is not None:
            spiller.join(max(0.0, bound - time.monotonic()))  # the body it is writing
            if spiller.is_alive():
                self._drop(self._overflow_spilling, _AT_EXIT)
        exporter_closed = self._start(self.exporter.shutdown, "the exporter's shutdown")
        exporter_closed.wait(max(0.0, bound - time.monotonic()))
        if self.dropped:
            why = "; ".join(f"{reason}: {n}" for reason, n in self.dropped_why.items())
            _log.warning(f"{self.dropped} spans were dropped ({why})")

    @property
    def dropped(self) -> int:
        """Spans this processor gave up (see ``dropped_why``)."""
        return sum(self.dropped_why.values())

    def _drop(self, count: int, reason: str) -> None:
        if count > 0:
            with self._lock:
                self.dropped_why[reason] = self.dropped_why.get(reason, 0) + count

    def _start(self, work: Callable[[], object], what: str) -> threading.Event:
        """Run ``work`` on a helper thread (the exit never waits on it past its bound); set when it is done."""
        done = threading.Event()

        def run() -> None:
            try:
                work()
            except Exception:
                _log.debug("%s failed", what, exc_info=True)
            finally:
                done.set()

        threading.Thread(target=run, name="neatlogs-exit", daemon=True).start()
        return done

    def force_flush_until(self, deadline: float) -> bool:
        """Export queued spans until ``deadline``; True when the queue emptied in time."""
        # Flush on a helper thread so a stuck request cannot hold the caller past the deadline.
        result: list[bool] = [False]

        def flush() -> None:
            result[0] = self._export_all(deadline)

        done = self._start(flush, "the flush")
        return done.wait(max(0.0, deadline - time.monotonic())) and result[0]

    def _spill_remaining(self) -> None:
        """At exit: what overflowed, then the queue from its newest spans, go to the exporter's spool.

        In bodies no bigger than a normal batch. Runs on a helper thread the exit does not
        wait for past its bound: what is not handed over by then is counted dropped.
        """
        for queue, overflow in ((self._overflow, True), (self._queue, False)):
            while not self._spill_stopped:
                batch = self._take(queue, overflow=overflow, newest=True)
                if not batch:
                    break
                self._spilling = len(batch)
                self._spill(batch)
                self._spilling = 0

    def unspooled(self) -> int:
        """Spans still held in memory (queued, overflowing, or being spilled): lost if the process ends now."""
        with self._lock:
            return len(self._queue) + len(self._overflow) + self._spilling
