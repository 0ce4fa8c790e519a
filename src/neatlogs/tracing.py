"""The one wiring place: settings in, TracerProvider and processors out, and their lifecycle.

``init()`` is cheap: it resolves settings and registers hooks. The OpenTelemetry SDK is
imported and the provider built only when something needs it: the first span, or the
program importing OpenTelemetry itself (so spans made by other OpenTelemetry code are
stamped with the session too). When a global SDK provider already exists (the program's
own, Logfire's, Langfuse's), neatlogs adds its processors to it instead of replacing it.
"""

from __future__ import annotations

import _thread  # threading itself costs an import; the builtin lock is enough here
import sys
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from . import _log, sessions

__all__ = ["flush", "get_tracer", "init", "is_enabled", "settings", "shutdown"]

TRACER_NAME = "neatlogs"
EXIT_BUDGET_MILLIS = 3000
"""Longest neatlogs may hold the program's exit; what is unsent by then goes to the spool."""
MAX_SPAN_ATTRIBUTES = 4096
"""Flattened chat messages need far more than OpenTelemetry's default of 128 attributes."""

_lock = _thread.RLock()
_settings: Any = None  # config.Settings once init() ran
_enabled = False
_tracer: Any = None
_provider: Any = None
_owns_provider = False
_processors: list[Any] = []
_router: Any = None
_building = False
_atexit_registered = False
_spool_checked = False
_instrumentations: set[str] = set()
_test_exporter: Any = None  # set by neatlogs._testing: export synchronously to it instead


def is_enabled() -> bool:
    """True between a successful ``init()`` and ``shutdown()``."""
    return _enabled


def settings() -> Any:
    """The settings in effect (a ``config.Settings``), or None before ``init()``."""
    return _settings


def init(**arguments: Any) -> None:
    """Resolve settings and start tracing; a second call updates the settings in place.

    Raises:
        ConfigError: a setting has a bad value (the message names it and its source).
    """
    global _settings, _enabled, _atexit_registered, _spool_checked
    from . import config

    resolved = config.load(arguments)
    with _lock:
        if resolved.debug:
            _log.enable_debug()
        if resolved.disabled:
            _log.debug("disabled by %s", resolved.sources["disabled"])
            if _enabled:
                shutdown()  # a later init(disabled=True) turns tracing off
            _settings = resolved
            return
        _instrumentations.update(resolved.instrumentations or ())
        resolved.instrumentations = tuple(sorted(_instrumentations))
        previous, _settings = _settings, resolved
        _enabled = True
        _apply_session_settings(resolved, previous)
        if _router is not None:
            _router.configure(resolved)
        elif "opentelemetry.trace" in sys.modules:
            _ensure_provider()
        else:
            from ._import_hooks import when_imported

            when_imported("opentelemetry.trace", lambda _module: _ensure_provider())
        if not _atexit_registered:
            import atexit

            atexit.register(_at_exit)
            _atexit_registered = True
            from . import _lifecycle  # SIGTERM/SIGHUP and forked children, which atexit misses

            _lifecycle.install()
        if resolved.endpoint and not _spool_checked:
            _spool_checked = True
            send_spool_in_background(resolved)
    if resolved.instrumentations:
        from . import instrumentation

        instrumentation.enable(resolved.instrumentations)
    _log.debug("initialised (%s)", "endpoint " + resolved.endpoint if resolved.endpoint else "local store")


def _apply_session_settings(resolved: Any, previous: Any) -> None:
    session_id = resolved.session_id
    if session_id is None and resolved.auto_session:
        kept = sessions.default_session_id() if previous is not None else None
        session_id = kept or sessions.new_session_id()
    metadata_json = None
    if resolved.metadata:
        from .serialize import to_json

        metadata_json = to_json(resolved.metadata)
    sessions.configure(session_id, resolved.user_id, resolved.tags, metadata_json, resolved.service_name)
    sessions.propagate_to_threads()


def get_tracer() -> Any:
    """Return the neatlogs tracer, building the provider on first use; None when not enabled."""
    if _tracer is not None:
        return _tracer
    if not _enabled:
        return None
    return _ensure_provider()


def _ensure_provider() -> Any:
    global _tracer, _building
    with _lock:
        if _tracer is not None or _building or not _enabled:
            return _tracer
        _building = True
        try:
            _tracer = _build()
        except Exception:
            _log.debug("building the tracer provider failed; tracing is off", exc_info=True)
        finally:
            _building = False
        return _tracer


def _build() -> Any:
    global _provider, _owns_provider, _router
    from opentelemetry import trace as trace_api
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from .export.batch import SpoolingBatchSpanProcessor
    from .processors import PromptTemplateSpanProcessor, SessionSpanProcessor

    settings_ = _settings
    _router = _RoutingSpanExporter()
    _router.configure(settings_)
    if _test_exporter is not None:
        export_processor: Any = SimpleSpanProcessor(_test_exporter)
    else:
        export_processor = SpoolingBatchSpanProcessor(_router)
    processors = [SessionSpanProcessor(), PromptTemplateSpanProcessor(), export_processor]
    existing = trace_api.get_tracer_provider()
    if hasattr(existing, "add_span_processor"):
        provider = existing
        _owns_provider = False
        _log.debug("joining the existing TracerProvider %r instead of replacing it", existing)
    else:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased

        resource = Resource.create({"service.name": settings_.service_name})
        # Keeping everything needs no ratio arithmetic on each span.
        rate = settings_.sample_rate
        sampler = ParentBased(ALWAYS_ON if rate >= 1.0 else TraceIdRatioBased(rate))
        provider = TracerProvider(
            resource=resource,
            sampler=sampler,
            shutdown_on_exit=False,
            span_limits=SpanLimits(max_span_attributes=MAX_SPAN_ATTRIBUTES, max_event_attributes=MAX_SPAN_ATTRIBUTES),
        )
        _owns_provider = True
        if isinstance(existing, trace_api.ProxyTracerProvider):
            trace_api.set_tracer_provider(provider)
        else:
            _log.debug("global provider %r cannot take processors; using our own privately", existing)
    for processor in processors:
        provider.add_span_processor(processor)
    _provider = provider
    _processors[:] = processors
    from . import __version__

    return provider.get_tracer(TRACER_NAME, __version__)


class _RoutingSpanExporter:
    """Sends batches to the exporter the current settings call for; re-init may switch it."""

    def __init__(self) -> None:
        self._target: Any = None
        self._key: tuple | None = None

    def configure(self, settings_: Any) -> None:
        key = (settings_.endpoint, settings_.api_key, settings_.store_path)
        if key == self._key:
            return
        old = self._target
        if settings_.endpoint:
            self._target = _otlp_exporter(settings_)
        else:
            from .export.sqlite import SqliteSpanExporter

            self._target = SqliteSpanExporter(settings_.store_path)
        self._key = key
        if old is not None:
            try:
                old.shutdown()
            except Exception:
                _log.debug("shutting down the previous exporter failed", exc_info=True)

    def export(self, spans: Any) -> Any:
        from opentelemetry import context

        # Export traffic must not be traced itself, as in SimpleSpanProcessor.
        token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            return self._target.export(spans)
        finally:
            context.detach(token)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._target.force_flush(timeout_millis)

    def shutdown(self) -> None:
        self._target.shutdown()

    def __getattr__(self, name: str) -> Any:
        # spill, set_deadline, spool, inflight...: whatever the current exporter offers.
        return getattr(self._target, name)


def _otlp_exporter(settings_: Any) -> Any:
    from .export.otlp import OtlpHttpSpanExporter

    return OtlpHttpSpanExporter.for_settings(settings_)


def send_spool_in_background(settings_: Any) -> None:
    """Send spans an earlier run left in the spool, on a daemon thread, if there are any."""
    import os

    from .export.spool import spool_folder

    folder = spool_folder(settings_.home, settings_.endpoint)
    try:
        if not any(name.endswith(".otlp.gz") for name in os.listdir(folder)):
            return
    except OSError:
        return
    import threading

    def send() -> None:
        try:
            _otlp_exporter(settings_).send_spool(max_seconds=30.0)
        except Exception:
            _log.debug("sending the spool failed", exc_info=True)

    threading.Thread(target=send, name="neatlogs-spool", daemon=True).start()


def flush(timeout_millis: int = 30000) -> bool:
    """Export every finished span now; True when all were handed to the exporter in time."""
    try:
        return all(p.force_flush(timeout_millis) for p in list(_processors))
    except Exception:
        _log.debug("flush failed", exc_info=True)
        return False


def shutdown(timeout_millis: int = 30000) -> bool:
    """Flush and stop tracing; later spans are no-ops until ``init()`` is called again."""
    global _enabled, _tracer, _router, _provider
    with _lock:
        ok = True
        processors, _processors[:] = list(_processors), []
        router, _router = _router, None
        _enabled = False
        _tracer = None
        try:
            # Not imported when nothing was traced: it costs ~8 ms of every untraced exit.
            batch = sys.modules.get(__name__.rpartition(".")[0] + ".export.batch")
            for processor in processors:
                if batch is not None and isinstance(processor, batch.SpoolingBatchSpanProcessor):
                    # Flushes within the bound and spools what is left.
                    processor.shutdown(timeout_millis=timeout_millis)
                else:
                    processor.shutdown()
            if _owns_provider and _provider is not None:
                _provider.shutdown()
        except Exception:
            _log.debug("shutdown failed", exc_info=True)
            ok = False
        _provider = None
        if router is not None:
            _report_unsent(router)
        return ok


def _report_unsent(router: Any) -> None:
    """One stderr line when spans went to the spool or were dropped during this run."""
    spooled = getattr(router, "spooled", 0)
    dropped = getattr(router, "dropped", 0)
    if spooled:
        _log.warning(f"endpoint unreachable: {spooled} spans kept in the spool; the next run or "
                     "`neatlogs push` sends them")
    if dropped:
        _log.warning(f"{dropped} spans were dropped (see the spool's dropped.log)")
    evicted = getattr(getattr(router, "spool", None), "evicted", 0)
    if evicted:
        _log.warning(f"the spool is full: its {evicted} oldest spans were dropped to keep it within its bound")


def _at_exit() -> None:
    interrupted = isinstance(getattr(sys, "last_value", None), KeyboardInterrupt)
    try:
        shutdown(timeout_millis=EXIT_BUDGET_MILLIS)
    except Exception:
        pass
    if interrupted:  # Ctrl-C ended the program: it must still die by SIGINT, as without us
        from ._lifecycle import keep_interrupt_exit_status

        keep_interrupt_exit_status()
