"""litellm requests and responses as span attributes: chat completions and embeddings, and where they went.

litellm speaks OpenAI's shapes whatever the provider behind it: requests are OpenAI chat
messages, a ``ModelResponse`` has ``choices[i].message`` and an OpenAI ``usage`` (its
``prompt_tokens`` already counts cache reads and writes, which it also reports apart).
The provider is litellm's own resolution of the model (``litellm.get_llm_provider``),
mapped to the GenAI and OpenInference names; the model is recorded as asked
(``anthropic/claude-...``) and as answered. Objects are read by attribute, never through
``model_dump``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy
    from .._llm.call import LLMCall

from ... import _log, semconv
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
from .._llm.chat_completions import chat_messages, tool_calls_of
from .._llm.messages import flatten_messages, get, is_given, text_of
from .._llm.operation import LLMOperation

__all__ = [
    "CompletionOperation",
    "answered_provider",
    "completion_request",
    "completion_response",
    "embedding_request",
    "embedding_response",
    "provider_names",
    "reasoning_attributes",
    "usage",
]

PROVIDER = "litellm"
"""Both names of a call whose provider litellm cannot resolve (the GenAI spec: the library's name)."""

PROVIDERS: dict[str, tuple[str, str]] = {
    # litellm's provider: (gen_ai.provider.name, llm.provider)
    "openai": ("openai", "openai"),
    "text-completion-openai": ("openai", "openai"),
    "azure": ("azure.ai.openai", "azure"),
    "azure_text": ("azure.ai.openai", "azure"),
    "azure_ai": ("azure.ai.inference", "azure"),
    "anthropic": ("anthropic", "anthropic"),
    "bedrock": ("aws.bedrock", "aws"),
    "vertex_ai": ("gcp.vertex_ai", "google"),
    "vertex_ai_beta": ("gcp.vertex_ai", "google"),
    "gemini": ("gcp.gemini", "google"),
    "cohere": ("cohere", "cohere"),
    "cohere_chat": ("cohere", "cohere"),
    "mistral": ("mistral_ai", "mistralai"),
    "groq": ("groq", "groq"),
    "deepseek": ("deepseek", "deepseek"),
    "xai": ("x_ai", "xai"),
    "perplexity": ("perplexity", "perplexity"),
    "watsonx": ("ibm.watsonx.ai", "watsonx"),
    "ollama": ("ollama", "ollama"),
    "ollama_chat": ("ollama", "ollama"),
    "together_ai": ("together_ai", "together"),
    "fireworks_ai": ("fireworks_ai", "fireworks"),
    "cerebras": ("cerebras", "cerebras"),
    "moonshot": ("moonshot", "moonshot"),
    "oci": ("oci", "oracle"),
}
"""litellm's provider names mapped to the GenAI well-known ``gen_ai.provider.name`` values
(semantic-conventions-genai, ``GenAiProviderNameValues``) and OpenInference's
``OpenInferenceLLMProviderValues`` (openinference-semantic-conventions 0.1.42). A provider
neither spec lists keeps litellm's own name under both keys."""

_CONTENT_ARGUMENTS = frozenset({"model", "messages", "input", "instructions", "prompt", "mock_response",
                                "mock_tool_calls"})
"""Keyword arguments that are the call's content, not its invocation parameters."""

_NOT_PARAMETERS = frozenset({
    "api_base", "base_url", "api_version", "extra_headers", "headers", "timeout", "client", "shared_session",
    "model_list", "litellm_logging_obj", "logger_fn", "metadata", "litellm_metadata", "litellm_call_id",
    "custom_llm_provider", "acompletion", "aembedding", "litellm_params", "proxy_server_request",
})
"""Keyword arguments about where and how litellm sends the call, not the model's settings."""

_SECRET_WORDS = ("key", "secret", "password", "credential", "auth")
"""Any keyword argument whose name holds one of these (or ends in ``_token``) is never recorded."""


# --- where the call goes ----------------------------------------------------------------
def _resolved_provider(kwargs: dict[str, Any]) -> str | None:
    litellm = sys.modules.get("litellm")
    model = kwargs.get("model")
    if litellm is None or not isinstance(model, str):
        return None
    custom = kwargs.get("custom_llm_provider")
    api_base = kwargs.get("api_base") or kwargs.get("base_url")
    try:
        _model, provider, _key, _base = litellm.get_llm_provider(
            model=model,
            custom_llm_provider=custom if isinstance(custom, str) else None,
            api_base=api_base if isinstance(api_base, str) else None,
        )
    except Exception:
        _log.debug("litellm could not resolve the provider of %r", model, exc_info=True)
        return None
    return provider if isinstance(provider, str) and provider else None


def provider_names(provider: str | None) -> tuple[str, str]:
    """``(gen_ai.provider.name, llm.provider)`` for litellm's provider name (None: unresolved)."""
    if not provider:
        return PROVIDER, PROVIDER
    return PROVIDERS.get(provider, (provider, provider))


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    skip = _CONTENT_ARGUMENTS.union(_NOT_PARAMETERS).union(
        key for key in kwargs if key.endswith("_token") or any(word in key for word in _SECRET_WORDS)
    )
    parameters = invocation_parameters(kwargs, skip)
    genai, openinference = provider_names(_resolved_provider(kwargs))
    attributes = request_attributes(kind, operation, openinference, kwargs.get("model"), parameters,
                                    genai_provider=genai)
    _server(attributes, kwargs.get("api_base") or kwargs.get("base_url"))
    return attributes


def _server(attributes: dict[str, Any], api_base: Any) -> None:
    """``server.address`` / ``server.port`` of an endpoint the program chose (a self-hosted or compatible one)."""
    if not isinstance(api_base, str) or "://" not in api_base:
        return
    from urllib.parse import urlsplit  # litellm has loaded it already

    try:
        url = urlsplit(api_base)
        port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    except ValueError:
        return
    if url.hostname:
        attributes[semconv.SERVER_ADDRESS] = url.hostname
        if port:
            attributes[semconv.SERVER_PORT] = port


def answered_provider(attributes: dict[str, Any], result: Any) -> None:
    """The provider litellm says it used, when it says (``_hidden_params``)."""
    hidden = getattr(result, "_hidden_params", None)
    provider = hidden.get("custom_llm_provider") if isinstance(hidden, dict) else None
    if isinstance(provider, str) and provider:
        genai, openinference = provider_names(provider)
        attributes[semconv.GEN_AI_PROVIDER_NAME] = genai
        attributes[semconv.LLM_PROVIDER] = attributes[semconv.LLM_SYSTEM] = openinference


# --- chat completions -----------------------------------------------------------------------
def completion_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``completion`` / ``acompletion``."""
    attributes = _base("LLM", "chat", kwargs)
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)  # an iterable litellm would consume only once
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, chat_messages(messages), attributes, policy)
        input_value(attributes, policy, messages)
    return attributes


def reasoning_attributes(attributes: dict[str, Any], policy: ContentPolicy, text: Any, redacted: int) -> None:
    """The reply's reasoning text (``reasoning_content``, under the policy) and its redacted blocks."""
    if isinstance(text, str) and text:
        recorded = policy.text(text)
        if recorded is not None:
            attributes[semconv.NEATLOGS_REASONING_TEXT] = recorded
    if redacted:
        attributes[semconv.NEATLOGS_REASONING_REDACTED_BLOCKS] = redacted


def usage(attributes: dict[str, Any], value: Any) -> None:
    """Token counts of an OpenAI-shaped litellm ``Usage`` (prompt tokens include the cached ones)."""
    if value is None:
        return
    details = get(value, "prompt_tokens_details")
    cache_write = get(value, "cache_creation_input_tokens")
    if not isinstance(cache_write, int) or not cache_write:
        cache_write = get(details, "cache_creation_tokens") if details is not None else None
        cache_write = cache_write if cache_write else None  # absent and 0 alike: no cache write reported
    usage_attributes(
        attributes,
        get(value, "prompt_tokens"),
        get(value, "completion_tokens"),
        get(value, "total_tokens"),
        get(details, "cached_tokens") if details is not None else None,
        get(get(value, "completion_tokens_details"), "reasoning_tokens"),
        cache_write,
    )


def completion_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ModelResponse``."""
    attributes: dict[str, Any] = {}
    messages, texts, calls, reasons = [], [], [], []
    reasoning, redacted = None, 0
    for choice in get(response, "choices") or ():
        message = get(choice, "message")
        text = text_of(get(message, "content"))
        calls_of = tool_calls_of(get(message, "tool_calls"))
        messages.append((get(message, "role") or "assistant", text, calls_of, None))
        texts.append(text)
        calls.append(calls_of)
        reason = get(choice, "finish_reason")
        if reason:
            reasons.append(str(reason))
        if reasoning is None:
            reasoning = get(message, "reasoning_content")
            redacted = sum(1 for b in get(message, "thinking_blocks") or () if get(b, "type") == "redacted_thinking")
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
    output_value(attributes, policy, output_text(texts, calls))
    finish_attributes(attributes, get(response, "id"), get(response, "model"), reasons)
    reasoning_attributes(attributes, policy, reasoning, redacted)
    usage(attributes, get(response, "usage"))
    answered_provider(attributes, response)
    return attributes


# --- embeddings -----------------------------------------------------------------------------
def embedding_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embedding`` / ``aembedding`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    embedding_inputs(attributes, policy, kwargs, "input")
    return attributes


def embedding_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``EmbeddingResponse``: model and usage."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, None, get(response, "model"), [])
    value = get(response, "usage")
    if value is not None:
        usage_attributes(attributes, get(value, "prompt_tokens"), None, get(value, "total_tokens"))
    answered_provider(attributes, response)
    return attributes


# --- the operation --------------------------------------------------------------------------
# --- responses ------------------------------------------------------------------------------
def responses_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``responses`` / ``aresponses``: the Responses API's input, sent where litellm resolves."""
    from ..openai._extract import responses_request as openai_request  # the same request shape

    attributes = openai_request(kwargs, policy)
    attributes.update(_base("LLM", "chat", kwargs))
    return attributes


def responses_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of litellm's ``ResponsesAPIResponse`` (the Responses API's ``Response`` shape)."""
    from ..openai._extract import responses_response as openai_response

    attributes = openai_response(response, policy)
    answered_provider(attributes, response)
    return attributes


class CompletionOperation(LLMOperation):
    """A litellm call: it streams when litellm returns a stream (``CustomStreamWrapper``), whatever asked for it."""

    __slots__ = ()

    def end(self, call: LLMCall, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
        """Record ``result``, or hand back a proxy that records the stream it is."""
        try:
            streaming = self.accumulator is not None and hasattr(result, "__anext__" if is_async else "__next__")
            return self.record(call, result, streaming, is_async)
        except Exception:
            _log.internal_error("recording the litellm %s result failed", self.operation)
            call.finish()
        return result
