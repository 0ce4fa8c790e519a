"""The rules that make spans a conversation: what a turn is, what the user said, a span's tokens.

Written once, here, because the writer keeps session totals with them and the view model
(``neatlogs_cli.timeline``) draws turns with them: the list, the header and the turns agree.

- A root span **starts a turn** unless it is a step (embeddings, retrieval, reranking, a tool,
  moderation, MCP protocol traffic such as ``initialize`` and ``tools/list``) or a model
  call whose request does not end in a new user message (a tool loop's next call: its
  request ends in tool results).
- **"You:"** of a model-call root is the last user message of its request, or
  ``tool result: ...`` when the request ends in one.
- A span's **tokens** come from OpenInference keys, else from OTel GenAI keys; a call counts
  once: only a span none of whose descendants carries counts adds to a total.
"""

from __future__ import annotations

from .. import semconv
from .chat import ChatMessage, input_messages
from .records import SpanRecord, TokenCounts, token_counts

__all__ = [
    "STEP_KINDS",
    "STEP_OPERATIONS",
    "TokenCounts",
    "is_model_call",
    "is_step",
    "last_user_text",
    "starts_turn",
    "token_counts",
]

STEP_KINDS = frozenset({"EMBEDDING", "RETRIEVER", "RERANKER", "TOOL", "VECTOR_STORE"})
"""Span kinds whose root trace is a step of the nearest turn, never a turn of its own."""

STEP_OPERATIONS = frozenset({"embeddings", "moderation", "moderations"})
"""``gen_ai.operation.name`` values of calls that are not conversation."""

_TOOL_RESULT_PREFIX = "tool result: "
_GEN_AI_CALL_KEYS = (semconv.GEN_AI_OPERATION_NAME, semconv.GEN_AI_REQUEST_MODEL, semconv.GEN_AI_INPUT_MESSAGES)


def is_model_call(span: SpanRecord) -> bool:
    """True for a span that is one call to a model (kind LLM, or a GenAI client span)."""
    if span.kind is not None:
        return span.kind == "LLM"
    attributes = span.attributes
    return any(key in attributes for key in _GEN_AI_CALL_KEYS)


def is_step(span: SpanRecord) -> bool:
    """True for a root that is not conversation: embeddings, retrieval, a tool, moderation."""
    if span.kind in STEP_KINDS:
        return True
    if semconv.MCP_METHOD_NAME in span.attributes:  # MCP traffic (initialize, tools/list, a call) is not conversation
        return True
    operation = span.attributes.get(semconv.GEN_AI_OPERATION_NAME)
    return isinstance(operation, str) and operation.lower() in STEP_OPERATIONS


def _last_asking(messages: list[ChatMessage]) -> ChatMessage | None:
    """The request's last message that is not the assistant's (a prefill does not count)."""
    for message in reversed(messages):
        if message.role not in ("assistant", "system", "developer"):
            return message
    return None


def last_user_text(span: SpanRecord) -> str | None:
    """What the user said to a model call: its request's last user message (or the tool result it ends in)."""
    last = _last_asking(input_messages(span.attributes, span.events))
    if last is None:
        return None
    if last.is_tool_result:
        return _TOOL_RESULT_PREFIX + last.content
    return last.content


def starts_turn(root: SpanRecord) -> bool:
    """True when a root span begins a new turn (see the module docstring for the rule)."""
    if is_step(root):
        return False
    if not is_model_call(root):
        return True
    last = _last_asking(input_messages(root.attributes, root.events))
    # No messages (content capture off, a prompt string): nothing says it continues.
    return last is None or not last.is_tool_result
