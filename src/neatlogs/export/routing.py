"""``RoutingSpanExporter``: the one exporter the batch processor sees; settings pick its target.

``init()`` may be called again with another endpoint (or none): the router then builds the
exporter the new settings call for and shuts the old one down, so the provider, its
processors and the batch queue stay as they are. It also keeps export traffic from being
traced itself (the HTTP request of an OTLP export, say), as ``SimpleSpanProcessor`` does.
"""

from __future__ import annotations

from opentelemetry import context as context_api
from opentelemetry.sdk.trace.export import SpanExportResult

from .. import _log
from .base import NeatlogsSpanExporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence

    from opentelemetry.sdk.trace import ReadableSpan

    from ..config import Settings

__all__ = ["RoutingSpanExporter", "exporter_for"]

# The key instrumentations check before tracing a call; the SDK's SimpleSpanProcessor sets
# it around its exports the same way:
# https://github.com/open-telemetry/opentelemetry-python/blob/v1.27.0/opentelemetry-sdk/src/opentelemetry/sdk/trace/export/__init__.py
# (SimpleSpanProcessor.on_end). The key is private to opentelemetry.context.
_SUPPRESS_INSTRUMENTATION_KEY = context_api._SUPPRESS_INSTRUMENTATION_KEY


def exporter_for(settings: Settings) -> NeatlogsSpanExporter:
    """A new exporter for ``settings``: OTLP/HTTP when an endpoint is set, else the local store."""
    if settings.endpoint:
        from .otlp import OtlpHttpSpanExporter

        return OtlpHttpSpanExporter.for_settings(settings)
    from .sqlite import SqliteSpanExporter

    return SqliteSpanExporter(settings.store_path)


def _destination(settings: Settings) -> tuple[Any, ...]:
    """What decides the target: a change of any of these builds a new exporter."""
    headers = tuple(sorted((settings.headers or {}).items()))
    return (settings.endpoint, settings.api_key, headers, settings.store_path)


class RoutingSpanExporter(NeatlogsSpanExporter):
    """Forwards every call to the exporter the current settings call for.

    ``configure`` may run on any thread while the worker exports: the target is swapped
    in one assignment, and the old one is shut down after the swap.
    """

    def __init__(self, settings: Settings) -> None:
        self._target: NeatlogsSpanExporter | None = None
        self._destination: tuple[Any, ...] | None = None
        self.configure(settings)

    @property
    def target(self) -> NeatlogsSpanExporter | None:
        """The exporter batches go to now (None only if building one failed after a fork)."""
        return self._target

    def configure(self, settings: Settings) -> None:
        """Point at the exporter ``settings`` call for; the previous one, if replaced, is shut down."""
        destination = _destination(settings)
        if destination == self._destination:
            return
        old, self._target = self._target, exporter_for(settings)
        self._destination = destination
        if old is not None:
            try:
                old.shutdown()
            except Exception:
                _log.debug("shutting down the previous exporter failed", exc_info=True)

    def rebuild_after_fork(self, settings: Settings) -> None:
        """In a forked child: forget the parent's exporter (unclosed) and build one for ``settings``.

        The parent's connections and files stay the parent's; closing them here would cut
        them under the parent. Called from the fork hook: takes no lock.
        """
        self._target = None
        self._destination = None
        self.configure(settings)

    # --- NeatlogsSpanExporter interface, forwarded --------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        target = self._target
        if target is None:
            return SpanExportResult.FAILURE
        token = context_api.attach(context_api.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            return target.export(spans)
        finally:
            context_api.detach(token)

    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        target = self._target
        if target is not None:
            target.spill(spans)

    def set_deadline(self, deadline: float | None) -> None:
        target = self._target
        if target is not None:
            target.set_deadline(deadline)

    def spool_inflight(self) -> bool:
        target = self._target
        return target.spool_inflight() if target is not None else False

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        target = self._target
        return target.force_flush(timeout_millis) if target is not None else True

    def shutdown(self) -> None:
        target = self._target
        if target is not None:
            target.shutdown()

    @property
    def spooled(self) -> int:
        target = self._target
        return target.spooled if target is not None else 0

    @property
    def dropped(self) -> int:
        target = self._target
        return target.dropped if target is not None else 0

    @property
    def evicted(self) -> int:
        target = self._target
        return target.evicted if target is not None else 0

    @property
    def refusal(self) -> str | None:
        target = self._target
        return target.refusal if target is not None else None

    @property
    def unrecorded(self) -> int:
        target = self._target
        return target.unrecorded if target is not None else 0

    def exit_lines(self) -> list[str]:
        target = self._target
        return target.exit_lines() if target is not None else []
    def unsent_report(self) -> list[str]:
        target = self._target
        return target.unsent_report() if target is not None else []
