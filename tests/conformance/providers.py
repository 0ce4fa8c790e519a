"""The conformance kit's rows: one per traced client API, each a real client against a loopback stand-in.

A row says which stand-in server speaks the library's wire protocol, how to make the
library's sync and async clients for it, and how to make one streamed call, one plain call
and (for clients that have them) one raw-response streamed call. A new provider joins the kit
with its stand-in (a ``tests/standins/`` module, or a route of the demo's stand-in model) and a
row here; every test in ``tests/conformance`` then runs for it.

Every stand-in follows the same conventions, which the kit relies on: a model name containing
``slow`` streams with a pause of about 50 ms between events (so a read timeout of 20 ms fails
mid-stream, and a task can be cancelled mid-stream); the reply echoes the last user message.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from typing import Any, Callable

SECRET = "plum4242"
"""Appears in every request (and so in the stand-in's echoed reply): it must never reach the wire masked or off.

Not digits alone: "4242" also turned up in a loopback port (an error message naming port 42423)."""

USER_TEXT = f"please keep my secret {SECRET} safe"


@dataclass(frozen=True)
class Provider:
    """How the kit drives one client API."""

    name: str
    instrumentation: str
    standin: Callable[[], Any]
    """Starts the stand-in server (a context manager with ``.base_url``); the kit keeps one per row."""
    client: Callable[[str, bool, float | None], Any]
    """``(base_url, is_async, read_timeout) -> client``, usable as a (async) context manager."""
    stream: Callable[[Any, str], Any]
    """``(client, model) -> stream`` (a coroutine or an async iterator for an async client)."""
    plain: Callable[[Any, str], Any]
    """``(client, model) -> result`` of a call that does not stream."""
    errors: Callable[[], tuple[type[BaseException], ...]]
    """The library's exception types a timed-out read raises."""
    raw_stream: Callable[[Any, str], Any] | None = None
    """``(client, model) -> raw response`` whose ``parse()`` gives the stream; None: the client has none."""
    skip_paths: frozenset[str] = frozenset()
    """Exit paths the library's streams do not offer (``leave_with`` for a plain generator, say; a sync
    path's name skips its async twin too, an ``async_*`` name only that one)."""

    @property
    def library(self) -> str:
        """The client library's import name (``google.genai``, ``botocore``): its tests skip without it."""
        from neatlogs.instrumentation import REGISTRY

        return REGISTRY[self.instrumentation][0]


def _demo_standin() -> Any:
    from neatlogs_cli.demo.standin_model import StandinModel

    return StandinModel()


def _openai_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import httpx2
    import openai

    timeout = httpx2.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=base_url, api_key="x", max_retries=0, timeout=timeout)


def _anthropic_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import anthropic
    import httpx2

    timeout = httpx2.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    return cls(base_url=base_url.removesuffix("/v1"), api_key="x", max_retries=0, timeout=timeout)


def _groq_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import groq
    import httpx

    timeout = httpx.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    cls = groq.AsyncGroq if is_async else groq.Groq
    # Groq sends to {base_url}/openai/v1/chat/completions: the demo stand-in's chat route.
    return cls(base_url=base_url.removesuffix("/v1"), api_key="x", max_retries=0, timeout=timeout)


def _groq_errors() -> tuple[type[BaseException], ...]:
    import groq
    import httpx

    return (groq.APITimeoutError, groq.APIConnectionError, httpx.TimeoutException)


def _messages() -> list[dict[str, Any]]:
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": USER_TEXT}]


def _openai_errors() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.APITimeoutError, openai.APIConnectionError)


def _anthropic_errors() -> tuple[type[BaseException], ...]:
    import anthropic
    import httpx2

    # Mid-stream, the anthropic client lets the transport's own timeout through unwrapped.
    return (anthropic.APITimeoutError, anthropic.APIConnectionError, httpx2.TimeoutException)


def _gemini_standin() -> Any:
    from standins.google_genai import GeminiStandin

    return GeminiStandin()


def _genai_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    from google import genai
    from google.genai import types

    # HttpOptions.timeout is in milliseconds, and the client gives it to httpx as every timeout.
    timeout = max(1, round(read_timeout * 1000)) if read_timeout else 5000
    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=base_url, timeout=timeout))
    return client.aio if is_async else client


def _genai_errors() -> tuple[type[BaseException], ...]:
    from google.genai import errors

    # Sync calls go through httpx (or httpx2), async ones through aiohttp when it is installed; the
    # client lets their timeouts through unwrapped (aiohttp's is asyncio's TimeoutError).
    timeouts: list[type[BaseException]] = [errors.APIError, asyncio.TimeoutError]
    for transport in ("httpx", "httpx2"):
        try:
            timeouts.append(importlib.import_module(transport).TimeoutException)
        except ImportError:
            pass
    return tuple(timeouts)


_GENAI_CONFIG = {"system_instruction": "be brief", "temperature": 0.1}


def _cohere_standin() -> Any:
    from standins.cohere import CohereStandin

    return CohereStandin()


def _cohere_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import cohere
    import httpx

    timeout = httpx.Timeout(5.0, read=read_timeout)
    if is_async:
        return cohere.AsyncClientV2(api_key="x", base_url=base_url, max_retries=0,
                                    httpx_client=httpx.AsyncClient(timeout=timeout))
    return cohere.ClientV2(api_key="x", base_url=base_url, max_retries=0, httpx_client=httpx.Client(timeout=timeout))


def _cohere_errors() -> tuple[type[BaseException], ...]:
    import cohere
    import httpx

    return (httpx.TimeoutException, cohere.core.ApiError)


def _mistral_standin() -> Any:
    from standins.mistralai import MistralStandin

    return MistralStandin()


@dataclass(frozen=True)
class TwinClient:
    """A client whose sync and async methods share one object (``complete`` / ``complete_async``), and which the kit uses."""

    client: Any
    is_async: bool

    def method(self, owner: Any, name: str) -> Any:
        """``owner.name``, or its ``name_async`` twin for an async case."""
        return getattr(owner, f"{name}_async" if self.is_async else name)

    def __enter__(self) -> TwinClient:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.__exit__(*exc)

    async def __aenter__(self) -> TwinClient:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.__aexit__(*exc)


def _mistral_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import httpx2
    from mistralai.client import Mistral

    timeout = httpx2.Timeout(5.0, read=read_timeout).as_dict()

    # The client gives every request its own timeout (timeout_ms, 300 s by default) for
    # connect and read alike; these keep a short read timeout from failing the connect.
    class Client(httpx2.Client):
        def send(self, request: Any, **kwargs: Any) -> Any:
            request.extensions["timeout"] = timeout
            return super().send(request, **kwargs)

    class AsyncClient(httpx2.AsyncClient):
        async def send(self, request: Any, **kwargs: Any) -> Any:
            request.extensions["timeout"] = timeout
            return await super().send(request, **kwargs)

    http = {"async_client": AsyncClient()} if is_async else {"client": Client()}
    return TwinClient(Mistral(api_key="x", server_url=base_url, **http), is_async)


def _mistral_errors() -> tuple[type[BaseException], ...]:
    import httpx2
    from mistralai.client import errors

    # Mid-stream, the client lets the transport's own timeout through unwrapped.
    return (httpx2.TimeoutException, errors.MistralError)


def _ollama_standin() -> Any:
    from standins.ollama import OllamaStandin

    return OllamaStandin()


def _ollama_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import httpx
    import ollama

    timeout = httpx.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    return (ollama.AsyncClient if is_async else ollama.Client)(host=base_url, timeout=timeout)


def _ollama_errors() -> tuple[type[BaseException], ...]:
    import httpx
    import ollama

    # Mid-stream the client lets httpx's own timeout through unwrapped.
    return (httpx.TimeoutException, ollama.ResponseError)


_ANTHROPIC_MESSAGES = [{"role": "user", "content": USER_TEXT}]


def _bedrock_standin() -> Any:
    from standins.bedrock import BedrockStandin

    return BedrockStandin()


def _bedrock_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import contextlib

    import boto3
    from botocore.config import Config

    assert not is_async, "botocore has no async client"
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=read_timeout or 5)
    client = boto3.client("bedrock-runtime", endpoint_url=base_url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x", config=config)
    return contextlib.closing(client)  # a botocore client has close() but is no context manager


def _bedrock_errors() -> tuple[type[BaseException], ...]:
    import botocore.exceptions
    import urllib3.exceptions

    # Mid-stream, botocore's EventStream lets urllib3's own read timeout through unwrapped.
    return (urllib3.exceptions.ReadTimeoutError, botocore.exceptions.ReadTimeoutError)


_BEDROCK_MESSAGES = [{"role": "user", "content": [{"text": USER_TEXT}]}]
_BEDROCK_SYSTEM = [{"text": "be brief"}]


def _anthropic_body() -> str:
    import json

    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "system": "be brief",
                       "messages": _ANTHROPIC_MESSAGES})


_BEDROCK_SKIPS = frozenset({
    # botocore's EventStream is iterable and has close(), but is no context manager.
    "leave_with",
    # botocore has no async client (aiobotocore is another library): no async twin runs.
    "async_read_to_the_end", "async_break_then_drop", "async_close_early", "async_leave_with",
    "async_never_read_and_dropped", "async_error_mid_stream", "async_raw_response", "async_plain_call",
    "async_task_cancelled",
})


class _LiteLLM:
    """litellm has no client object: this stands in for one, holding where its calls go.

    ``completion`` calls ``litellm.completion`` (or ``acompletion`` for an async "client")
    with the OpenAI provider pointed at the stand-in; ``tests/conftest.py`` keeps litellm offline.
    """

    def __init__(self, base_url: str, is_async: bool, read_timeout: float | None) -> None:
        self.base_url, self.is_async, self.timeout = base_url, is_async, read_timeout or 5.0

    def __enter__(self) -> _LiteLLM:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    async def __aenter__(self) -> _LiteLLM:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def completion(self, model: str, **kwargs: Any) -> Any:
        import litellm

        call = litellm.acompletion if self.is_async else litellm.completion
        return call(model="openai/" + model, messages=_messages(), api_base=self.base_url, api_key="x",
                    timeout=self.timeout, max_retries=0, **kwargs)


def _litellm_errors() -> tuple[type[BaseException], ...]:
    import litellm

    # Under openai 2.x (which CrewAI and llama-index-llms-openai pin) litellm wraps a stream
    # cut mid-way in its MidStreamFallbackError instead.
    mid_stream = getattr(getattr(litellm, "exceptions", None), "MidStreamFallbackError", None)
    return (litellm.Timeout, litellm.APIConnectionError, *([mid_stream] if mid_stream else []))

PROVIDERS = (
    Provider(
        name="groq-chat",
        instrumentation="groq",
        standin=_demo_standin,
        client=_groq_client,
        stream=lambda c, model: c.chat.completions.create(model=model, messages=_messages(), stream=True),
        raw_stream=lambda c, model: c.chat.completions.with_raw_response.create(
            model=model, messages=_messages(), stream=True),
        plain=lambda c, model: c.chat.completions.create(model=model, messages=_messages()),
        errors=_groq_errors,
    ),
    Provider(
        name="ollama-chat",
        instrumentation="ollama",
        standin=_ollama_standin,
        client=_ollama_client,
        # Positional, as ollama's own examples call it: the engine names them (PatchTarget.positional).
        stream=lambda c, model: c.chat(model, _messages(), stream=True),
        plain=lambda c, model: c.chat(model, _messages()),
        errors=_ollama_errors,
        raw_stream=None,  # the client has no raw responses
        # stream=True returns a plain (async) generator: no with block to leave.
        skip_paths=frozenset({"leave_with"}),
    ),
    Provider(
        name="openai-chat",
        instrumentation="openai",
        standin=_demo_standin,
        client=_openai_client,
        stream=lambda c, model: c.chat.completions.create(model=model, messages=_messages(), stream=True),
        raw_stream=lambda c, model: c.chat.completions.with_raw_response.create(
            model=model, messages=_messages(), stream=True),
        plain=lambda c, model: c.chat.completions.create(model=model, messages=_messages()),
        errors=_openai_errors,
    ),
    Provider(
        name="openai-completions",
        instrumentation="openai",
        standin=_demo_standin,
        client=_openai_client,
        stream=lambda c, model: c.completions.create(model=model, prompt=USER_TEXT, stream=True),
        raw_stream=lambda c, model: c.completions.with_raw_response.create(model=model, prompt=USER_TEXT, stream=True),
        plain=lambda c, model: c.completions.create(model=model, prompt=USER_TEXT),
        errors=_openai_errors,
    ),
    Provider(
        name="openai-responses",
        instrumentation="openai",
        standin=_demo_standin,
        client=_openai_client,
        stream=lambda c, model: c.responses.create(model=model, instructions="be brief", input=USER_TEXT, stream=True),
        raw_stream=lambda c, model: c.responses.with_raw_response.create(
            model=model, instructions="be brief", input=USER_TEXT, stream=True),
        plain=lambda c, model: c.responses.create(model=model, instructions="be brief", input=USER_TEXT),
        errors=_openai_errors,
    ),
    Provider(
        name="anthropic-messages",
        instrumentation="anthropic",
        standin=_demo_standin,
        client=_anthropic_client,
        stream=lambda c, model: c.messages.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES, stream=True),
        raw_stream=lambda c, model: c.messages.with_raw_response.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES, stream=True),
        plain=lambda c, model: c.messages.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES),
        errors=_anthropic_errors,
    ),
    Provider(
        name="bedrock-converse",
        instrumentation="bedrock",
        standin=_bedrock_standin,
        client=_bedrock_client,
        stream=lambda c, model: c.converse_stream(
            modelId=model, system=_BEDROCK_SYSTEM, messages=_BEDROCK_MESSAGES)["stream"],
        plain=lambda c, model: c.converse(modelId=model, system=_BEDROCK_SYSTEM, messages=_BEDROCK_MESSAGES),
        errors=_bedrock_errors,
        skip_paths=_BEDROCK_SKIPS,  # no raw responses either: raw_stream stays None
    ),
    Provider(
        name="bedrock-invoke-anthropic",
        instrumentation="bedrock",
        standin=_bedrock_standin,
        client=_bedrock_client,
        stream=lambda c, model: c.invoke_model_with_response_stream(modelId=model, body=_anthropic_body())["body"],
        plain=lambda c, model: c.invoke_model(modelId=model, body=_anthropic_body()),
        errors=_bedrock_errors,
        skip_paths=_BEDROCK_SKIPS,
    ),
    Provider(
        name="google-genai-models",
        instrumentation="google_genai",
        standin=_gemini_standin,
        client=_genai_client,
        stream=lambda c, model: c.models.generate_content_stream(model=model, contents=USER_TEXT, config=_GENAI_CONFIG),
        plain=lambda c, model: c.models.generate_content(model=model, contents=USER_TEXT, config=_GENAI_CONFIG),
        errors=_genai_errors,
        # generate_content_stream returns a plain generator (an async generator for client.aio): no
        # ``with`` block to leave, and no raw-response variant (raw_stream stays None).
        skip_paths=frozenset({"leave_with"}),
    ),
    Provider(
        name="cohere-chat",
        instrumentation="cohere",
        standin=_cohere_standin,
        client=_cohere_client,
        stream=lambda c, model: c.chat_stream(model=model, messages=_messages()),
        plain=lambda c, model: c.chat(model=model, messages=_messages()),
        errors=_cohere_errors,
        raw_stream=None,  # the traced chat_stream has no raw twin (with_raw_response is another client)
        # chat_stream is a plain (async) generator function: its stream has no with block.
        skip_paths=frozenset({"leave_with"}),
    ),
    Provider(
        name="mistralai-chat",
        instrumentation="mistralai",
        standin=_mistral_standin,
        client=_mistral_client,
        stream=lambda c, model: c.method(c.client.chat, "stream")(model=model, messages=_messages()),
        plain=lambda c, model: c.method(c.client.chat, "complete")(model=model, messages=_messages()),
        errors=_mistral_errors,
        raw_stream=None,  # the client has no raw responses
    ),
    Provider(
        name="litellm-completion",
        instrumentation="litellm",
        standin=_demo_standin,
        client=_LiteLLM,
        stream=lambda c, model: c.completion(model, stream=True),
        plain=lambda c, model: c.completion(model),
        errors=_litellm_errors,
        # CustomStreamWrapper offers every exit path (with, close, aclose, GC); it has no raw responses.
    ),
)
