"""The wider neatlogs SDK surface that programs written for it call, beyond the core API.

From ``shared/NEATLOGS-SDK-API.md``: ``wrap(client)`` traces one object whatever was
enabled; ``log()`` records a log event in the current span (with ``capture_logs``);
``inject_trace_context`` / ``extract_trace_context`` carry W3C trace context across
services; ``langchain_handler()`` and ``openai_agents_processor()`` are the frameworks'
hooks. Each is cheap to import and does its work only when called.

``wrap`` takes a client of a supported library (OpenAI, AsyncOpenAI, AzureOpenAI, Anthropic,
AsyncAnthropic, a google-genai client, a boto3 bedrock-runtime client, ...) and makes sure its
library is instrumented, so calls through it are traced even when ``init()`` chose other
instrumentations; its keyword arguments are stamped as ``neatlogs.workflow.<key>`` on the span
of every call made through that client. Agent frameworks the SDK lists (a CrewAI Crew, a
pydantic-ai Agent, a DSPy module) are accepted and returned as they are; anything else is a
``TypeError``. ``langchain_handler()`` returns the LangChain callback handler of
``instrumentation/langchain``; ``openai_agents_processor()`` returns the Agents SDK trace
processor of ``instrumentation/openai_agents``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, MutableMapping, TypeVar

    T = TypeVar("T")

from . import _log, semconv, tracing

__all__ = [
    "LOG_LEVELS",
    "extract_trace_context",
    "inject_trace_context",
    "langchain_handler",
    "log",
    "openai_agents_processor",
    "workflow_attributes",
    "wrap",
]


# --- wrap --------------------------------------------------------------------------------
_LIBRARIES = {"openai": "openai", "anthropic": "anthropic", "google.genai": "google_genai", "botocore": "bedrock",
              "groq": "groq", "mistralai": "mistralai", "cohere": "cohere", "ollama": "ollama"}
"""Top-level package of an object's class (``google.genai`` by its first two parts) -> instrumentation."""

_FRAMEWORKS = ("crewai", "pydantic_ai", "dspy")
"""Agent frameworks whose objects ``wrap`` accepts as they are."""

_stamped: Any = None  # a WeakKeyDictionary once wrap() is given workflow attributes (weakref loads then)


def _library_of(obj: Any) -> str | None:
    module = type(obj).__module__ or ""
    parts = module.split(".")
    for key in (".".join(parts[:2]), parts[0]):
        if key in _LIBRARIES:
            if key == "botocore" and getattr(getattr(obj, "meta", None), "service_model", None) is not None:
                if obj.meta.service_model.service_name != "bedrock-runtime":
                    return None
            return _LIBRARIES[key]
    return None


def wrap(obj: T, **workflow: Any) -> T:
    """Return ``obj`` traced: its library instrumented, ``workflow`` stamped on its calls' spans.

    Args:
        obj: a client of a supported LLM library, or a supported agent framework's object.
        **workflow: attributes stamped as ``neatlogs.workflow.<key>`` on the span of each
            call through ``obj``.

    Raises:
        TypeError: ``obj`` is of no library neatlogs can trace.
    """
    library = _library_of(obj)
    if library is None:
        framework = (type(obj).__module__ or "").split(".")[0]
        if framework in _FRAMEWORKS:
            if framework == "pydantic_ai" and tracing.is_enabled():
                from .instrumentation import pydantic_ai

                pydantic_ai.instrument_agent(obj)
            return obj
        raise TypeError(
            f"neatlogs.wrap() cannot trace a {type(obj).__module__}.{type(obj).__qualname__}: it takes an OpenAI, "
            "Anthropic, google-genai or bedrock-runtime client (or a CrewAI, pydantic-ai or DSPy object)")
    from . import instrumentation

    if tracing.is_enabled():
        instrumentation.enable([library])
    if workflow:
        global _stamped
        if _stamped is None:
            import weakref

            _stamped = weakref.WeakKeyDictionary()
        try:
            _stamped[obj] = {f"{semconv.NEATLOGS_WORKFLOW_PREFIX}.{key}": value for key, value in workflow.items()}
        except TypeError:  # an object that cannot be weakly referenced: traced, not stamped
            _log.debug("cannot remember the workflow attributes of %r", type(obj))
    return obj


def workflow_attributes(instance: Any) -> dict[str, Any] | None:
    """The attributes ``wrap`` gave the client behind ``instance`` (a client or one of its resources)."""
    if not _stamped:
        return None
    for candidate in (instance, getattr(instance, "_client", None), getattr(instance, "_api_client", None)):
        if candidate is None:
            continue
        try:
            found = _stamped.get(candidate)
        except TypeError:
            continue
        if found is not None:
            return found
    return None


# --- log ---------------------------------------------------------------------------------


LOG_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}
"""The levels ``log()`` and ``init(log_level=...)`` take, lowest first."""


_LOG_OWN_NAMES = frozenset({"body", "template", "level", "data"})
"""Data keys that would land on a record's own key (``log.body``, ...): they go under ``log.data.``."""


def log(template: str, /, level: str = "info", **data: Any) -> None:
    """Record ``template`` filled with ``data`` as a log event of the current span.

    Args:
        template: the message, with ``{name}`` placeholders for ``data``.
        level: debug, info, warning or error; below the ``log_level`` setting it is dropped.
        **data: the values; each is recorded as ``log.<key>`` (``log.data.<key>`` for a key
            named body, template or level, which the record's own keys hold).
    """
    settings = tracing.settings()
    if settings is None or not settings.capture_logs or not tracing.is_enabled():
        return
    try:
        wanted = LOG_LEVELS.get(str(settings.log_level).lower(), 20)
        if LOG_LEVELS.get(str(level).lower(), 20) < wanted:
            return
        from opentelemetry import trace as trace_api

        span = trace_api.get_current_span()
        if not span.is_recording():
            return
        from ._content import current

        policy = current()
        try:
            body = template.format_map(data)
        except (KeyError, IndexError, ValueError, AttributeError):
            body = template  # a template that does not fit its data: keep what the program wrote
        attributes: dict[str, Any] = {semconv.LOG_LEVEL: str(level).lower()}
        for key, value in ((semconv.LOG_BODY, body), (semconv.LOG_TEMPLATE, template)):
            text = policy.text(value)
            if text is not None:
                attributes[key] = text
        for key, value in data.items():
            recorded = policy.masked(value)
            if recorded is not None:
                prefix = semconv.LOG_DATA_PREFIX if key in _LOG_OWN_NAMES else semconv.LOG_EVENT
                attributes[f"{prefix}.{key}"] = policy.attribute(recorded)
        span.add_event(semconv.LOG_EVENT, attributes)
    except Exception:
        _log.internal_error("recording a log record failed")


# --- trace context across services --------------------------------------------------------


def inject_trace_context(carrier: MutableMapping[str, str]) -> bool:
    """Write the current span's W3C trace context into ``carrier`` (e.g. request headers).

    Returns:
        True when a ``traceparent`` was written (there is a current span), else False.
    """
    try:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        TraceContextTextMapPropagator().inject(carrier)
        return "traceparent" in carrier
    except Exception:
        _log.internal_error("injecting the trace context failed")
        return False


class extract_trace_context:
    """Continue the trace whose context ``carrier`` holds, for the block: ``with extract_trace_context(headers):``.

    Spans started inside are children of the caller's span. ``session_id``, ``end_user_id``
    and ``end_user_metadata`` name the conversation and end user, as ``identify()`` does.
    """

    def __init__(self, carrier: Any, *, session_id: str | None = None, end_user_id: str | None = None,
                 end_user_metadata: Any = None) -> None:
        self._carrier = carrier
        self._identity = (session_id, end_user_id, end_user_metadata)
        self._tokens: list[tuple[Any, Any]] = []

    def __enter__(self) -> extract_trace_context:
        context_token = identity_token = None
        try:
            from opentelemetry import context
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

            extracted = TraceContextTextMapPropagator().extract(dict(self._carrier or {}))
            context_token = context.attach(extracted)
            if any(value is not None for value in self._identity):
                from .sessions import enter_identity

                identity_token = enter_identity(*self._identity)
        except Exception:
            _log.internal_error("extracting the trace context failed")
        self._tokens.append((context_token, identity_token))
        return self

    def __exit__(self, *exc: object) -> None:
        context_token, identity_token = self._tokens.pop()
        try:
            if identity_token is not None:
                from .sessions import exit_identity

                exit_identity(identity_token)
            if context_token is not None:
                from opentelemetry import context

                context.detach(context_token)
        except Exception:
            _log.internal_error("leaving the extracted trace context failed")

    async def __aenter__(self) -> extract_trace_context:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


# --- frameworks' hooks ---------------------------------------------------------------------


def langchain_handler() -> Any:
    """A LangChain callback handler to pass as ``callbacks=[...]``: every run beneath it becomes a span.

    It is the handler ``neatlogs run`` / ``init()`` already hooks into LangChain, so a run given
    it both ways is traced once.

    Raises:
        ImportError: LangChain (``langchain_core``) is not installed.
    """
    from .instrumentation import langchain

    return langchain.handler()


def openai_agents_processor() -> Any:
    """The trace processor for ``agents.add_trace_processor(...)`` of the OpenAI Agents SDK.

    It is the one ``neatlogs run`` / ``init()`` already adds when the program imports
    ``agents``: adding it again records nothing twice. Without ``init()`` it records nothing.

    Raises:
        ImportError: the OpenAI Agents SDK (``agents``) is not installed.
    """
    from .instrumentation.openai_agents import processor

    return processor()
