"""Bedrock ``invoke_model`` / ``invoke_model_with_response_stream``: each model family's own JSON as span attributes.

The request ``body`` and the response body (or each stream chunk's ``bytes``) are the model
family's JSON. The family is read from the JSON's shape, not from the model id, because an
id may be an inference profile or an ARN that does not name it:

- anthropic: ``anthropic_version``, ``messages`` of typed blocks, ``system``; the reply a
  Messages ``message``, streamed as ``message_start`` / ``content_block_delta`` / ...;
- amazon nova: ``messages`` of converse content blocks; reply and stream events as converse's;
- amazon titan: ``inputText`` (+ ``textGenerationConfig``); ``results[].outputText``, streamed
  as ``outputText`` chunks; titan embedding models answer ``embedding``;
- meta llama: ``prompt``; ``generation``, streamed as ``generation`` chunks.

Any stream chunk may carry ``amazon-bedrock-invocationMetrics`` (the token counts), used
when the family's own fields give none.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterator

    from ..._content import ContentPolicy

from ... import semconv
from ...serialize import to_json
from .._llm.attributes import input_value, invocation_parameters
from .._llm.messages import flatten_messages, text_of
from ._converse import (
    ConverseStreamAccumulator,
    chat_messages,
    output_attributes,
    record_usage,
    start_attributes,
)
from ._converse import response as converse_response

__all__ = ["InvokeStreamAccumulator", "request", "response"]

_CONTENT_KEYS = frozenset({"messages", "system", "prompt", "inputText", "texts", "images",
                           "textGenerationConfig", "inferenceConfig"})
"""Body keys that are the call's content (or hold the parameters flattened), not invocation parameters."""

_METRICS = "amazon-bedrock-invocationMetrics"


def _body(kwargs: dict[str, Any]) -> Any:
    """The request body as JSON; a file-like body is read once and replaced by its bytes, which the client sends."""
    body: Any = kwargs.get("body")
    read = getattr(body, "read", None)
    if read is not None:
        body = kwargs["body"] = read()
    if isinstance(body, (bytes, bytearray, str)):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return None


def _anthropic_messages(messages: list[Any]) -> Iterator[Any]:
    for message in messages:
        role, content = message.get("role"), message.get("content")
        if not isinstance(content, list):
            yield (role, content, (), None)
            continue
        texts, calls, results = [], [], []
        for block in content:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                texts.append(block.get("text"))
            elif kind == "tool_use":
                calls.append((block.get("id"), block.get("name"), to_json(block.get("input"))))
            elif kind == "tool_result":
                results.append(("tool", text_of(block.get("content")), (), block.get("tool_use_id")))
            else:
                texts.append(to_json(block))
        yield from results
        if texts or calls:
            yield (role, "\n".join(t for t in texts if isinstance(t, str)) or None, calls, None)


def request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``invoke_model`` / ``invoke_model_with_response_stream`` (EMBEDDING for embedding models)."""
    model = kwargs.get("modelId")
    body = _body(kwargs)
    body = body if isinstance(body, dict) else {}
    settings = {**(body.get("textGenerationConfig") or {}), **(body.get("inferenceConfig") or {}), **body}
    parameters = invocation_parameters(settings, _CONTENT_KEYS)
    if isinstance(model, str) and "embed" in model:
        attributes = start_attributes("EMBEDDING", "embeddings", model, parameters)
        attributes[semconv.EMBEDDING_MODEL_NAME] = model
        texts = body.get("texts") or ([body["inputText"]] if "inputText" in body else [])
        if policy.capture:
            for i, text in enumerate(texts):
                recorded = policy.text(text) if isinstance(text, str) else None
                if recorded is not None:
                    attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{i}.{semconv.EMBEDDING_TEXT}"] = recorded
        input_value(attributes, policy, texts[0] if len(texts) == 1 else texts or None)
        return attributes
    attributes = start_attributes("LLM", "chat", model, parameters)
    messages = body.get("messages")
    if "anthropic_version" in body or (isinstance(messages, list) and _typed(messages)):
        system = body.get("system")
        start = 0
        if system is not None:
            system_text = system if isinstance(system, str) else text_of(system)
            start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", system_text, (), None)], attributes,
                                     policy, instructions=True)
        if isinstance(messages, list):
            flatten_messages(semconv.LLM_INPUT_MESSAGES, _anthropic_messages(messages), attributes, policy, start)
            input_value(attributes, policy, messages)
    elif isinstance(messages, list):  # nova: converse content blocks
        chat_messages(attributes, policy, body.get("system"), messages)
    else:
        prompt = body.get("prompt", body.get("inputText"))
        if prompt is not None:
            flatten_messages(semconv.LLM_INPUT_MESSAGES, [("user", prompt, (), None)], attributes, policy)
            input_value(attributes, policy, prompt)
    return attributes


def _typed(messages: list[Any]) -> bool:
    """Anthropic messages: string content, or blocks with a ``type`` (Nova's blocks have none)."""
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            return True
        if isinstance(content, list) and content and isinstance(content[0], dict):
            return "type" in content[0]
    return False


def _anthropic_usage(attributes: dict[str, Any], usage: Any) -> None:
    if isinstance(usage, dict):
        record_usage(attributes, usage.get("input_tokens"), usage.get("output_tokens"), None,
                     usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens"))


def response(payload: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``invoke_model`` response body, decoded (None when it is not JSON)."""
    if not isinstance(payload, dict):
        return {}
    if "output" in payload:  # nova
        return converse_response(payload, policy)
    attributes: dict[str, Any] = {}
    if "embedding" in payload or "embeddings" in payload:
        record_usage(attributes, payload.get("inputTextTokenCount"), None)
        return attributes
    if payload.get("type") == "message":  # anthropic
        texts, calls = [], []
        for block in payload.get("content") or ():
            if block.get("type") == "text":
                texts.append(block.get("text"))
            elif block.get("type") == "tool_use":
                calls.append((block.get("id"), block.get("name"), to_json(block.get("input"))))
        text = "".join(t for t in texts if isinstance(t, str)) if texts else None
        output_attributes(attributes, policy, text, calls, payload.get("id"), payload.get("model"),
                          payload.get("stop_reason"))
        _anthropic_usage(attributes, payload.get("usage"))
    elif "results" in payload:  # titan
        results = payload.get("results") or [{}]
        text = "".join(str(r.get("outputText") or "") for r in results)
        output_attributes(attributes, policy, text, [], None, None, results[0].get("completionReason"))
        outputs = [r.get("tokenCount") for r in results]
        record_usage(attributes, payload.get("inputTextTokenCount"),
                     sum(outputs) if all(isinstance(n, int) for n in outputs) else None)
    elif "generation" in payload:  # llama
        output_attributes(attributes, policy, payload.get("generation"), [], None, None, payload.get("stop_reason"))
        record_usage(attributes, payload.get("prompt_token_count"), payload.get("generation_token_count"))
    return attributes


class InvokeStreamAccumulator(ConverseStreamAccumulator):
    """Accumulates ``{"chunk": {"bytes": ...}}`` events, each the model family's own streaming JSON."""

    __slots__ = ("input_tokens", "output_tokens", "cache_read", "cache_write", "metrics")

    def __init__(self) -> None:
        super().__init__()
        self.input_tokens: Any = None
        self.output_tokens: Any = None
        self.cache_read: Any = None
        self.cache_write: Any = None
        self.metrics: Any = None

    def feed(self, event: Any) -> None:
        """Take one stream event as the program received it."""
        data = (event.get("chunk") or {}).get("bytes")
        if not data:
            return
        chunk = json.loads(data)
        metrics = chunk.get(_METRICS)
        if metrics is not None:
            self.metrics = metrics
        kind = chunk.get("type")
        if kind is not None:
            self._anthropic(kind, chunk)
        elif "outputText" in chunk or "generation" in chunk:
            text = chunk.get("outputText", chunk.get("generation"))
            self._block(0, "text")[3].append(text or "")
            self.stop_reason = chunk.get("completionReason") or chunk.get("stop_reason") or self.stop_reason
            prompt = chunk.get("inputTextTokenCount", chunk.get("prompt_token_count"))
            if isinstance(prompt, int):
                self.input_tokens = prompt
            completion = chunk.get("totalOutputTextTokenCount", chunk.get("generation_token_count"))
            if isinstance(completion, int):
                self.output_tokens = completion
        else:  # nova: converse-shaped events
            self.feed_event(chunk)

    def _anthropic(self, kind: str, chunk: dict[str, Any]) -> None:
        if kind == "content_block_delta":
            delta = chunk.get("delta") or {}
            piece = delta.get("text", delta.get("partial_json"))
            if piece:
                self._block(chunk.get("index"), "text")[3].append(piece)
        elif kind == "content_block_start":
            block = chunk.get("content_block") or {}
            tool = block.get("type") == "tool_use"
            self.blocks[chunk.get("index", 0)] = ["toolUse" if tool else "text", block.get("id"), block.get("name"), []]
        elif kind == "message_start":
            message = chunk.get("message") or {}
            self.response_id, self.model = message.get("id"), message.get("model")
            usage = message.get("usage") or {}
            self.input_tokens = usage.get("input_tokens")
            self.cache_read = usage.get("cache_read_input_tokens")
            self.cache_write = usage.get("cache_creation_input_tokens")
        elif kind == "message_delta":
            self.stop_reason = (chunk.get("delta") or {}).get("stop_reason") or self.stop_reason
            output = (chunk.get("usage") or {}).get("output_tokens")
            if isinstance(output, int):
                self.output_tokens = output

    def usage_into(self, attributes: dict[str, Any]) -> None:
        """The family's own token counts, else the invocation metrics', else nova's converse-shaped usage."""
        if self.usage is not None:
            super().usage_into(attributes)
            return
        metrics = self.metrics or {}
        prompt = self.input_tokens if isinstance(self.input_tokens, int) else metrics.get("inputTokenCount")
        completion = self.output_tokens if isinstance(self.output_tokens, int) else metrics.get("outputTokenCount")
        record_usage(attributes, prompt, completion, None, self.cache_read, self.cache_write)
