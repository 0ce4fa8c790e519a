"""The OpenTelemetry GenAI attributes every LLM span gets from what its provider's extractor already wrote.

One place, so every provider has them by construction: ``call.py`` calls
:func:`request_genai` on the start attributes and :func:`response_genai` on the final ones.

- ``gen_ai.input.messages`` / ``gen_ai.output.messages``: the flattened
  ``llm.input_messages.*`` / ``llm.output_messages.*`` keys rebuilt into the GenAI JSON
  structure (``role``, ``parts`` of type ``text`` / ``tool_call`` / ``tool_call_response``;
  ``finish_reason`` on output messages), as one JSON string each. Only when content
  capture is on; the texts are the ones already recorded, so the user's mask and the
  truncation are applied once, the same way. A system prompt the API takes apart from the
  chat history is ``gen_ai.system_instructions`` (written by ``flatten_messages``); it is not
  repeated in the input messages.
- ``gen_ai.request.*``: the sampling settings found in ``llm.invocation_parameters`` (at
  its top level or in the settings object a client nests them in), under the spec's names.

Schemas: https://github.com/open-telemetry/semantic-conventions-genai, ``model/gen-ai/``
``gen-ai-input-messages.json``, ``gen-ai-output-messages.json``, ``gen-ai-system-instructions.json``.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv

__all__ = ["request_genai", "response_genai"]

_ROLE = "." + semconv.MESSAGE_ROLE
_ROLE_KEY = semconv.MESSAGE_ROLE
_CONTENT = semconv.MESSAGE_CONTENT
_TOOL_CALL_ID = semconv.MESSAGE_TOOL_CALL_ID
_CALLS = semconv.MESSAGE_TOOL_CALLS + "."
_ID, _NAME, _ARGUMENTS = semconv.TOOL_CALL_ID, semconv.TOOL_CALL_FUNCTION_NAME, semconv.TOOL_CALL_FUNCTION_ARGUMENTS
_ABSENT: Any = object()

_PARAMETERS: dict[str, str] = {
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_output_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "maxTokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "maxOutputTokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "num_predict": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "topP": semconv.GEN_AI_REQUEST_TOP_P,
    "p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "topK": semconv.GEN_AI_REQUEST_TOP_K,
    "k": semconv.GEN_AI_REQUEST_TOP_K,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "frequencyPenalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "presencePenalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "random_seed": semconv.GEN_AI_REQUEST_SEED,
    "n": semconv.GEN_AI_REQUEST_CHOICE_COUNT,
    "candidate_count": semconv.GEN_AI_REQUEST_CHOICE_COUNT,
    "candidateCount": semconv.GEN_AI_REQUEST_CHOICE_COUNT,
}
"""Invocation parameter names across the clients (openai, anthropic, Gemini, Bedrock, Mistral, Cohere, Ollama)."""

_NESTED = ("options", "config", "inferenceConfig", "generation_config", "generationConfig")
"""Arguments in which a client nests the sampling settings (Ollama, google-genai, Bedrock converse)."""

_INTEGERS = frozenset({semconv.GEN_AI_REQUEST_MAX_TOKENS, semconv.GEN_AI_REQUEST_SEED,
                       semconv.GEN_AI_REQUEST_CHOICE_COUNT})


def request_genai(attributes: dict[str, Any], policy: ContentPolicy) -> None:
    """Add the GenAI request parameters and, when content is captured, ``gen_ai.input.messages``."""
    parameters = attributes.get(semconv.LLM_INVOCATION_PARAMETERS)
    if parameters and parameters != "{}" and type(parameters) is str:
        _request_parameters(attributes, parameters)
    if policy.capture and semconv.LLM_INPUT_MESSAGES + ".0" + _ROLE in attributes:
        messages = _messages(attributes, semconv.LLM_INPUT_MESSAGES)
        if semconv.GEN_AI_SYSTEM_INSTRUCTIONS in attributes:
            # The separate system prompt is recorded as the instructions, not as history.
            while messages and messages[0]["role"] == "system":
                messages.pop(0)
        if messages:
            attributes[semconv.GEN_AI_INPUT_MESSAGES] = policy.clean_text(messages)


def response_genai(attributes: dict[str, Any], policy: ContentPolicy) -> None:
    """Add ``gen_ai.output.messages`` when content is captured and the reply has messages."""
    if not policy.capture or semconv.LLM_OUTPUT_MESSAGES + ".0" + _ROLE not in attributes:
        return
    messages = _messages(attributes, semconv.LLM_OUTPUT_MESSAGES)
    reasoning = attributes.get(semconv.NEATLOGS_REASONING_TEXT)
    if isinstance(reasoning, str):
        messages[0]["parts"].insert(0, {"type": "reasoning", "content": reasoning})
    reasons = attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS)
    if reasons:
        # Deprecated in the current schema (gen_ai.response.finish_reasons holds them), required
        # by v1.37's: kept where known, so either version's readers find it.
        for i, message in enumerate(messages):
            message["finish_reason"] = reasons[i] if i < len(reasons) else reasons[-1]
    attributes[semconv.GEN_AI_OUTPUT_MESSAGES] = policy.clean_text(messages)


def _request_parameters(attributes: dict[str, Any], text: str) -> None:
    try:
        parameters = json.loads(text)
    except ValueError:
        return  # truncated: too large to be only settings
    if type(parameters) is not dict:
        return
    found = _settings(parameters)
    for name in _NESTED:
        nested = parameters.get(name)
        if type(nested) is dict:
            found.update(_settings(nested))
    attributes.update(found)


def _settings(parameters: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in parameters.items():
        key = _PARAMETERS.get(name)
        if key is None or value is None or isinstance(value, bool):
            continue
        if key == semconv.GEN_AI_REQUEST_STOP_SEQUENCES:
            if isinstance(value, str):
                found[key] = (value,)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                found[key] = tuple(value)
        elif key in _INTEGERS:
            if isinstance(value, int) and (key != semconv.GEN_AI_REQUEST_CHOICE_COUNT or value != 1):
                found[key] = value
        elif isinstance(value, (int, float)):
            found[key] = float(value)
    return found


def _messages(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The messages flattened under ``prefix`` (``flatten_messages``), as GenAI message objects in index order.

    Looks the keys up by index (a few dict lookups a message) rather than scanning every attribute.
    """
    messages: list[dict[str, Any]] = []
    get = attributes.get
    index = 0
    while True:
        base = f"{prefix}.{index}."
        role, content, tool_call_id = get(base + _ROLE_KEY), get(base + _CONTENT), get(base + _TOOL_CALL_ID)
        first_call = base + _CALLS + "0."
        has_calls = first_call + _NAME in attributes or first_call + _ID in attributes
        if role is None and content is None and tool_call_id is None and not has_calls:
            return messages
        parts: list[dict[str, Any]] = []
        if tool_call_id is not None or role == "tool":
            part: dict[str, Any] = {"type": "tool_call_response", "response": content}
            if tool_call_id is not None:
                part["id"] = tool_call_id
            parts.append(part)
        elif content is not None:
            parts.append({"type": "text", "content": content})
        j = 0
        while has_calls:
            call = f"{base}{_CALLS}{j}."
            call_id, name = get(call + _ID), get(call + _NAME)
            if call_id is None and name is None:
                break
            part = {"type": "tool_call", "id": call_id, "name": name or ""}
            arguments = get(call + _ARGUMENTS, _ABSENT)
            if arguments is not _ABSENT:
                part["arguments"] = _arguments(arguments)
            parts.append(part)
            j += 1
        messages.append({"role": role or "user", "parts": parts})
        index += 1


def _arguments(text: Any) -> Any:
    """A tool call's arguments as the object they encode (the spec's examples), else as recorded."""
    if isinstance(text, str) and text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text  # cut by the length limit: kept as text
    return text
