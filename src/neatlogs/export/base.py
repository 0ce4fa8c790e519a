"""``NeatlogsSpanExporter``: the exporter interface the batch processor and the exit report rely on.

OpenTelemetry's ``SpanExporter`` knows ``export``, ``force_flush`` and ``shutdown``. Our
batch processor also needs to bound the exporter's waiting at exit (``set_deadline``), hand
it what is still queued when that bound is reached (``spill``), and keep a request that is
still on the wire (``spool_inflight``); the exit report reads how many spans went to the
spool, were dropped, or were evicted from a full spool. Every exporter neatlogs wires
declares these, so callers call them directly instead of probing for them.

Importing this module imports the OpenTelemetry SDK: only the provider build (the first
span) and the exporters import it, never ``import neatlogs`` or ``init()``.
"""

from __future__ import annotations

import abc

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["NeatlogsSpanExporter"]


class NeatlogsSpanExporter(SpanExporter, abc.ABC):
    """A ``SpanExporter`` that can be bounded, spilled into at exit, and asked what it left unsent.

    ``export`` is called on the batch processor's worker thread, one batch at a time;
    ``shutdown`` is idempotent. The counters count spans of this process only.
    """

    @abc.abstractmethod
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write or send one batch: SUCCESS once it is delivered or safely kept, FAILURE if it was lost."""

    @abc.abstractmethod
    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        """At the exit bound, keep ``spans`` as fast as possible (the spool, or a local write); never raises."""

    def set_deadline(self, deadline: float | None) -> None:
        """Never wait past ``deadline`` (a ``time.monotonic()`` value) from now on; None lifts the bound."""

    def spool_inflight(self) -> None:
        """At the exit bound, keep the batch still being sent, which would die with the process."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered here (the batch processor holds the queue): always True."""
        return True

    def shutdown(self) -> None:
        """Release connections and files; later exports fail. Idempotent."""

    @property
    def spooled(self) -> int:
        """Spans put in the on-disk spool because the endpoint could not take them."""
        return 0

    @property
    def dropped(self) -> int:
        """Spans given up for good (rejected by the endpoint, or nowhere to keep them)."""
        return 0

    @property
    def evicted(self) -> int:
        """Spans removed from a full spool to keep it within its bound."""
        return 0

    @property
    def refusal(self) -> str | None:
        """Why the endpoint last refused spans, in its own words (None: it never did)."""
        return None

    @property
    def unrecorded(self) -> int:
        """Spans of this process not written to the local store (journaled, lost or unstorable): 0 for OTLP."""
        return 0

    def exit_lines(self) -> list[str]:
        """Lines for stderr at exit beyond the spool's counters (what the local store could not take)."""
        return []
