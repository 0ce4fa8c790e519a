"""Turn a stored session into a conversation timeline: turns, chat bubbles and span trees.

Shared by the dashboard pages and the terminal ``show`` view, so both tell the same story.
A turn is one trace. Its user message and reply come from the root span's input and output
(the ``@span(kind="AGENT")`` turn function), else from the LLM spans' chat messages.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from neatlogs import semconv
from neatlogs.store import SessionSummary, SpanRecord, TraceSpans

__all__ = [
    "RUNNING_WINDOW_NS",
    "SpanRow",
    "Turn",
    "build_turns",
    "is_running",
    "span_messages",
    "span_tokens",
]

RUNNING_WINDOW_NS = 10 * 60 * 1_000_000_000
"""A session active within this window counts as still running (its page refreshes)."""

# Keys of a JSON input or output object that most likely hold the chat text.
_INPUT_KEYS = ("message", "user_input", "input", "query", "question", "prompt", "text", "content")
_OUTPUT_KEYS = ("reply", "content", "output", "answer", "response", "text", "message")

_PROMPT_KEYS = (
    semconv.LLM_PROMPT_TEMPLATE,
    semconv.LLM_PROMPT_TEMPLATE_VARIABLES,
    semconv.LLM_PROMPT_TEMPLATE_VERSION,
    semconv.LLM_USER_PROMPT_TEMPLATE,
    semconv.LLM_USER_PROMPT_TEMPLATE_VARIABLES,
    semconv.LLM_USER_PROMPT_TEMPLATE_VERSION,
)


@dataclass
class SpanRow:
    """One span placed in its trace's waterfall."""

    span: SpanRecord
    depth: int
    offset_pct: float
    width_pct: float
    duration_ms: float
    tokens: int

    @property
    def is_error(self) -> bool:
        """True when the span ended with status ERROR."""
        return self.span.status_code == "ERROR"

    @property
    def prompt_attributes(self) -> list[tuple[str, Any]]:
        """The span's prompt template attributes (template, variables, version)."""
        attributes = self.span.attributes
        return [(key, attributes[key]) for key in _PROMPT_KEYS if key in attributes]

    @property
    def other_attributes(self) -> list[tuple[str, Any]]:
        """Every other attribute, sorted by key."""
        attributes = self.span.attributes
        return sorted((k, v) for k, v in attributes.items() if k not in _PROMPT_KEYS)


@dataclass
class Turn:
    """One conversation turn (one trace) of a session."""

    index: int
    trace_id: str
    root: SpanRecord
    user_text: str | None
    reply_text: str | None
    start_ns: int
    duration_ms: float
    tokens: int
    error_count: int
    rows: list[SpanRow] = field(default_factory=list)


def is_running(session: SessionSummary, now_ns: int | None = None) -> bool:
    """True when the session had activity within :data:`RUNNING_WINDOW_NS`."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    return now_ns - session.last_end_ns < RUNNING_WINDOW_NS


def span_tokens(span: SpanRecord) -> int:
    """Total tokens a span reports (OpenInference keys first, then GenAI ones), 0 when none."""
    attributes = span.attributes
    total = attributes.get(semconv.LLM_TOKEN_COUNT_TOTAL)
    if isinstance(total, int):
        return total
    parts = [
        attributes.get(semconv.LLM_TOKEN_COUNT_PROMPT, attributes.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)),
        attributes.get(semconv.LLM_TOKEN_COUNT_COMPLETION, attributes.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)),
    ]
    return sum(p for p in parts if isinstance(p, int))


def span_messages(span: SpanRecord, prefix: str) -> list[dict[str, str]]:
    """The flattened chat messages under ``prefix`` (input or output), as role/content dicts."""
    attributes = span.attributes
    messages: list[dict[str, str]] = []
    index = 0
    while True:
        role = attributes.get(semconv.message_key(prefix, index, semconv.MESSAGE_ROLE))
        content = attributes.get(semconv.message_key(prefix, index, semconv.MESSAGE_CONTENT))
        if role is None and content is None:
            return messages
        messages.append({"role": str(role or ""), "content": "" if content is None else str(content)})
        index += 1


def _decoded(span: SpanRecord, value_key: str, mime_key: str) -> Any:
    attributes = span.attributes
    value = attributes.get(value_key)
    if isinstance(value, str) and attributes.get(mime_key) == semconv.MIME_JSON:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _pick_text(value: Any, keys: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str):
                return value[key]
        strings = [v for v in value.values() if isinstance(v, str)]
        if len(strings) == 1:
            return strings[0]
    return json.dumps(value, ensure_ascii=False)


def _llm_spans(spans: list[SpanRecord]) -> list[SpanRecord]:
    return [s for s in spans if s.kind == "LLM" or s.span_kind == "CLIENT"]


def _user_text(root: SpanRecord, spans: list[SpanRecord]) -> str | None:
    text = _pick_text(_decoded(root, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE), _INPUT_KEYS)
    if text is not None:
        return text
    for span in _llm_spans(spans):
        users = [m["content"] for m in span_messages(span, semconv.LLM_INPUT_MESSAGES) if m["role"] == "user"]
        if users:
            return users[-1]
    return None


def _reply_text(root: SpanRecord, spans: list[SpanRecord]) -> str | None:
    text = _pick_text(_decoded(root, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE), _OUTPUT_KEYS)
    if text is not None:
        return text
    for span in reversed(_llm_spans(spans)):
        replies = [m["content"] for m in span_messages(span, semconv.LLM_OUTPUT_MESSAGES) if m["content"]]
        if replies:
            return replies[-1]
    return None


def _tree(spans: list[SpanRecord]) -> tuple[list[SpanRecord], dict[str, list[SpanRecord]]]:
    ids = {s.span_id for s in spans}
    children: dict[str, list[SpanRecord]] = {}
    roots: list[SpanRecord] = []
    for span in spans:  # already in start order
        parent = span.parent_span_id
        if parent is None or parent not in ids:
            roots.append(span)
        else:
            children.setdefault(parent, []).append(span)
    return roots, children


def _rows(spans: list[SpanRecord]) -> tuple[list[SpanRow], int]:
    roots, children = _tree(spans)
    start = min(s.start_time_ns for s in spans)
    end = max(s.end_time_ns for s in spans)
    total = max(end - start, 1)
    rows: list[SpanRow] = []
    turn_tokens = 0

    def visit(span: SpanRecord, depth: int) -> int:
        nonlocal turn_tokens
        below = sum(visit(child, depth + 1) for child in children.get(span.span_id, ()))
        own = span_tokens(span)
        # Count a span's tokens only when nothing under it reports any: wrappers repeat them.
        if own and not below:
            turn_tokens += own
        return below or own

    def place(span: SpanRecord, depth: int) -> None:
        duration = max(span.end_time_ns - span.start_time_ns, 0)
        rows.append(
            SpanRow(
                span=span,
                depth=depth,
                offset_pct=round(100 * (span.start_time_ns - start) / total, 2),
                width_pct=max(round(100 * duration / total, 2), 0.5),
                duration_ms=duration / 1e6,
                tokens=span_tokens(span),
            )
        )
        for child in children.get(span.span_id, ()):
            place(child, depth + 1)

    for root in roots:
        visit(root, 0)
        place(root, 0)
    return rows, turn_tokens


def build_turns(traces: list[TraceSpans]) -> list[Turn]:
    """Return one :class:`Turn` per trace (``get_session().traces``), in order."""
    turns: list[Turn] = []
    for trace in traces:
        spans = trace.spans
        if not spans:
            continue
        rows, tokens = _rows(spans)
        root = rows[0].span
        turns.append(
            Turn(
                index=len(turns) + 1,
                trace_id=trace.trace_id,
                root=root,
                user_text=_user_text(root, spans),
                reply_text=_reply_text(root, spans),
                start_ns=root.start_time_ns,
                duration_ms=rows[0].duration_ms,
                tokens=tokens,
                error_count=sum(1 for r in rows if r.is_error),
                rows=rows,
            )
        )
    return turns
