"""``SpoolingBatchSpanProcessor``: batches finished spans for the exporter in a background thread.

Unlike OpenTelemetry's batch processor it counts every span it drops, bounds the time
``shutdown`` may hold the program's exit, and at that bound hands what is still queued
(and the batch in flight) to the exporter's spool instead of discarding it: the exporter is
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

__all__ = ["SpoolingBatchSpanProcessor"]

MAX_QUEUE = 20_000
"""Finished spans held in memory at most; beyond this the oldest are dropped (and counted)."""

BATCH_SIZE = 512
"""Spans per export call."""

SCHEDULE_DELAY_SECONDS = 0.5
"""Longest a finished span waits before its batch is exported."""


class SpoolingBatchSpanProcessor(SpanProcessor):
    """Queues finished spans and exports them in batches on a worker thread.

    ``on_end`` runs on the span's thread; it never blocks or raises.
    """

    def __init__(self, exporter: NeatlogsSpanExporter, max_queue: int = MAX_QUEUE, batch_size: int = BATCH_SIZE,
                 schedule_delay: float = SCHEDULE_DELAY_SECONDS) -> None:
        self.exporter = exporter
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.schedule_delay = schedule_delay
        self.dropped = 0
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
        # Called at construction and in a forked child: the parent's queue and thread are not ours.
        self._queue: collections.deque[ReadableSpan] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._export_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._pid = os.getpid()
        self._busy = False

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
        queue = self._queue
        if len(queue) >= self.max_queue:
            try:
                queue.popleft()
                self.dropped += 1
            except IndexError:
                pass
        queue.append(span)
        if self._worker is None:
            self._start_worker()
        elif len(queue) == self.batch_size:
            # Wake the worker once per full batch, not on every span after it.
            with self._cond:
                self._cond.notify()

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

    def _take_batch(self, limit: int | None = None) -> list[ReadableSpan]:
        queue = self._queue
        # Behind a burst, take bigger batches: every export releases the GIL for I/O and
        # waits to get it back from a busy program, so fewer, larger exports keep up better.
        size = self.batch_size * 8 if len(queue) > self.batch_size * 4 else self.batch_size
        if limit is not None:
            size = min(size, limit)
        batch: list[ReadableSpan] = []
        while queue and len(batch) < size:
            batch.append(queue.popleft())
        return batch

    def _export_all(self, deadline: float | None = None, limit: int | None = None) -> bool:
        with self._export_lock:
            left = limit
            while self._queue and (left is None or left > 0):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                batch = self._take_batch(left)
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
        """Export what is queued within ``timeout_millis``; spool the rest. Idempotent."""
        if self._shutdown:
            return
        deadline = time.monotonic() + timeout_millis / 1000
        try:
            self.exporter.set_deadline(deadline)
        except Exception:
            _log.debug("bounding the exporter failed", exc_info=True)
        self._shutdown = True
        with self._cond:
            self._cond.notify_all()
        finished = self.force_flush_until(deadline)
        if not finished:
            self._spill_remaining()
        try:
            self.exporter.shutdown()
        except Exception:
            _log.debug("exporter shutdown failed", exc_info=True)
        if self.dropped:
            _log.warning(f"{self.dropped} spans were dropped: more were made than could be exported")

    def force_flush_until(self, deadline: float) -> bool:
        """Export queued spans until ``deadline``; True when the queue emptied in time."""
        # Flush on a helper thread so a stuck request cannot hold the caller past the deadline.
        done = threading.Event()
        result: list[bool] = [False]

        def flush() -> None:
            result[0] = self._export_all(deadline)
            done.set()

        threading.Thread(target=flush, name="neatlogs-flush", daemon=True).start()
        done.wait(max(0.0, deadline - time.monotonic()))
        return done.is_set() and result[0]

    def _spill_remaining(self) -> None:
        """At the deadline: the request in flight and what is still queued go to the exporter's spool."""
        remaining = list(self._queue)
        self._queue.clear()
        try:
            self.exporter.spool_inflight()
        except Exception:
            _log.debug("keeping the batch in flight failed", exc_info=True)
        if remaining:
            try:
                self.exporter.spill(remaining)
            except Exception:
                _log.debug("spilling %d spans failed", len(remaining), exc_info=True)
                self.dropped += len(remaining)
