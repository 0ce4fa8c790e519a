"""The records the store writes and reads, and the rules that normalise a span's kind and tokens.

:class:`SpanRecord` is one span as the store keeps it: both the SDK's exporter and the
collector build one per span (deriving ``kind`` with :func:`span_kind_of` and the session
from ``session.id``, else the GenAI ``gen_ai.conversation.id``, so both paths agree), and
reads give them back. :class:`SessionSummary`, :class:`TraceSpans` and
:class:`SessionDetail` are what the session queries return. Each has ``to_json()``: the
dict the JSON API and ``--json`` print, whose shape is public.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .. import semconv

__all__ = [
    "SessionDetail",
    "SessionSummary",
    "SpanRecord",
    "TokenCounts",
    "TraceSpans",
    "TraceSummary",
    "span_kind_of",
    "token_counts",
]


def span_kind_of(attributes: dict[str, Any]) -> str | None:
    """Return the span's OpenInference kind, upper case (``"llm"`` is ``"LLM"``), or None.

    A span without ``openinference.span.kind`` that follows the OpenTelemetry GenAI
    conventions (pydantic-ai, google-adk, strands, semantic-kernel, any SDK's spans sent to
    the collector) takes the kind its ``gen_ai.operation.name`` stands for
    (``semconv.GEN_AI_OPERATION_KINDS``: ``invoke_agent`` is AGENT, ``execute_tool`` TOOL,
    ``chat`` LLM, ``embeddings`` EMBEDDING, ...). The SDK's exporter and the collector both
    call this, so a GenAI span gets the same kind on either path.

    Args:
        attributes: the span's attributes.

    Returns:
        The kind in upper case, None when neither convention gives one.
    """
    kind = attributes.get(semconv.OPENINFERENCE_SPAN_KIND)
    if kind is not None:
        return str(kind).upper()
    operation = attributes.get(semconv.GEN_AI_OPERATION_NAME)
    if isinstance(operation, str):
        return semconv.GEN_AI_OPERATION_KINDS.get(operation.lower())
    return None


@dataclass(frozen=True)
class TokenCounts:
    """A span's input, output and total tokens (each 0 when not reported)."""

    input: int
    output: int
    total: int


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def token_counts(attributes: dict[str, Any]) -> TokenCounts | None:
    """The tokens a span reports (OpenInference keys, else GenAI keys), or None when it reports none."""
    prompt = _int(attributes.get(semconv.LLM_TOKEN_COUNT_PROMPT))
    completion = _int(attributes.get(semconv.LLM_TOKEN_COUNT_COMPLETION))
    total = _int(attributes.get(semconv.LLM_TOKEN_COUNT_TOTAL))
    if prompt is None and completion is None and total is None:
        prompt = _int(attributes.get(semconv.GEN_AI_USAGE_INPUT_TOKENS))
        completion = _int(attributes.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS))
        if prompt is None and completion is None:
            return None
    prompt, completion = prompt or 0, completion or 0
    return TokenCounts(prompt, completion, total if total is not None else prompt + completion)


@dataclass
class SpanRecord:
    """One finished span, in the shape the store keeps it."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int
    kind: str | None = None
    span_kind: str | None = None
    status_code: str = "UNSET"
    status_message: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    parent_is_remote: bool = False
    """The parent span lives in another process (a W3C trace context carried it here), so this span
    is its trace's root in this process and in its session. Known when the span arrives (the SDK's
    exporter, OTLP's span flags) and stored (``spans.parent_remote``), so rows read back keep it."""

    @property
    def is_local_root(self) -> bool:
        """True when no span of this process is the span's parent: it has none, or a remote one."""
        return self.parent_span_id is None or self.parent_is_remote

    @property
    def session_id(self) -> str | None:
        """The span's session id attribute, if any."""
        value = self.attributes.get(semconv.SESSION_ID, self.attributes.get(semconv.GEN_AI_CONVERSATION_ID))
        return str(value) if value is not None else None

    @property
    def service_name(self) -> str | None:
        """The ``service.name`` of the span's resource."""
        value = self.resource.get(semconv.SERVICE_NAME)
        return str(value) if value is not None else None

    @property
    def token_count(self) -> int:
        """Total tokens the span reports by :func:`token_counts` (0 when none)."""
        counts = token_counts(self.attributes)
        return counts.total if counts is not None else 0

    def to_json(self) -> dict[str, Any]:
        """The span as the JSON API shows it (its attributes, events and resource are shared, not copied)."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "kind": self.kind,
            "span_kind": self.span_kind,
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "status_code": self.status_code,
            "status_message": self.status_message,
            "session_id": self.session_id,
            "service_name": self.service_name,
            "attributes": self.attributes,
            "events": self.events,
            "resource": self.resource,
            "parent_is_remote": self.parent_is_remote,
        }


@dataclass
class TraceSpans:
    """One trace: its id and its spans in start order."""

    trace_id: str
    spans: list[SpanRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"trace_id": ..., "spans": [...]}``, as ``GET /api/traces/{id}`` answers."""
        return {"trace_id": self.trace_id, "spans": [span.to_json() for span in self.spans]}


@dataclass
class SessionSummary:
    """A session's totals, kept up to date on every insert (one row of ``sessions``)."""

    session_id: str
    service_name: str | None
    first_start_ns: int
    last_end_ns: int
    span_count: int
    trace_count: int
    error_count: int
    token_count: int
    turn_count: int = 0
    no_session: bool = False

    def to_json(self) -> dict[str, Any]:
        """The totals as ``GET /api/sessions/{id}/summary`` answers them."""
        return {f.name: getattr(self, f.name) for f in fields(SessionSummary)}


@dataclass
class TraceSummary:
    """One trace in the traces list: its root, its session (None when it has none), its totals."""

    trace_id: str
    session_id: str | None
    name: str
    service_name: str | None
    start_time_ns: int
    end_time_ns: int
    span_count: int
    error_count: int

    def to_json(self) -> dict[str, Any]:
        """The trace's summary as ``GET /api/traces`` and ``neatlogs traces --json`` print it."""
        return {f.name: getattr(self, f.name) for f in fields(TraceSummary)}


@dataclass
class SessionDetail(SessionSummary):
    """A session's totals and its traces in start order, each with its spans."""

    traces: list[TraceSpans] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The totals plus ``traces``, as ``GET /api/sessions/{id}`` answers."""
        return {**super().to_json(), "traces": [trace.to_json() for trace in self.traces]}
