"""The view model: a stored session as a conversation timeline of turns, bubbles and span trees.

Shared by the dashboard pages and the terminal ``show`` view, so both tell the same story.
A turn is one user message and everything done for it (``neatlogs.store.turns`` holds the
rule, which the store's turn counts follow too): a root trace starts a turn, unless it is a
step (embeddings, retrieval, a tool, building an index) or a model call continuing a tool
loop; those fold into the nearest turn. "You:" is the root's message-like input (a decorated
turn function), or for a model-call root the last user message of its request; a root whose
input holds no words (a framework's objects: LlamaIndex's start event) takes its first model
call's user message. The reply likewise: the root's words, else the last model call's. A span's tokens count once:
only the innermost span reporting them adds to a turn.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from neatlogs import semconv
from neatlogs.store import (
    ChatMessage,
    SessionSummary,
    SpanRecord,
    TraceSpans,
    bounded_json,
    input_messages,
    is_model_call,
    is_step,
    last_user_text,
    output_messages,
    starts_turn,
    token_counts,
)

from .conversation import ToolStep, tool_steps
from .span_facts import SpanFacts, span_facts

__all__ = [
    "RUNNING_WINDOW_NS",
    "STREAM_ENDED_EARLY",
    "SpanRow",
    "Turn",
    "build_turns",
    "is_running",
    "span_messages",
    "span_tokens",
]

RUNNING_WINDOW_NS = 60 * 1_000_000_000
"""A session counts as live for one minute after its last span (its page refreshes)."""

STREAM_ENDED_EARLY = "stream ended early"
"""How the views mark a streamed call the program stopped reading: its reply is only what arrived."""

# Keys of a JSON input or output object that most likely hold the chat text.
_INPUT_KEYS = ("message", "user_input", "input", "query", "question", "prompt", "text", "content")
_OUTPUT_KEYS = ("reply", "content", "output", "answer", "response", "text", "message")
_OBJECT_REPR = re.compile(
    r"(?:<[^<>]*>|[A-Z]\w*\((?:\)|.*=.*(?:\)|\.\.\.)))(?:\.\.\.\[neatlogs: truncated \d+ chars\])?", re.DOTALL)
"""A Python object's repr: ``<Document(id_=...)>``, ``<X object>``, ``AgentWorkflowStartEvent()``,
``StopEvent(result=...)``, also cut short (OpenInference ends a long one in ``...``; ours adds a marker)."""
_USER_ROLES = ("user", "human")
_REPLY_ROLES = ("assistant", "ai")
"""Roles of the messages an agent's ``{"messages": [...]}`` input and output are read for."""

_PROMPT_KEYS = (
    semconv.LLM_PROMPT_TEMPLATE,
    semconv.LLM_PROMPT_TEMPLATE_VARIABLES,
    semconv.LLM_PROMPT_TEMPLATE_VERSION,
    semconv.NEATLOGS_USER_PROMPT_TEMPLATE,
    semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES,
    semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VERSION,
    # As neatlogs wrote them before: stores from then still show their user templates.
    semconv.LLM_USER_PROMPT_TEMPLATE,
    semconv.LLM_USER_PROMPT_TEMPLATE_VARIABLES,
    semconv.LLM_USER_PROMPT_TEMPLATE_VERSION,
)


@dataclass
class SpanRow:
    """One span placed in its turn's waterfall."""

    span: SpanRecord
    depth: int
    offset_pct: float
    width_pct: float
    duration_ms: float
    tokens: int
    first_chunk_ms: float | None = None
    tokens_not_reported: bool = False
    stream_incomplete: bool = False
    """A streamed model call the program stopped reading (or dropped) before the model finished."""

    @property
    def is_error(self) -> bool:
        """True when the span ended with status ERROR."""
        return self.span.status_code == "ERROR"

    @property
    def facts(self) -> SpanFacts:
        """What a tool, agent, retriever or reranker span did (name, arguments, role, documents)."""
        return span_facts(self.span)

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
    """One conversation turn of a session: the trace that started it and those folded into it."""

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
    trace_ids: list[str] = field(default_factory=list)
    first_chunk_ms: float | None = None
    tokens_not_reported: bool = False
    stream_incomplete: bool = False
    """A model call of the turn was streamed and not read to its end: the reply shown is partial."""
    tool_steps: list[ToolStep] = field(default_factory=list)
    """Tool calls and results between the user's message and the reply (``conversation.tool_steps``)."""


def is_running(session: SessionSummary, now_ns: int | None = None) -> bool:
    """True when the session's last span ended within :data:`RUNNING_WINDOW_NS`."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    return now_ns - session.last_end_ns < RUNNING_WINDOW_NS


def span_tokens(span: SpanRecord) -> int:
    """Total tokens a span reports (OpenInference keys, else GenAI ones), 0 when none."""
    counts = token_counts(span.attributes)
    return counts.total if counts is not None else 0


def span_messages(span: SpanRecord, prefix: str) -> list[dict[str, str]]:
    """The span's input (``prefix`` llm.input_messages) or output chat messages, as role/content dicts.

    Read from either convention (OpenInference keys, GenAI attributes or events); a tool
    call shows as ``name(arguments)`` on its own line.
    """
    output = prefix == semconv.LLM_OUTPUT_MESSAGES
    reader = output_messages if output else input_messages
    return [{"role": m.role, "content": _message_text(m)} for m in reader(span.attributes, span.events)]


def _message_text(message: ChatMessage) -> str:
    calls = [f"{c.name}({c.arguments})" for c in message.tool_calls]
    return "\n".join(part for part in [message.content, *calls] if part)


def _decoded(span: SpanRecord, value_key: str, mime_key: str) -> Any:
    attributes = span.attributes
    value = attributes.get(value_key)
    if isinstance(value, str) and attributes.get(mime_key) == semconv.MIME_JSON:
        try:
            return bounded_json.loads(value)
        except ValueError:  # not JSON, or nested too deep to read: shown as the text it is
            return value
    return value


def _last_message_text(messages: Any, roles: tuple[str, ...]) -> str | None:
    """The text of the last message of one of ``roles`` in a framework's ``{"messages": [...]}`` state."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and (message.get("role") or message.get("type")) in roles:
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("text"))
            if isinstance(content, str) and content:
                return content
    return None


def _is_object_repr(text: str) -> bool:
    """True for a Python object's repr standing in for a value (``StopEvent(result=...)``, ``<X object>``).

    A framework's instrumentor records an argument or result it cannot serialise so (LlamaIndex's
    workflow events): the words a user said or a model replied are never that.
    """
    return _OBJECT_REPR.fullmatch(text.strip()) is not None


def _said(value: Any, keys: tuple[str, ...], roles: tuple[str, ...], depth: int = 0) -> str | None:
    """The message-like text of an input or output value; None when it holds none (only objects, JSON)."""
    if isinstance(value, str):
        return None if _is_object_repr(value) else value
    if not isinstance(value, dict):
        return None
    if len(value) == 1 and depth < 2:
        (inner,) = value.values()
        if isinstance(inner, dict):  # keyword arguments recorded as one (DSPy's ``forward(**input_args)``)
            return _said(inner, keys, roles, depth + 1)
    said = _last_message_text(value.get("messages"), roles) if roles else None
    if said is not None:  # a LangGraph agent's state: the user's last message, the agent's last reply
        return said
    for key in keys:
        if isinstance(value.get(key), str) and not _is_object_repr(value[key]):
            return value[key]
    strings = [v for v in value.values() if isinstance(v, str) and not _is_object_repr(v)]
    return strings[0] if len(strings) == 1 else None


def _pick_text(value: Any, keys: tuple[str, ...], roles: tuple[str, ...] = ()) -> str | None:
    """The value's message-like text, else the value as it is (text, or JSON)."""
    if value is None:
        return None
    said = _said(value, keys, roles)
    if said is not None:
        return said
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _user_text(root: SpanRecord, spans: list[SpanRecord]) -> str | None:
    """The root's message-like input, else the first model call's user message, else the root's input."""
    if is_model_call(root):
        return last_user_text(root)
    value = _decoded(root, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE)
    said = _said(value, _INPUT_KEYS, _USER_ROLES)
    if said is not None:
        return said
    for span in spans:
        if is_model_call(span):
            said = last_user_text(span)
            if said is not None:
                return said
    return _pick_text(value, _INPUT_KEYS, _USER_ROLES)


def _model_reply(span: SpanRecord) -> str | None:
    messages = output_messages(span.attributes, span.events)
    for message in reversed(messages):
        if message.content:
            return message.content
    calls = [c.name for m in messages for c in m.tool_calls]
    return f"(calls {', '.join(calls)})" if calls else None


def _reply_text(root: SpanRecord, spans: list[SpanRecord]) -> str | None:
    """The root's message-like output, else the last model call's reply, else the root's output."""
    value = _decoded(root, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE)
    if not is_model_call(root):
        said = _said(value, _OUTPUT_KEYS, _REPLY_ROLES)
        if said is not None:
            return said
    for span in reversed(spans):
        if is_model_call(span):
            reply = _model_reply(span)
            if reply is not None:
                return reply
    # A model call that recorded no reply messages, only its output value; or no model call at all.
    return _pick_text(value, _OUTPUT_KEYS, _REPLY_ROLES)


def _is_streamed(span: SpanRecord) -> bool:
    if semconv.NEATLOGS_FIRST_CHUNK_MS in span.attributes:
        return True
    parameters = span.attributes.get(semconv.LLM_INVOCATION_PARAMETERS)
    if not isinstance(parameters, str):
        return False
    try:
        loaded = bounded_json.loads(parameters)
    except ValueError:
        return False
    return isinstance(loaded, dict) and loaded.get("stream") is True


def _rows(traces: list[TraceSpans]) -> tuple[list[SpanRow], int]:
    """The turn's span rows (each trace's tree in order) and its tokens, each model call once."""
    spans = [s for t in traces for s in t.spans]
    start = min(s.start_time_ns for s in spans)
    total = max(max(s.end_time_ns for s in spans) - start, 1)
    rows: list[SpanRow] = []
    turn_tokens = 0

    def visit(span: SpanRecord, children: dict[str, list[SpanRecord]]) -> bool:
        """Add the span's tokens when nothing under it reports any; True when it or a descendant does."""
        nonlocal turn_tokens
        below = [visit(child, children) for child in children.get(span.span_id, ())]
        if any(below):
            return True
        counts = token_counts(span.attributes)
        if counts is not None:
            turn_tokens += counts.total
        return counts is not None

    def place(span: SpanRecord, depth: int, children: dict[str, list[SpanRecord]]) -> None:
        duration = max(span.end_time_ns - span.start_time_ns, 0)
        first_chunk = span.attributes.get(semconv.NEATLOGS_FIRST_CHUNK_MS)
        reported = token_counts(span.attributes) is not None
        rows.append(
            SpanRow(
                span=span,
                depth=depth,
                offset_pct=round(100 * (span.start_time_ns - start) / total, 2),
                width_pct=max(round(100 * duration / total, 2), 0.5),
                duration_ms=duration / 1e6,
                tokens=span_tokens(span),
                first_chunk_ms=float(first_chunk) if isinstance(first_chunk, (int, float)) else None,
                tokens_not_reported=not reported and is_model_call(span) and _is_streamed(span),
                stream_incomplete=span.attributes.get(semconv.NEATLOGS_STREAM_INCOMPLETE) is True,
            )
        )
        for child in children.get(span.span_id, ()):
            place(child, depth + 1, children)

    for trace in traces:
        roots, children = _tree(trace.spans)
        for root in roots:
            visit(root, children)
            place(root, 0, children)
    return rows, turn_tokens


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


def _steps_ahead_of(turn: list[TraceSpans], steps: list[TraceSpans], next_start_ns: int) -> list[TraceSpans]:
    """The tail of ``steps`` that ran nearer to the next turn's start than to the end of ``turn``."""
    turn_end = max(s.end_time_ns for t in turn for s in t.spans)
    for index, step in enumerate(steps):
        start = min(s.start_time_ns for s in step.spans)
        end = max(s.end_time_ns for s in step.spans)
        if next_start_ns - end < start - turn_end:
            return steps[index:]
    return []


def _root(trace: TraceSpans) -> SpanRecord:
    """The trace's root span here: the first without a parent or with a remote one (another process's),
    else the earliest (its parent never arrived)."""
    return next((s for s in trace.spans if s.is_local_root), trace.spans[0])


def _turn(index: int, traces: list[TraceSpans]) -> Turn:
    """One turn from its traces: the first is the one that started it (or the only ones there are)."""
    rows, tokens = _rows(traces)
    conversation = [t for t in traces if not is_step(_root(t))] or traces
    first = conversation[0]
    root = _root(first)
    replies = [_reply_text(_root(t), t.spans) for t in conversation]
    first_chunks = [r.first_chunk_ms for r in rows if r.first_chunk_ms is not None]
    end_ns = max(s.end_time_ns for t in traces for s in t.spans)
    start_ns = min(s.start_time_ns for t in traces for s in t.spans)
    return Turn(
        index=index,
        trace_id=first.trace_id,
        root=root,
        user_text=_user_text(root, first.spans),
        reply_text=next((r for r in reversed(replies) if r is not None), None),
        start_ns=start_ns,
        duration_ms=max(end_ns - start_ns, 0) / 1e6,
        tokens=tokens,
        error_count=sum(1 for r in rows if r.is_error),
        rows=rows,
        trace_ids=[t.trace_id for t in traces],
        first_chunk_ms=first_chunks[0] if first_chunks else None,
        tokens_not_reported=any(r.tokens_not_reported for r in rows),
        stream_incomplete=any(r.stream_incomplete for r in rows),
        tool_steps=tool_steps(r.span for r in rows),
    )


def build_turns(traces: list[TraceSpans]) -> list[Turn]:
    """Return the turns of a session's traces (``get_session().traces``, in start order).

    A trace whose root starts a turn opens one. A tool loop's next call joins the turn before
    it. A step (an embedding, a retrieval, a tool run on its own) joins the turn nearest in
    time: the one before it, unless it ran closer to the start of the next one (a RAG bot
    embeds the user's question just before asking the model about it). Anything before the
    first turn joins the first turn.
    """
    groups: list[list[TraceSpans]] = []
    leading: list[TraceSpans] = []
    pending: list[TraceSpans] = []  # steps after the last turn's start, not yet placed
    for trace in traces:
        if not trace.spans:
            continue
        root = _root(trace)
        if starts_turn(root):
            if not groups:
                groups.append([*leading, trace])
                leading = []
                continue
            ahead = _steps_ahead_of(groups[-1], pending, root.start_time_ns)
            groups[-1].extend(pending[:len(pending) - len(ahead)])
            groups.append([*ahead, trace])
            pending = []
        elif not groups:
            leading.append(trace)
        elif is_step(root):
            pending.append(trace)
        else:
            groups[-1].extend(pending)
            groups[-1].append(trace)
            pending = []
    if groups:
        groups[-1].extend(pending)
    if leading:  # nothing in the session started a turn: it is still shown, as one
        groups.append(leading)
    return [_turn(i + 1, group) for i, group in enumerate(groups)]
