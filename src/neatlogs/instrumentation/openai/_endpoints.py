"""Which provider an OpenAI client is talking to, from its class and its base URL.

The openai client serves Azure OpenAI (its ``AzureOpenAI`` classes) and every OpenAI-compatible
endpoint (OpenRouter, Together, DeepSeek, Groq, Mistral, Gemini, vLLM, Ollama...): the
provider is named from where the call goes, not from the client library. Names are the
OpenTelemetry GenAI spec's well-known ``gen_ai.provider.name`` values where it has one
(https://github.com/open-telemetry/semantic-conventions-genai, ``gen_ai.provider.name``), and
OpenInference's ``llm.provider`` values (``OpenInferenceLLMProviderValues``) beside them.
Every call also records ``server.address`` and ``server.port``. Worked out once per client.
"""

from __future__ import annotations

import contextlib
import weakref

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import semconv
from .._llm.stainless import client_address

__all__ = ["endpoint_attributes", "provider_names"]

OPENAI = ("openai", "openai")
"""(GenAI name, OpenInference name) of the default: api.openai.com and unknown endpoints."""

_BY_HOST_SUFFIX: tuple[tuple[str, tuple[str, str]], ...] = (
    ("openai.azure.com", ("azure.ai.openai", "azure")),
    ("services.ai.azure.com", ("azure.ai.inference", "azure")),
    ("openrouter.ai", ("openrouter", "openrouter")),
    ("together.xyz", ("together_ai", "together_ai")),
    ("together.ai", ("together_ai", "together_ai")),
    ("deepseek.com", ("deepseek", "deepseek")),
    ("groq.com", ("groq", "groq")),
    ("mistral.ai", ("mistral_ai", "mistralai")),
    ("generativelanguage.googleapis.com", ("gcp.gemini", "google")),
    ("cohere.ai", ("cohere", "cohere")),
    ("cohere.com", ("cohere", "cohere")),
    ("cerebras.ai", ("cerebras", "cerebras")),
    ("deepinfra.com", ("deepinfra", "deepinfra")),
    ("huggingface.co", ("huggingface", "huggingface")),
    ("x.ai", ("x_ai", "xai")),
    ("perplexity.ai", ("perplexity", "perplexity")),
    ("fireworks.ai", ("fireworks_ai", "fireworks_ai")),
    ("anthropic.com", ("anthropic", "anthropic")),
)
"""Hosts of OpenAI-compatible APIs, by the end of their name."""

_BEDROCK_SERVICES = ("bedrock-runtime.", "bedrock-runtime-fips.", "bedrock-mantle.")
"""Host prefixes of Amazon Bedrock's OpenAI-compatible endpoints (``openai.providers.bedrock``), any AWS partition.

See ``_parse_bedrock_endpoint_hostname`` in
https://github.com/openai/openai-python/blob/main/src/openai/providers/bedrock.py"""

OLLAMA_PORT = 11434
"""Ollama's own port: its OpenAI-compatible endpoint on localhost is Ollama's."""

_cache: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def provider_names(client_class: str, host: str | None, port: int | None) -> tuple[str, str]:
    """(GenAI, OpenInference) provider names for a client of ``client_class`` sending to ``host``."""
    if client_class.startswith(("AzureOpenAI", "AsyncAzureOpenAI")):
        return ("azure.ai.openai", "azure")
    if host:
        host = host.lower()
        for suffix, names in _BY_HOST_SUFFIX:
            if host == suffix or host.endswith("." + suffix):
                return names
        if host.startswith(_BEDROCK_SERVICES):
            return ("aws.bedrock", "aws")
        if host.endswith("aiplatform.googleapis.com"):  # Vertex AI, {location}-aiplatform: openai.providers.vertex
            return ("gcp.vertex_ai", "google")
    if port == OLLAMA_PORT:
        return ("ollama", "ollama")
    return OPENAI


def endpoint_attributes(resource: Any) -> dict[str, Any]:
    """Provider and server attributes of a call made through ``resource`` (``client.chat.completions``)."""
    client = getattr(resource, "_client", None)
    try:
        cached = _cache.get(client) if client is not None else None
    except TypeError:  # a client that cannot be weakly referenced
        cached = None
    if cached is not None:
        return cached
    client_class, host, port = client_address(resource)
    genai, openinference = provider_names(client_class, host, port)
    attributes: dict[str, Any] = {
        semconv.GEN_AI_PROVIDER_NAME: genai,
        semconv.LLM_PROVIDER: openinference,
        # OpenInference's llm.system is the model family: OpenAI's models, wherever Azure serves them.
        semconv.LLM_SYSTEM: "openai" if openinference == "azure" else openinference,
    }
    if host:
        attributes[semconv.SERVER_ADDRESS] = host
    if isinstance(port, int):
        attributes[semconv.SERVER_PORT] = port
    if client is not None:
        # A client that cannot be weakly referenced is worked out again next call: correct too.
        with contextlib.suppress(TypeError):
            _cache[client] = attributes
    return attributes
