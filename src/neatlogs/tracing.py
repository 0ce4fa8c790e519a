"""The one wiring place: settings in, TracerProvider and processors out, and their lifecycle.

``init()`` is cheap: it resolves settings and registers hooks. The OpenTelemetry SDK is
imported and the provider built only when something needs it: the first span, or the
program importing OpenTelemetry itself (so spans made by other OpenTelemetry code are
stamped with the session too). When a global SDK provider already exists (the program's
own, Logfire's, Langfuse's), neatlogs adds its processors to it instead of replacing it.

All of the state lives in one ``TracingRuntime``, ``runtime``; ``_testing`` and
``_lifecycle`` go through its methods.
"""

from __future__ import annotations

import _thread  # threading itself costs an import; the builtin lock is enough here
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from opentelemetry.sdk.trace import SpanProcessor, Tracer, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from .config import Settings
    from .export.batch import SpoolingBatchSpanProcessor
    from .export.routing import RoutingSpanExporter

from . import _log, sessions

__all__ = [
    "TracingRuntime",
    "flush",
    "get_tracer",
    "init",
    "is_enabled",
    "runtime",
    "send_spool_in_background",
    "settings",
    "shutdown",
    "unrecorded",
]

TRACER_NAME = "neatlogs"
EXIT_BUDGET_MILLIS = 3000
"""Longest neatlogs may hold the program's exit; what is unsent by then goes to the spool."""
MAX_SPAN_ATTRIBUTES = 4096
"""Flattened chat messages need far more than OpenTelemetry's default of 128 attributes."""


class TracingRuntime:
    """The tracing state of this process; one instance, ``runtime``. Changed under ``lock``.

    ``tracer`` and ``enabled`` are read on every span: plain attributes, no properties.
    """

    __slots__ = (
        "lock", "settings", "enabled", "tracer", "provider", "owns_provider", "processors", "batch",
        "router", "building", "atexit_registered", "spool_checked", "instrumentations", "test_exporter",
    )

    def __init__(self) -> None:
        self.lock = _thread.RLock()
        self.settings: Settings | None = None
        """The settings of the last ``init()``, None before it (or after a test reset)."""
        self.enabled = False
        """True between a successful ``init()`` and ``shutdown()``."""
        self.tracer: Tracer | None = None
        self.provider: TracerProvider | None = None
        self.owns_provider = False
        """True when we made the provider; False when we joined the program's own."""
        self.processors: list[SpanProcessor] = []
        """Ours, in the order they were added to the provider: sessions, templates, export."""
        self.batch: SpoolingBatchSpanProcessor | None = None
        self.router: RoutingSpanExporter | None = None
        self.building = False
        self.atexit_registered = False
        self.spool_checked = False
        self.instrumentations: set[str] = set()
        """Every instrumentation any ``init()`` asked for: later calls add to it."""
        self.test_exporter: SpanExporter | None = None
        """Set by ``neatlogs._testing``: export synchronously to it instead of the router."""

    def use_test_exporter(self, exporter: SpanExporter | None) -> None:
        """Export through a ``SimpleSpanProcessor`` to ``exporter`` when the provider is next built."""
        self.test_exporter = exporter

    def forget(self) -> None:
        """After ``shutdown()``: forget settings, instrumentations and the test exporter, as a new process."""
        with self.lock:
            self.settings = None
            self.test_exporter = None
            self.instrumentations.clear()

    def after_fork_in_child(self) -> None:
        """In a forked child: give the router an exporter of the child's own.

        Takes no lock: another thread of the parent may have held it at fork time.
        """
        router, settings_ = self.router, self.settings
        if router is None or settings_ is None:
            return
        try:
            router.rebuild_after_fork(settings_)
        except Exception:
            _log.debug("re-creating the exporter after fork failed", exc_info=True)


runtime = TracingRuntime()
"""The process's tracing state."""


def is_enabled() -> bool:
    """True between a successful ``init()`` and ``shutdown()``."""
    return runtime.enabled


def settings() -> Settings | None:
    """The settings in effect (a ``config.Settings``), or None before ``init()``."""
    return runtime.settings


def init(**arguments: Any) -> None:
    """Resolve settings and start tracing; a second call updates the settings in place.

    Raises:
        ConfigError: a setting has a bad value (the message names it and its source).
    """
    from . import config

    resolved = config.load(arguments)
    state = runtime
    with state.lock:
        if resolved.debug:
            _log.enable_debug()
        if resolved.disabled:
            _log.debug("disabled by %s", resolved.sources["disabled"])
            if state.enabled:
                shutdown()  # a later init(disabled=True) turns tracing off
            state.settings = resolved
            return
        requested = resolved.instrumentations
        if requested is None:  # not chosen anywhere: every supported library, each hooked, never imported
            from .instrumentation import REGISTRY

            requested = tuple(REGISTRY)
        state.instrumentations.update(requested)
        resolved.instrumentations = tuple(sorted(state.instrumentations))
        previous, state.settings = state.settings, resolved
        state.enabled = True
        _apply_session_settings(resolved, previous)
        if state.router is not None:
            state.router.configure(resolved)
        elif "opentelemetry.trace" in sys.modules:
            _ensure_provider()
        else:
            from ._import_hooks import when_imported

            when_imported("opentelemetry.trace", _build_when_imported)
        if not state.atexit_registered:
            import atexit

            atexit.register(_at_exit)
            state.atexit_registered = True
            from . import _lifecycle  # SIGTERM/SIGHUP and forked children, which atexit misses

            _lifecycle.install()
        if resolved.endpoint and not state.spool_checked:
            state.spool_checked = True
            send_spool_in_background(resolved)
    if resolved.instrumentations:
        from . import instrumentation

        instrumentation.enable(resolved.instrumentations)
    _log.debug("initialised (%s)", "endpoint " + resolved.endpoint if resolved.endpoint else "local store")


def _apply_session_settings(resolved: Settings, previous: Settings | None) -> None:
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


def _build_when_imported(_module: object) -> None:
    # The program imported OpenTelemetry: build now, so its own spans get our processors too.
    _ensure_provider()


def get_tracer() -> Tracer | None:
    """Return the neatlogs tracer, building the provider on first use; None when not enabled."""
    tracer = runtime.tracer
    if tracer is not None:
        return tracer
    if not runtime.enabled:
        return None
    return _ensure_provider()


def _ensure_provider() -> Tracer | None:
    state = runtime
    with state.lock:
        if state.tracer is not None or state.building or not state.enabled:
            return state.tracer
        state.building = True
        try:
            state.tracer = _build(state)
        except Exception:
            _log.internal_error("building the tracer provider failed; tracing is off")
        finally:
            state.building = False
        return state.tracer


def _build(state: TracingRuntime) -> Tracer:
    """Make (or join) the provider and add our processors to it; called once per ``init()``, under the lock."""
    from opentelemetry import trace as trace_api
    from opentelemetry.sdk.trace import SpanLimits
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from .export.batch import SpoolingBatchSpanProcessor
    from .export.routing import RoutingSpanExporter
    from .processors import GenAIContentSpanProcessor, PromptTemplateSpanProcessor, SessionSpanProcessor

    settings_ = state.settings
    assert settings_ is not None  # init() set it before anything can build
    router = RoutingSpanExporter(settings_)
    batch: SpoolingBatchSpanProcessor | None = None
    processors: list[SpanProcessor] = [SessionSpanProcessor(), PromptTemplateSpanProcessor(),
                                       GenAIContentSpanProcessor(TRACER_NAME)]
    if state.test_exporter is not None:
        processors.append(SimpleSpanProcessor(state.test_exporter))
    elif not settings_.disable_export:  # disable_export: spans are made (and enriched), none exported
        batch = SpoolingBatchSpanProcessor(
            router, batch_size=settings_.batch_size, schedule_delay=settings_.flush_interval)
        processors.append(batch)
    given = settings_.tracer_provider
    existing = given if given is not None else (None if settings_.isolate else trace_api.get_tracer_provider())
    if existing is not None and hasattr(existing, "add_span_processor"):
        provider: Any = existing  # the provider given, the program's own, or another that takes processors
        state.owns_provider = False
        _log.debug("joining the existing TracerProvider %r instead of making one", existing)
    else:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased

        resource = Resource.create(_resource_attributes(settings_))
        # Keeping everything needs no ratio arithmetic on each span.
        rate = settings_.sample_rate
        sampler = ParentBased(ALWAYS_ON if rate >= 1.0 else TraceIdRatioBased(rate))
        provider = SdkTracerProvider(
            resource=resource,
            sampler=sampler,
            shutdown_on_exit=False,
            span_limits=SpanLimits(max_span_attributes=MAX_SPAN_ATTRIBUTES, max_event_attributes=MAX_SPAN_ATTRIBUTES),
        )
        state.owns_provider = True
        if settings_.isolate:
            _log.debug("isolated: neatlogs' provider is its own, not the global one")
        elif isinstance(existing, trace_api.ProxyTracerProvider):
            trace_api.set_tracer_provider(provider)
        else:
            _log.debug("global provider %r cannot take processors; using our own privately", existing)
    for processor in processors:
        provider.add_span_processor(processor)
    _one_attribute_limit_warning()
    state.provider = provider
    state.processors[:] = processors
    state.batch = batch
    state.router = router
    from . import __version__

    tracer: Tracer = provider.get_tracer(TRACER_NAME, __version__)
    return tracer


class _FirstAttributeLimitWarning:
    """A logging filter: OpenTelemetry's "Attributes dict is full" warning once per process, not once per attribute."""

    PREFIX = "Attributes dict is full"

    def __init__(self) -> None:
        self.seen = False

    def filter(self, record: Any) -> bool:
        if not str(record.msg).startswith(self.PREFIX):
            return True
        if self.seen:
            return False
        self.seen = True
        return True


def _one_attribute_limit_warning() -> None:
    """A span past its attribute limit (a third party's, or a program's own provider) warns once, not 15,000 times."""
    import logging

    logger = logging.getLogger("opentelemetry.attributes")
    if not any(isinstance(f, _FirstAttributeLimitWarning) for f in logger.filters):
        logger.addFilter(_FirstAttributeLimitWarning())


def _resource_attributes(settings_: Settings) -> dict[str, Any]:
    """The resource of the provider neatlogs makes: the workflow, and the backend's PII hints when asked."""
    from . import semconv

    attributes: dict[str, Any] = {semconv.SERVICE_NAME: settings_.service_name}
    if settings_.pii_enabled:
        attributes[semconv.NEATLOGS_PII_ENABLED] = True
        if settings_.pii_entities:
            attributes[semconv.NEATLOGS_PII_ENTITIES] = list(settings_.pii_entities)
        if settings_.pii_span_types:
            attributes[semconv.NEATLOGS_PII_SPAN_TYPES] = list(settings_.pii_span_types)
    return attributes


def send_spool_in_background(settings_: Settings) -> None:
    """Send spans an earlier run left in the spool, on a daemon thread, if there are any."""
    from .export.spool import send_in_background

    send_in_background(settings_)


def flush(timeout_millis: int = 30000) -> bool:
    """Export every finished span now; True when all were handed to the exporter in time."""
    try:
        return all(p.force_flush(timeout_millis) for p in list(runtime.processors))
    except Exception:
        _log.internal_error("flush failed")
        return False


def shutdown(timeout_millis: int = 30000) -> bool:
    """Flush and stop tracing; later spans are no-ops until ``init()`` is called again."""
    state = runtime
    with state.lock:
        ok = True
        processors, state.processors[:] = list(state.processors), []
        batch, state.batch = state.batch, None
        router, state.router = state.router, None
        provider, state.provider = state.provider, None
        state.enabled = False
        state.tracer = None
        try:
            for processor in processors:
                if processor is batch:
                    batch.shutdown(timeout_millis=timeout_millis)  # flushes within the bound, spools the rest
                else:
                    processor.shutdown()
            if state.owns_provider and provider is not None:
                provider.shutdown()
        except Exception:
            _log.internal_error("shutdown failed")
            ok = False
        if router is not None:
            _report_unsent(router)
        return ok


_unrecorded = 0


def unrecorded() -> int:
    """After ``shutdown()``: spans of this process the local store did not take (0 when all were written)."""
    return _unrecorded


def _report_unsent(router: RoutingSpanExporter) -> None:
    """One stderr line when spans went to the spool or were dropped during this run."""
    global _unrecorded
    try:
        spooled, dropped, evicted = router.spooled, router.dropped, router.evicted
        _unrecorded = router.unrecorded
        for line in router.exit_lines():
            _log.warning(line)
        cause = router.refusal or "endpoint unreachable"  # the endpoint's own reason when it gave one
    except Exception:
        _log.internal_error("reading the exporter's counters failed")
        return
    if spooled:
        _log.warning(f"{cause}: {spooled} spans kept in the spool; the next run or "
                     "`neatlogs push` sends them")
    if dropped:
        _log.warning(f"{dropped} spans were dropped (see the spool's dropped.log)")
    if evicted:
        _log.warning(f"the spool is full: its {evicted} oldest spans were dropped to keep it within its bound")


def _at_exit() -> None:
    interrupted = isinstance(getattr(sys, "last_value", None), KeyboardInterrupt)
    try:
        shutdown(timeout_millis=EXIT_BUDGET_MILLIS)
    except Exception:  # the program is exiting: never turn its exit into a traceback of ours
        _log.debug("shutdown at exit failed", exc_info=True)
    if interrupted:  # Ctrl-C ended the program: it must still die by SIGINT, as without us
        from ._lifecycle import keep_interrupt_exit_status

        keep_interrupt_exit_status()
