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
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

__all__ = ["MAX_QUEUE_BYTES", "SpoolingBatchSpanProcessor", "span_bytes"]

MAX_QUEUE_BYTES = 64 * 1024 * 1024
"""Default bound on the estimated bytes of finished spans held in memory (``max_queue_bytes``)."""

MAX_BATCH_BYTES = 4 * 1024 * 1024
"""Estimated bytes per export call or spilled body at most, whatever the span count."""

BATCH_SIZE = 512
"""Spans per export call."""

SCHEDULE_DELAY_SECONDS = 0.5
"""Longest a finished span waits before its batch is exported."""

SPAN_OVERHEAD_BYTES = 2_500
"""Memory of a finished span beside its strings (its objects, context, attribute table), measured."""

SPILL_BYTES_PER_SECOND = 40 * 1024 * 1024
"""A cautious rate of encoding, compressing and writing spilled spans, on a busy machine."""

MIN_SPILL_SECONDS = 0.3
"""The spill's share of the exit bound at least; a bound shorter than this still gets it."""


def span_bytes(span: ReadableSpan) -> int:
    """A cheap estimate of the memory a finished span holds: a fixed overhead plus its strings."""
    size = SPAN_OVERHEAD_BYTES + len(span.name)
    for attributes in (span.attributes, *(event.attributes for event in span.events)):
        if not attributes:
            continue
        for key, value in attributes.items():
            size += len(key) + 8
            if isinstance(value, str):
                size += len(value)
            elif isinstance(value, (tuple, list)):
                size += sum(len(v) if isinstance(v, str) else 8 for v in value)
    return size


class SpoolingBatchSpanProcessor(SpanProcessor):
    """Queues finished spans and exports them in batches on a worker thread.

    ``on_end`` runs on the span's thread; it never waits on the network, blocks or raises.
    Memory held is bounded: ``max_queue_bytes`` of queued spans, plus a quarter of that
    waiting to be spilled, plus the batch being exported.
    """

    def __init__(self, exporter: NeatlogsSpanExporter, max_queue_bytes: int = MAX_QUEUE_BYTES,
                 batch_size: int = BATCH_SIZE, schedule_delay: float = SCHEDULE_DELAY_SECONDS) -> None:
        self.exporter = exporter
        self.max_queue_bytes = max_queue_bytes
        self.batch_size = batch_size
        self.schedule_delay = schedule_delay
        self.dropped = 0
        """Spans this processor gave up: overflow the spool could not keep up with, or not spooled by the exit bound."""
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
        self._busy = False
        self._spilling = 0  # spans of the body the exit spill is writing now
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
        if over:
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
        # The spiller is behind (a slow disk, a starved thread): the oldest go, counted.
        while self._overflow_bytes > max(self.max_queue_bytes // 4, MAX_BATCH_BYTES) and overflow:
            self._overflow_bytes -= overflow.popleft()[1]
            self.dropped += 1

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
                self._spill(batch)
                self.overflowed += len(batch)

    def _spill(self, batch: list[ReadableSpan]) -> bool:
        try:
            self.exporter.spill(batch)
            return True
        except Exception:
            _log.internal_error(f"spilling {len(batch)} spans failed")
            self.dropped += len(batch)
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
              overflow: bool = False) -> list[ReadableSpan]:
        """The next batch from ``queue``: at most ``limit`` spans, a batch's count and ``MAX_BATCH_BYTES``."""
        # Behind a burst, take bigger batches: every export releases the GIL for I/O and
        # waits to get it back from a busy program, so fewer, larger exports keep up better.
        size = self.batch_size * 8 if len(queue) > self.batch_size * 4 else self.batch_size
        if limit is not None:
            size = min(size, limit)
        batch: list[ReadableSpan] = []
        taken = 0
        with self._lock:
            while queue and len(batch) < size and (not batch or taken + queue[0][1] <= MAX_BATCH_BYTES):
                span, nbytes = queue.popleft()
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
                batch = self._take(self._queue, left)
                if left is not None:
                    left -= len(batch)
                self._busy = True
                try:
                    self.exporter.export(batch)
                except Exception:
                    _log.debug("export of %d spans failed", len(batch), exc_info=True)
                finally:
                    self._busy = False
        return True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export everything queued now; False when ``timeout_millis`` ran out first."""
        if self._shutdown:
            return True
        return self.force_flush_until(time.monotonic() + timeout_millis / 1000)

    def shutdown(self, timeout_millis: int = 3000) -> None:
        """Export what is queued, spool the rest; return within ``timeout_millis`` whatever happens. Idempotent.

        The bound is split: exporting stops early enough for the spill of what is left
        (estimated from its bytes) to fit; spans not spooled by the bound are counted dropped.
        """
        if self._shutdown:
            return
        started = time.monotonic()
        with self._lock:
            pending = self._queued_bytes + self._overflow_bytes
        spill_share = min(max(MIN_SPILL_SECONDS, pending / SPILL_BYTES_PER_SECOND), timeout_millis / 1000 / 2)
        export_deadline = started + timeout_millis / 1000 - spill_share
        bound = max(started + timeout_millis / 1000, started + MIN_SPILL_SECONDS)
        try:
            self.exporter.set_deadline(export_deadline)
        except Exception:
            _log.debug("bounding the exporter failed", exc_info=True)
        self._shutdown = True
        self._spill_wanted.set()  # the spiller stops; what it left is spilled below
        with self._cond:
            self._cond.notify_all()
        finished = self.force_flush_until(export_deadline) and not self._overflow
        if not finished and not self._bounded(self._spill_remaining, bound, "spilling the queue"):
            self._spill_stopped = True
            self.dropped += self.unspooled()
        self._bounded(self.exporter.shutdown, bound, "the exporter's shutdown")
        if self.dropped:
            _log.warning(f"{self.dropped} spans were dropped: more were made than could be exported or spooled")

    def _bounded(self, work, bound: float, what: str) -> bool:
        """Run ``work`` on a helper thread; wait for it until ``bound`` at most. True when it finished."""
        done = threading.Event()

        def run() -> None:
            try:
                work()
            except Exception:
                _log.debug("%s failed", what, exc_info=True)
            finally:
                done.set()

        threading.Thread(target=run, name="neatlogs-exit", daemon=True).start()
        if not done.wait(max(0.0, bound - time.monotonic())):
            _log.debug("%s did not finish within the exit bound", what)
            return False
        return True

    def force_flush_until(self, deadline: float) -> bool:
        """Export queued spans until ``deadline``; True when the queue emptied in time."""
        # Flush on a helper thread so a stuck request cannot hold the caller past the deadline.
        result: list[bool] = [False]

        def flush() -> None:
            result[0] = self._export_all(deadline)

        return self._bounded(flush, deadline, "the flush") and result[0]

    def _spill_remaining(self) -> None:
        """At the export deadline: the request in flight, then what is still queued, go to the exporter's spool.

        In bodies no bigger than a normal batch. Runs on a helper thread the exit does not
        wait for past its bound: what is not handed over by then is counted dropped.
        """
        try:
            self.exporter.spool_inflight()
        except Exception:
            _log.debug("keeping the batch in flight failed", exc_info=True)
        for queue, overflow in ((self._overflow, True), (self._queue, False)):
            while not self._spill_stopped:
                batch = self._take(queue, overflow=overflow)
                if not batch:
                    break
                self._spilling = len(batch)
                self._spill(batch)
                self._spilling = 0

    def unspooled(self) -> int:
        """Spans still held in memory (queued, overflowing, or being spilled): lost if the process ends now."""
        with self._lock:
            return len(self._queue) + len(self._overflow) + self._spilling
