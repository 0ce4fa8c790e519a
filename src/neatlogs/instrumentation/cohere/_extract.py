"""Cohere v2 chat, embed and rerank requests, responses and stream events as span attributes.

Messages carry a role and content (text, or a list of content blocks); assistant turns may
carry ``tool_calls`` (``function.name`` / ``arguments``) and tool results are ``tool``
messages with a ``tool_call_id``. The API counts tokens as floats; they are recorded as
integers, from ``usage.tokens`` (what the model read and wrote), else ``usage.billed_units``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .._llm.attributes import (
    embedding_inputs,
    finish_attributes,
    input_value,
    invocation_parameters,
    output_text,
    output_value,
    request_attributes,
    usage_attributes,
)
from .._llm.messages import flatten_messages, get, is_given, text_of

__all__ = ["ChatStreamAccumulator", "chat_request", "chat_response", "embed_request", "embed_response",
           "rerank_request", "rerank_response"]

PROVIDER = "cohere"
"""``gen_ai.provider.name`` (GenAI conventions' well-known value, https://github.com/open-telemetry/
semantic-conventions-genai) and ``llm.provider`` (OpenInference's ``OpenInferenceLLMProviderValues.COHERE``,
https://github.com/Arize-ai/openinference): both spell it ``cohere``."""

_SKIPPED_ARGUMENTS = frozenset({"model", "messages", "texts", "images", "inputs", "request_options"})
"""Keyword arguments that are the call's content or shape its HTTP request, not invocation parameters."""


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    parameters = invocation_parameters(kwargs, _SKIPPED_ARGUMENTS)
    return request_attributes(kind, operation, PROVIDER, kwargs.get("model"), parameters)


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) else None


def _tool_calls(calls: Any) -> list[tuple[Any, Any, Any]]:
    out = []
    for call in calls or ():
        function = get(call, "function")
        out.append((get(call, "id"), get(function, "name"), get(function, "arguments")))
    return out


def _texts(content: Any) -> str | None:
    """The text blocks of a response message, joined (thinking blocks left out)."""
    texts = [get(block, "text") for block in content or () if get(block, "type") == "text"]
    return "".join(t for t in texts if isinstance(t, str)) if texts else None


def _messages(messages: Any) -> Any:
    for message in messages or ():
        yield (get(message, "role"), text_of(get(message, "content")), _tool_calls(get(message, "tool_calls")),
               get(message, "tool_call_id"))


def chat_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``chat`` / ``chat_stream``."""
    attributes = _base("LLM", "chat", kwargs)
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)  # an iterable the client would consume only once
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _messages(messages), attributes, policy)
        input_value(attributes, policy, messages)
    return attributes


def _usage(attributes: dict[str, Any], usage: Any) -> None:
    if usage is None:
        return
    counted = get(usage, "tokens")
    if counted is None or get(counted, "input_tokens") is None:
        counted = get(usage, "billed_units")
    usage_attributes(attributes, _count(get(counted, "input_tokens")), _count(get(counted, "output_tokens")),
                     None, _count(get(usage, "cached_tokens")))


def _result(
    attributes: dict[str, Any], policy: ContentPolicy,
    text: Any, calls: list[Any], response_id: Any, reason: Any, usage: Any,
) -> None:
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, calls, None)], attributes, policy)
    output_value(attributes, policy, output_text([text], [calls]))
    finish_attributes(attributes, response_id, None, [str(reason)] if reason else [])
    _usage(attributes, usage)


def chat_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``V2ChatResponse``."""
    attributes: dict[str, Any] = {}
    message = getattr(response, "message", None)
    _result(attributes, policy, _texts(getattr(message, "content", None)),
            _tool_calls(getattr(message, "tool_calls", None)), getattr(response, "id", None),
            getattr(response, "finish_reason", None), getattr(response, "usage", None))
    return attributes


class ChatStreamAccumulator:
    """Accumulates v2 chat stream events: text deltas, tool calls by index, finish reason and usage."""

    __slots__ = ("response_id", "parts", "tool_calls", "finish_reason", "usage")

    def __init__(self) -> None:
        self.response_id: Any = None
        self.parts: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # index -> [id, name, argument parts]
        self.finish_reason: Any = None
        self.usage: Any = None

    def feed(self, event: Any) -> None:
        """Take one stream event as the program received it."""
        kind = getattr(event, "type", None)
        if kind == "content-delta":
            content = event.delta.message.content
            text = getattr(content, "text", None)
            if text:
                self.parts.append(text)
        elif kind == "tool-call-delta":
            entry = self.tool_calls.get(event.index or 0)
            arguments = event.delta.message.tool_calls.function.arguments
            if entry is not None and arguments:
                entry[2].append(arguments)
        elif kind == "tool-call-start":
            call = event.delta.message.tool_calls
            function = call.function
            first = getattr(function, "arguments", None)
            self.tool_calls[event.index or 0] = [call.id, getattr(function, "name", None), [first] if first else []]
        elif kind == "message-start":
            self.response_id = event.id
        elif kind == "message-end":
            delta = event.delta
            if delta is not None:
                self.finish_reason = delta.finish_reason or self.finish_reason
                self.usage = delta.usage or self.usage

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        calls = [(i, n, "".join(p)) for i, n, p in (self.tool_calls[k] for k in sorted(self.tool_calls))]
        text = "".join(self.parts) if self.parts else None
        _result(attributes, policy, text, calls, self.response_id, self.finish_reason, self.usage)
        return attributes


def embed_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embed`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    if is_given(kwargs.get("texts")):
        embedding_inputs(attributes, policy, kwargs, "texts")
    else:  # content blocks (images among them): recorded as the input value only
        embedding_inputs(attributes, policy, {"model": kwargs.get("model")}, "texts")
        if is_given(kwargs.get("inputs")):
            input_value(attributes, policy, kwargs["inputs"])
    return attributes


def embed_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``EmbedByTypeResponse``: id and billed input tokens."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, getattr(response, "id", None), None, [])
    meta = getattr(response, "meta", None)
    counted = getattr(meta, "tokens", None)
    if counted is None or getattr(counted, "input_tokens", None) is None:
        counted = getattr(meta, "billed_units", None)
    usage_attributes(attributes, _count(getattr(counted, "input_tokens", None)), None)
    return attributes


_RERANK_SKIPPED = frozenset({"model", "query", "documents", "request_options"})


def rerank_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``rerank`` (kind RERANKER): the query, the model, top-n and the documents given."""
    attributes: dict[str, Any] = {
        semconv.OPENINFERENCE_SPAN_KIND: "RERANKER",
        semconv.GEN_AI_OPERATION_NAME: "rerank",
        semconv.LLM_PROVIDER: PROVIDER,
        semconv.GEN_AI_PROVIDER_NAME: PROVIDER,
        semconv.LLM_INVOCATION_PARAMETERS: invocation_parameters(kwargs, _RERANK_SKIPPED),
    }
    if isinstance(kwargs.get("model"), str):
        attributes[semconv.RERANKER_MODEL_NAME] = attributes[semconv.GEN_AI_REQUEST_MODEL] = kwargs["model"]
    if isinstance(kwargs.get("top_n"), int):
        attributes[semconv.RERANKER_TOP_K] = kwargs["top_n"]
    query = policy.text(kwargs["query"]) if isinstance(kwargs.get("query"), str) else None
    if query is not None:
        attributes[semconv.RERANKER_QUERY] = query
    documents = kwargs.get("documents")
    if isinstance(documents, (list, tuple)):
        for i, document in enumerate(documents[:_MAX_DOCUMENTS]):
            _document(attributes, f"{semconv.RERANKER_INPUT_DOCUMENTS}.{i}", str(i), document, None, policy)
    return attributes


def rerank_response(response: Any, kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``V2RerankResponse``: the documents in their new order, with their scores."""
    attributes: dict[str, Any] = {}
    documents = kwargs.get("documents")
    documents = documents if isinstance(documents, (list, tuple)) else ()
    for rank, result in enumerate(list(getattr(response, "results", None) or ())[:_MAX_DOCUMENTS]):
        index = getattr(result, "index", None)
        given = documents[index] if isinstance(index, int) and 0 <= index < len(documents) else None
        _document(attributes, f"{semconv.RERANKER_OUTPUT_DOCUMENTS}.{rank}", str(index), given,
                  getattr(result, "relevance_score", None), policy)
    if getattr(response, "id", None):
        attributes[semconv.GEN_AI_RESPONSE_ID] = str(response.id)
    return attributes


_MAX_DOCUMENTS = 100
"""Documents of one rerank call recorded, in and out."""


def _document(attributes: dict[str, Any], base: str, index: str, document: Any, score: Any,
              policy: ContentPolicy) -> None:
    """One ``{base}.document.*`` group: id (the document's position in the request), content, score."""
    attributes[f"{base}.{semconv.DOCUMENT_ID}"] = index
    if isinstance(score, (int, float)):
        attributes[f"{base}.{semconv.DOCUMENT_SCORE}"] = float(score)
    if document is not None:
        content = policy.text(document) if isinstance(document, str) else policy.json_text(document)
        if content is not None:
            attributes[f"{base}.{semconv.DOCUMENT_CONTENT}"] = content
