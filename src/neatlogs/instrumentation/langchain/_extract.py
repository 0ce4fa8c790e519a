"""LangChain's callback arguments as span attributes: runs, model calls, tools, retrievers.

Each function reads what LangChain hands a callback (messages, an ``LLMResult``, a
``ToolMessage``, ``Document`` objects: by attribute, never by importing LangChain) and
returns attributes under the keys of ``semconv``. Every captured value goes through the
run's content policy; LangChain messages are recorded as plain ``{role, content}`` dicts, so
``input.value`` of an agent's run reads ``{"messages": [{"role": "user", ...}]}``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterator

    from ..._content import ContentPolicy

from ... import semconv
from ..._span_options import retrieval_attributes
from ...serialize import to_json
from .._llm.attributes import finish_attributes, output_text, request_attributes, usage_attributes
from .._llm.genai import request_genai, response_genai
from .._llm.messages import flatten_messages, get, text_of

__all__ = [
    "chain_kind",
    "llm_request",
    "llm_response",
    "plain",
    "retriever_result",
    "run_value",
    "tool_request",
    "tool_result",
]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool",
          "developer": "developer", "remove": "remove"}
"""LangChain message types -> chat roles (``AIMessageChunk`` and friends carry the same ``type``)."""

_NOT_PARAMETERS = frozenset({"tools", "functions", "_type", "model", "model_name", "messages"})
"""Invocation parameters recorded elsewhere (tools under ``llm.tools``) or not parameters at all."""

_CREATE_AGENT = "langchain_create_agent"
"""``metadata["ls_integration"]`` of every run of a graph built by ``langchain.agents.create_agent``."""

_MAX_DEPTH = 8


def _is_message(value: Any) -> bool:
    return hasattr(value, "content") and isinstance(getattr(value, "type", None), str) and hasattr(value, "id")


def _role(message: Any) -> str:
    kind = getattr(message, "type", None)
    if kind == "chat":
        return str(getattr(message, "role", "user"))
    return _ROLES.get(str(kind), str(kind))


def _tool_calls(message: Any) -> list[tuple[Any, Any, Any]]:
    """``(id, name, arguments)`` of an ``AIMessage``'s tool calls (LangChain's parsed ``args``)."""
    return [(get(c, "id"), get(c, "name"), get(c, "args")) for c in getattr(message, "tool_calls", None) or ()]


def message_dict(message: Any) -> dict[str, Any]:
    """A LangChain message as a chat-completions style dict."""
    out: dict[str, Any] = {"role": _role(message), "content": message.content}
    calls = getattr(message, "tool_calls", None)
    if calls:
        out["tool_calls"] = [{"id": get(c, "id"), "name": get(c, "name"), "arguments": get(c, "args")} for c in calls]
    call_id = getattr(message, "tool_call_id", None)
    if call_id:
        out["tool_call_id"] = call_id
    name = getattr(message, "name", None)
    if name:
        out["name"] = name
    return out


def plain(value: Any, depth: int = _MAX_DEPTH) -> Any:
    """``value`` with every LangChain message in it made a plain dict (other values as they are)."""
    if _is_message(value):
        return message_dict(value)
    if depth <= 0:
        return value
    if isinstance(value, dict):
        return {k: plain(v, depth - 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth - 1) for v in value]
    to_messages = getattr(value, "to_messages", None)  # a PromptValue (ChatPromptValue, StringPromptValue)
    if callable(to_messages) and type(value).__name__.endswith("PromptValue"):
        return [message_dict(m) for m in to_messages()]
    return value


def run_value(policy: ContentPolicy, value_key: str, mime_key: str, value: Any) -> dict[str, Any]:
    """``{value_key, mime_key}`` of a run's input or output, its messages plain; nothing with capture off."""
    if not policy.capture:
        return {}
    return policy.value_attributes(value_key, mime_key, plain(value))


def _messages(messages: Any) -> Iterator[tuple[Any, Any, Any, Any]]:
    """LangChain messages as the engine's message tuples."""
    for message in messages or ():
        yield (_role(message), text_of(getattr(message, "content", None)), _tool_calls(message),
               getattr(message, "tool_call_id", None))


def chain_kind(metadata: dict[str, Any], parent_kind: str | None, parent_agent: bool, name: str) -> str:
    """AGENT for the graph ``create_agent`` built (not its nodes) and a legacy ``AgentExecutor``, else CHAIN.

    Every run inside such a graph inherits its ``ls_integration`` metadata; the graph's own run is
    the one whose parent is not of that graph (none, a tool that runs the agent, another graph).
    """
    if metadata.get("ls_integration") == _CREATE_AGENT and (not parent_agent or parent_kind == "TOOL"):
        return "AGENT"
    return "AGENT" if name == "AgentExecutor" else "CHAIN"


def llm_request(serialized: Any, messages: Any, prompts: Any, kwargs: dict[str, Any], metadata: dict[str, Any],
                policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of a chat-model (``messages``) or LLM (``prompts``) run."""
    params = kwargs.get("invocation_params") or {}
    model = params.get("model") or params.get("model_name") or metadata.get("ls_model_name")
    provider = metadata.get("ls_provider")
    if not isinstance(provider, str):
        ids = get(serialized, "id") if serialized else None
        provider = ids[2] if isinstance(ids, list) and len(ids) > 3 else "langchain"
    parameters = to_json({k: v for k, v in params.items() if k not in _NOT_PARAMETERS and v is not None})
    operation = "chat" if messages is not None else "text_completion"
    attributes = request_attributes("LLM", operation, provider, model, parameters)
    if messages is not None:
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _messages(messages), attributes, policy)
        value: Any = [message_dict(m) for m in messages] if policy.capture else None
    else:
        flatten_messages(semconv.LLM_INPUT_MESSAGES, (("user", p, (), None) for p in prompts or ()), attributes,
                         policy)
        value = list(prompts or ()) if policy.capture else None
    if value is not None:
        attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, value))
    if policy.capture:
        for i, tool in enumerate(params.get("tools") or ()):
            schema = policy.json_text(tool)
            if schema is not None:
                attributes[f"{semconv.LLM_TOOLS}.{i}.{semconv.TOOL_JSON_SCHEMA}"] = schema
    request_genai(attributes, policy)  # the GenAI JSON beside, as on every engine span
    return attributes


def llm_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``LLMResult``: reply messages, output, response model and id, tokens."""
    attributes: dict[str, Any] = {}
    generations = getattr(response, "generations", None) or ()
    first = generations[0] if generations else ()
    messages, texts, calls, reasons = [], [], [], []
    usage = metadata = None
    for generation in first:
        message = getattr(generation, "message", None)
        if message is not None:
            tool_calls = _tool_calls(message)
            text = text_of(message.content) if message.content or not tool_calls else None
            usage = usage or getattr(message, "usage_metadata", None)
            metadata = metadata or getattr(message, "response_metadata", None)
        else:
            text, tool_calls = getattr(generation, "text", None), []
        messages.append(("assistant", text, tool_calls, None))
        texts.append(text)
        calls.append(tool_calls)
        reason = get(getattr(generation, "generation_info", None) or {}, "finish_reason")
        if reason:
            reasons.append(str(reason))
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
    text = output_text(texts, calls)
    if text is not None:
        attributes.update(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, text))
    metadata = metadata or {}
    if not reasons and metadata.get("finish_reason"):
        reasons.append(str(metadata["finish_reason"]))
    finish_attributes(attributes, metadata.get("id"), metadata.get("model_name"), reasons)
    if usage:
        details_in, details_out = get(usage, "input_token_details") or {}, get(usage, "output_token_details") or {}
        usage_attributes(attributes, get(usage, "input_tokens"), get(usage, "output_tokens"),
                         get(usage, "total_tokens"), get(details_in, "cache_read"), get(details_out, "reasoning"),
                         get(details_in, "cache_creation"))
    else:
        counts = get(getattr(response, "llm_output", None) or {}, "token_usage") or {}
        usage_attributes(attributes, get(counts, "prompt_tokens"), get(counts, "completion_tokens"),
                         get(counts, "total_tokens"))
    response_genai(attributes, policy)
    return attributes


def tool_request(serialized: Any, input_str: Any, kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of a tool run: its name and description, the call id, its arguments."""
    attributes: dict[str, Any] = {semconv.OPENINFERENCE_SPAN_KIND: "TOOL"}
    name = get(serialized, "name") if serialized else None
    name = name or kwargs.get("name")
    if name:
        attributes[semconv.TOOL_NAME] = str(name)
    description = get(serialized, "description") if serialized else None
    if isinstance(description, str) and description:
        attributes[semconv.TOOL_DESCRIPTION] = policy.attribute(description)
    call_id = kwargs.get("tool_call_id")
    if call_id:
        attributes[semconv.TOOL_CALL_ID] = str(call_id)
    inputs = kwargs.get("inputs")
    attributes.update(run_value(policy, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE,
                                input_str if inputs is None else inputs))
    return attributes


def tool_result(output: Any, policy: ContentPolicy) -> dict[str, Any]:
    """``output.value`` of a tool run: a ``ToolMessage``'s content, else the value returned."""
    if _is_message(output):
        output = text_of(output.content)
    if output is None:
        return {}
    return run_value(policy, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, output)


def retriever_result(documents: Any, policy: ContentPolicy) -> dict[str, Any]:
    """``retrieval.documents.{i}.document.*`` of a retriever run's ``Document`` objects."""
    found = [{"content": getattr(d, "page_content", None), "id": getattr(d, "id", None),
              "metadata": getattr(d, "metadata", None) or None} for d in documents or ()]
    return retrieval_attributes(policy, None, found)
