"""The Agents SDK's span data as span names and attributes, every captured value through the content policy.

``start(data)`` gives a span's name and start attributes (its kind among them, so our
processors see it at start); ``end(data, policy)`` the attributes known when the SDK
finishes it (an agent's tools, a model call's messages and tokens, a tool's arguments and
result, a guardrail's verdict). Model calls are read with the openai instrumentation's own
Responses and chat-completions extractors, so they carry the same keys as the client spans.
Span data classes are told apart by their ``type`` string (the SDK's own tag), never imported.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from ...serialize import to_json
from .._llm.attributes import output_text, output_value, request_attributes, usage_attributes
from .._llm.chat_completions import chat_messages
from .._llm.messages import flatten_messages, get, text_of
from ..openai._extract import responses_request, responses_response

__all__ = ["MODEL_TYPES", "end", "instructions_of", "model_reply", "start", "user_text"]

_KIND = semconv.OPENINFERENCE_SPAN_KIND

MODEL_TYPES = frozenset({"response", "generation"})
"""Span data types that are one model call (Responses API, chat completions)."""

_KINDS = {"agent": "AGENT", "response": "LLM", "generation": "LLM", "function": "TOOL", "guardrail": "GUARDRAIL",
          "transcription": "LLM", "speech": "LLM"}
"""Span data type -> span kind; every other type (handoff, task, turn, custom, mcp_tools, speech_group) is a CHAIN.

A voice pipeline's transcription (speech to text) and speech (text to speech) are model
calls: LLM spans with their model and text; the audio itself is never recorded, only its format."""


def start(data: Any) -> tuple[str, dict[str, Any]]:
    """The span's name and start attributes, from what the SDK knows when it starts it."""
    kind_name = str(getattr(data, "type", "") or "span")
    attributes: dict[str, Any] = {_KIND: _KINDS.get(kind_name, "CHAIN")}
    name = kind_name
    if kind_name == "agent":
        name = str(data.name)
        attributes[semconv.AGENT_NAME] = name
    elif kind_name == "function":
        name = str(data.name)
        attributes[semconv.TOOL_NAME] = name
    elif kind_name == "guardrail":
        name = f"guardrail {data.name}"
    elif kind_name == "handoff":
        name = _handoff_name(data)
    elif kind_name == "task":
        name = f"task {data.name}"
    elif kind_name == "turn":
        name = f"turn {data.turn} ({data.agent_name})"
    elif kind_name == "custom":
        name = str(data.name)
    elif kind_name == "mcp_tools":
        name = f"mcp list_tools {data.server}" if data.server else "mcp list_tools"
    elif kind_name in ("generation", "transcription", "speech") and getattr(data, "model", None):
        name = f"{kind_name} {data.model}"
    return name, attributes


def _handoff_name(data: Any) -> str:
    return f"handoff {data.from_agent} -> {data.to_agent}" if data.to_agent else f"handoff from {data.from_agent}"


def end(data: Any, policy: ContentPolicy, requested: dict[str, Any] | None = None) -> tuple[str | None, dict[str, Any]]:
    """A new name for the span (or None) and the attributes to set when the SDK finishes it.

    ``requested``: a model call's request attributes, left by the client call made inside it
    (``FrameworkModelCall``); without them the request is read from the SDK's span data.
    """
    kind_name = getattr(data, "type", None)
    if kind_name == "response":
        return _response(data, policy, requested)
    if kind_name == "generation":
        return _generation(data, policy, requested)
    attributes: dict[str, Any] = {}
    if kind_name == "agent":
        if data.tools:
            attributes[semconv.NEATLOGS_AGENT_TOOLS] = [str(t) for t in data.tools]
        if data.handoffs:
            attributes[semconv.NEATLOGS_AGENT_HANDOFFS] = [str(h) for h in data.handoffs]
    elif kind_name == "function":
        if data.input:
            attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, data.input))
        if data.output is not None:
            attributes.update(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, data.output))
    elif kind_name == "guardrail":
        attributes[semconv.NEATLOGS_GUARDRAIL_TRIGGERED] = bool(data.triggered)
    elif kind_name == "handoff":
        if data.from_agent:
            attributes[semconv.NEATLOGS_HANDOFF_FROM] = str(data.from_agent)
        if data.to_agent:
            attributes[semconv.NEATLOGS_HANDOFF_TO] = str(data.to_agent)
        return _handoff_name(data), attributes
    elif kind_name == "custom" and data.data:
        attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, data.data))
    elif kind_name == "mcp_tools" and data.result is not None:
        attributes.update(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, data.result))
    elif kind_name in ("transcription", "speech"):
        return _voice(kind_name, data, policy)
    elif kind_name == "speech_group" and data.input:
        attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, data.input))
    return None, attributes


def _voice(kind_name: str, data: Any, policy: ContentPolicy) -> tuple[str | None, dict[str, Any]]:
    """A voice pipeline's model call: the text it heard or spoke, the audio only as its format."""
    model = str(data.model) if data.model else None
    attributes = request_attributes("LLM", kind_name, "openai", model, to_json(dict(data.model_config or {})))
    if kind_name == "transcription":
        heard, spoken = f"(audio, {data.input_format or 'pcm'})", data.output
    else:
        heard, spoken = data.input, f"(audio, {data.output_format or 'pcm'})"
    if heard:
        attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, heard))
    if spoken:
        attributes.update(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, spoken))
    return (f"{kind_name} {model}" if model else None), attributes


def _response(data: Any, policy: ContentPolicy, requested: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """A Responses API call: the request's messages, the reply, the model and tokens."""
    response = data.response
    model = get(response, "model") if response is not None else None
    if requested is not None:
        attributes = dict(requested)
    else:
        request: dict[str, Any] = {}
        if data.input is not None:
            request["input"] = data.input
        instructions = get(response, "instructions") if response is not None else None
        if isinstance(instructions, str):
            request["instructions"] = instructions
        if model:
            request["model"] = model
        attributes = responses_request(request, policy)
    if response is not None:
        attributes.update(responses_response(response, policy))
    elif data.usage:
        _usage(attributes, data.usage)
    return (f"response {model}" if model else None), attributes


def _generation(data: Any, policy: ContentPolicy, requested: dict[str, Any] | None
                ) -> tuple[str | None, dict[str, Any]]:
    """A chat-completions call (``OpenAIChatCompletionsModel``, LiteLLM): messages, reply, tokens."""
    if requested is not None:
        attributes = dict(requested)
    else:
        attributes = request_attributes("LLM", "chat", "openai", data.model, to_json(dict(data.model_config or {})))
        if data.input:
            flatten_messages(semconv.LLM_INPUT_MESSAGES, chat_messages(data.input), attributes, policy)
            attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, list(data.input)))
    response = _streamed_response(data)
    if response is not None:
        attributes.update(responses_response(response, policy))
    elif data.output:
        replies = list(chat_messages(data.output))
        flatten_messages(semconv.LLM_OUTPUT_MESSAGES, replies, attributes, policy)
        output_value(attributes, policy, output_text([r[1] for r in replies], [list(r[2]) for r in replies]))
    if data.usage:
        _usage(attributes, data.usage)
    return None, attributes


def _streamed_response(data: Any) -> Any:
    """A streamed chat-completions call's output: the SDK records it as one Responses ``Response`` dict."""
    output = data.output
    if output and len(output) == 1 and get(output[0], "object") == "response":
        return output[0]
    return None


def _usage(attributes: dict[str, Any], usage: Any) -> None:
    if not get(usage, "input_tokens") and not get(usage, "output_tokens"):
        return  # the SDK's zeros for a call whose API reported no usage (a stream without include_usage)
    usage_attributes(attributes, get(usage, "input_tokens"), get(usage, "output_tokens"),
                     get(usage, "total_tokens"), get(get(usage, "input_tokens_details"), "cached_tokens"),
                     get(get(usage, "output_tokens_details"), "reasoning_tokens"))


def user_text(data: Any) -> str | None:
    """The last user message a model call was sent (what "You:" shows), if it carries its input."""
    value = getattr(data, "input", None)
    if isinstance(value, str):
        return value
    for item in reversed(list(value or ())):
        if get(item, "role") == "user":
            return text_of(get(item, "content"))
    return None


def model_reply(data: Any) -> str | None:
    """The text a model call answered with, if any (a tool call alone is no reply)."""
    response = data.response if getattr(data, "type", None) == "response" else _streamed_response(data)
    if response is None:
        texts = [text_of(get(message, "content")) for message in data.output or ()]
    else:
        texts = [get(part, "text") for item in get(response, "output") or ()
                 if get(item, "type") == "message" for part in get(item, "content") or ()]
    found = [t for t in texts if isinstance(t, str) and t]
    return "".join(found) if found else None


def instructions_of(data: Any) -> str | None:
    """The system prompt a model call was sent: the agent's instructions."""
    if getattr(data, "type", None) == "generation":
        for message in data.input or ():
            if get(message, "role") == "system":
                return text_of(get(message, "content"))
        return None
    instructions = get(data.response, "instructions") if data.response is not None else None
    return instructions if isinstance(instructions, str) and instructions else None
