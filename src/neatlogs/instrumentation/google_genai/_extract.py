"""google-genai requests, responses and streams as span attributes: ``generate_content`` and ``embed_content``.

``contents`` is read in every shape the client accepts: a string, a list of strings and
parts (one user turn, as the client groups them), ``Content`` objects or dicts with a
``role`` (``model`` becomes ``assistant``) and ``parts``. Text parts become the message's
content, ``function_call`` parts its tool calls, a ``function_response`` part a ``tool``
message; inline data and files are recorded by their mime type, never their bytes.
``config`` carries the system instruction (the first input message) and the generation
settings (the invocation parameters). Responses and stream chunks are read by attribute.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterator

    from ..._content import ContentPolicy

    Message = tuple[Any, Any, list[tuple[Any, Any, Any]], Any]

from ... import semconv
from ...serialize import to_json
from .._llm.attributes import (
    finish_attributes,
    input_value,
    output_text,
    output_value,
    request_attributes,
    usage_attributes,
)
from .._llm.messages import flatten_messages, get, is_given
from . import MODE_ARGUMENT

__all__ = [
    "GenerateStreamAccumulator",
    "embed_request",
    "embed_response",
    "generate_request",
    "generate_response",
]

# gen_ai.provider.name well-known values, OTel GenAI semantic conventions (registry, gen_ai.provider.name):
# https://github.com/open-telemetry/semantic-conventions-genai (docs/registry/attributes/gen-ai.md)
PROVIDER_GEMINI = "gcp.gemini"
"""The Gemini API (AI Studio, ``generativelanguage.googleapis.com``)."""
PROVIDER_VERTEX = "gcp.vertex_ai"
"""Vertex AI (``aiplatform.googleapis.com``), the client's ``vertexai=True`` mode."""

# OpenInference semconv, OpenInferenceLLMProviderValues.GOOGLE and OpenInferenceLLMSystemValues.VERTEXAI:
# https://github.com/Arize-ai/openinference/blob/main/python/openinference-semantic-conventions/src/openinference/semconv/trace/__init__.py
# OpenInference maps gcp.vertex_ai to (google, vertexai) and gcp.gemini to (google, no system).
OPENINFERENCE_PROVIDER = "google"
OPENINFERENCE_SYSTEM_VERTEX = "vertexai"

_ROLES = {"model": "assistant", "function": "tool"}
"""Gemini roles as the flattened messages spell them."""

_NOT_PARAMETERS = frozenset({
    "system_instruction", "systemInstruction", "tools", "http_options", "httpOptions", "should_return_http_response",
    "automatic_function_calling", "automaticFunctionCalling",  # the SDK's own loop (chats set it on every turn)
})
"""``config`` fields that are content, transport or client behaviour, not invocation parameters."""


def _field(obj: Any, name: str, camel: str) -> Any:
    """A field of a client model, or of a dict written with either spelling of its key."""
    if isinstance(obj, dict):
        value = obj.get(name)
        return obj.get(camel) if value is None else value
    return getattr(obj, name, None)


# --- request ------------------------------------------------------------------------------------
def _tool_names(tools: Any) -> list[Any]:
    names: list[Any] = []
    for tool in tools if isinstance(tools, (list, tuple)) else ():
        if callable(tool) and not isinstance(tool, type) and hasattr(tool, "__name__"):
            names.append(tool.__name__)  # a Python function, for automatic function calling
            continue
        declarations = _field(tool, "function_declarations", "functionDeclarations")
        if declarations:
            names.extend(get(d, "name") for d in declarations)
        else:
            names.append(type(tool).__name__ if not isinstance(tool, dict) else next(iter(tool), "tool"))
    return names


def _parameters(config: Any) -> str:
    """The generation settings of ``config`` as JSON (system instruction and tools left out; tools by name)."""
    if not config:
        return "{}"
    if isinstance(config, dict):
        items = list(config.items())
    else:
        fields = getattr(config, "model_fields_set", None) or ()
        items = [(name, getattr(config, name, None)) for name in sorted(fields)]
    parameters: dict[str, Any] = {}
    for key, value in items:
        if value is None or key in _NOT_PARAMETERS:
            continue
        if isinstance(value, type):
            value = value.__name__  # response_schema=SomeModel: the class name says more than its repr
        else:
            value = getattr(value, "value", value)  # an enum member
        parameters[key] = value
    tools = _field(config, "tools", "tools")
    if tools:
        parameters["tools"] = _tool_names(tools)
    return to_json(parameters)


def _read_parts(parts: Any, texts: list[Any], calls: list[Any], results: list[Any]) -> None:
    for part in parts if isinstance(parts, (list, tuple)) else (parts,):
        if isinstance(part, str):
            texts.append(part)
            continue
        text = get(part, "text")
        if isinstance(text, str):
            if not get(part, "thought"):
                texts.append(text)
            continue
        call = _field(part, "function_call", "functionCall")
        if call is not None:
            calls.append((get(call, "id"), get(call, "name"), to_json(get(call, "args") or {})))
            continue
        answer = _field(part, "function_response", "functionResponse")
        if answer is not None:
            results.append(("tool", to_json(get(answer, "response")), [], get(answer, "id")))
            continue
        texts.append(_placeholder(part))


def _placeholder(part: Any) -> str:
    """What a part that is not text stands for: its kind and mime type, never its bytes."""
    for name, camel in (("inline_data", "inlineData"), ("file_data", "fileData")):
        data = _field(part, name, camel)
        if data is not None:
            described = {"mime_type": _field(data, "mime_type", "mimeType")}
            uri = _field(data, "file_uri", "fileUri")
            if uri:
                described["file_uri"] = uri
            return to_json({name: described})
    code = _field(part, "executable_code", "executableCode")
    if code is not None:
        return str(get(code, "code"))
    result = _field(part, "code_execution_result", "codeExecutionResult")
    if result is not None:
        return str(get(result, "output"))
    uri = getattr(part, "uri", None)  # a types.File
    return to_json({"file_uri": uri}) if isinstance(uri, str) else f"[{type(part).__name__}]"


def _is_content(item: Any) -> bool:
    if isinstance(item, dict):
        return "parts" in item or "role" in item
    return hasattr(item, "parts") and hasattr(item, "role")


def _message(role: Any, parts: Any) -> Iterator[Message]:
    texts: list[Any] = []
    calls: list[Any] = []
    results: list[Any] = []
    _read_parts(parts, texts, calls, results)
    yield from results  # function responses answer the model's previous turn
    if texts or calls or not results:
        role = _ROLES.get(role, role) if isinstance(role, str) else None
        yield (role or "user", "\n".join(texts) if texts else None, calls, None)


def _messages(contents: Any) -> Iterator[Message]:
    """``contents`` as message tuples; loose strings and parts in a list make one user turn, as the client sends."""
    if not isinstance(contents, (list, tuple)):
        contents = [contents]
    loose: list[Any] = []
    for item in contents:
        if _is_content(item):
            if loose:
                yield from _message("user", loose)
                loose = []
            yield from _message(get(item, "role"), get(item, "parts") or ())
        else:
            loose.append(item)
    if loose:
        yield from _message("user", loose)


def _system_text(instruction: Any) -> str | None:
    if instruction is None or isinstance(instruction, str):
        return instruction
    texts: list[Any] = []
    _read_parts(get(instruction, "parts") if _is_content(instruction) else instruction, texts, [], [])
    return "\n".join(texts)


def _start(kind: str, operation: str, kwargs: dict[str, Any], parameters: str) -> dict[str, Any]:
    vertex = kwargs.get(MODE_ARGUMENT) is True
    provider = PROVIDER_VERTEX if vertex else PROVIDER_GEMINI
    return request_attributes(kind, operation, OPENINFERENCE_PROVIDER, kwargs.get("model"), parameters,
                              genai_provider=provider, system=OPENINFERENCE_SYSTEM_VERTEX if vertex else None)


def generate_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``generate_content`` / ``generate_content_stream``."""
    config = kwargs.get("config")
    attributes = _start("LLM", "generate_content", kwargs, _parameters(config))
    messages: list[Message] = []
    start = 0
    system = _system_text(_field(config, "system_instruction", "systemInstruction")) if config else None
    if system is not None:
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", system, [], None)], attributes, policy,
                                 instructions=True)
    contents = kwargs.get("contents")
    if is_given(contents):
        messages.extend(_messages(contents))
    flatten_messages(semconv.LLM_INPUT_MESSAGES, messages, attributes, policy, start)
    if isinstance(contents, str):
        input_value(attributes, policy, contents)
    elif messages:
        input_value(attributes, policy, [_as_dict(m) for m in messages])
    return attributes


def _as_dict(message: Message) -> dict[str, Any]:
    role, content, calls, call_id = message
    value: dict[str, Any] = {"role": role, "content": content}
    if calls:
        value["tool_calls"] = [{"id": i, "name": n, "arguments": a} for i, n, a in calls]
    if call_id:
        value["tool_call_id"] = call_id
    return value


# --- response -----------------------------------------------------------------------------------
def _reason(value: Any) -> str:
    return str(getattr(value, "value", value))


def _usage(attributes: dict[str, Any], usage: Any) -> None:
    prompt = usage.prompt_token_count
    tool_prompt = usage.tool_use_prompt_token_count
    if isinstance(prompt, int) and isinstance(tool_prompt, int):
        prompt += tool_prompt  # tool-use prompts are input too: prompt + completion = total
    candidates, thoughts = usage.candidates_token_count, usage.thoughts_token_count
    completion = None
    if isinstance(candidates, int) or isinstance(thoughts, int):
        # Output tokens include the reasoning ones, as both specs count them.
        completion = (candidates if isinstance(candidates, int) else 0) + (thoughts if isinstance(thoughts, int) else 0)
    usage_attributes(attributes, prompt, completion, usage.total_token_count, usage.cached_content_token_count,
                     thoughts)


def _result(
    attributes: dict[str, Any], policy: ContentPolicy,
    texts: list[Any], calls: list[list[Any]], reasons: list[str], response_id: Any, model: Any,
) -> None:
    flatten_messages(
        semconv.LLM_OUTPUT_MESSAGES, [("assistant", t, c, None) for t, c in zip(texts, calls)], attributes, policy,
    )
    output_value(attributes, policy, output_text(texts, calls))
    finish_attributes(attributes, response_id, model, reasons)


def generate_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``GenerateContentResponse``."""
    attributes: dict[str, Any] = {}
    texts: list[Any] = []
    calls: list[list[Any]] = []
    reasons: list[str] = []
    for candidate in response.candidates or ():
        content = candidate.content
        pieces: list[Any] = []
        candidate_calls: list[Any] = []
        for part in (content.parts if content is not None else None) or ():
            text = part.text
            if text is not None:
                if not part.thought:
                    pieces.append(text)
            elif part.function_call is not None:
                call = part.function_call
                candidate_calls.append((call.id, call.name, to_json(call.args or {})))
        texts.append("".join(pieces) if pieces else None)
        calls.append(candidate_calls)
        if candidate.finish_reason is not None:
            reasons.append(_reason(candidate.finish_reason))
    _result(attributes, policy, texts, calls, reasons, response.response_id, response.model_version)
    if response.usage_metadata is not None:
        _usage(attributes, response.usage_metadata)
    return attributes


class GenerateStreamAccumulator:
    """Accumulates ``generate_content_stream`` chunks: text and function calls per candidate, finish reasons, usage."""

    __slots__ = ("texts", "calls", "reasons", "usage", "response_id", "model")

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.calls: dict[int, list[Any]] = {}
        self.reasons: dict[int, Any] = {}
        self.usage: Any = None
        self.response_id: Any = None
        self.model: Any = None

    def feed(self, chunk: Any) -> None:
        """Take one chunk (a partial ``GenerateContentResponse``) as the program received it."""
        if chunk.response_id:
            self.response_id = chunk.response_id
        if chunk.model_version:
            self.model = chunk.model_version
        if chunk.usage_metadata is not None:
            self.usage = chunk.usage_metadata  # every chunk reports the running totals
        for position, candidate in enumerate(chunk.candidates or ()):
            index = candidate.index if isinstance(candidate.index, int) else position
            content = candidate.content
            for part in (content.parts if content is not None else None) or ():
                text = part.text
                if text is not None:
                    if not part.thought:
                        self.texts.setdefault(index, []).append(text)
                elif part.function_call is not None:
                    call = part.function_call
                    self.calls.setdefault(index, []).append((call.id, call.name, to_json(call.args or {})))
            if candidate.finish_reason is not None:
                self.reasons[index] = candidate.finish_reason

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        indexes = sorted(set(self.texts) | set(self.calls))
        texts = ["".join(self.texts[i]) if i in self.texts else None for i in indexes]
        calls = [self.calls.get(i, []) for i in indexes]
        reasons = [_reason(self.reasons[i]) for i in sorted(self.reasons)]
        _result(attributes, policy, texts, calls, reasons, self.response_id, self.model)
        if self.usage is not None:
            _usage(attributes, self.usage)
        return attributes


# --- embeddings ---------------------------------------------------------------------------------
def _embedded_texts(contents: Any) -> list[Any]:
    """The text of each thing to embed: the client embeds every item of a list on its own."""
    texts: list[Any] = []
    for item in contents if isinstance(contents, (list, tuple)) else (contents,):
        pieces: list[Any] = []
        _read_parts(get(item, "parts") if _is_content(item) else item, pieces, [], [])
        texts.append("\n".join(p for p in pieces if isinstance(p, str)))
    return texts


def embed_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embed_content`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _start("EMBEDDING", "embeddings", kwargs, _parameters(kwargs.get("config")))
    model = kwargs.get("model")
    if is_given(model):
        attributes[semconv.EMBEDDING_MODEL_NAME] = str(model)
    contents = kwargs.get("contents")
    if is_given(contents):
        texts = _embedded_texts(contents)
        if policy.capture:
            for i, text in enumerate(texts):
                recorded = policy.text(text)
                if recorded is not None:
                    attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{i}.{semconv.EMBEDDING_TEXT}"] = recorded
        input_value(attributes, policy, contents if isinstance(contents, str) else texts)
    return attributes


def embed_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``EmbedContentResponse``: its token count, where the API reports one."""
    attributes: dict[str, Any] = {}
    usage = getattr(response, "usage_metadata", None)  # google-genai 2.x embeddings have none
    prompt = usage.prompt_token_count if usage is not None else None
    if not isinstance(prompt, int):
        # Vertex text-embedding models count tokens per embedding instead.
        counts = [e.statistics.token_count for e in response.embeddings or () if e.statistics is not None]
        if counts and all(isinstance(c, (int, float)) for c in counts):
            prompt = int(sum(counts))
    usage_attributes(attributes, prompt, None, prompt)
    return attributes
