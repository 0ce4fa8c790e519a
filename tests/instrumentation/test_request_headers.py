"""neatlogs adds no header to a provider's requests, and a traced call is one span: checked on the stand-in.

Each client sends the same call untraced (no ``init()``: no tracer provider at all) and
traced; the headers the stand-in received must be identical. The anthropic SDK makes spans
of its own and sends a ``traceparent`` once a global tracer provider exists: while neatlogs
instruments anthropic, that is off for clients the program gave no ``open_telemetry``
option, and kept for those it gave one.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest

from neatlogs import _testing

SDK_SCOPE = "com.anthropic.sdk.python"
USER = [{"role": "user", "content": "hello"}]


def _headers_of(standin: Any, call: Callable[[], Any]) -> dict[str, str]:
    """The headers of the one request ``call()`` sends to the stand-in."""
    before = len(standin.requests)
    call()
    [request] = standin.requests[before:]
    return {key.lower(): value for key, value in request["headers"].items()}


def _scopes(exporter: Any) -> list[str]:
    return [span.instrumentation_scope.name for span in exporter.get_finished_spans()]


# --- anthropic ------------------------------------------------------------------------------------
def _anthropic(standin: Any, **options: Any) -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.Anthropic(base_url=standin.base_url.removesuffix("/v1"), api_key="x", max_retries=0, **options)


def _create(client: Any) -> Callable[[], Any]:
    return lambda: client.messages.create(model="claude-headers", max_tokens=8, messages=USER)


def _stream(client: Any) -> Callable[[], Any]:
    return lambda: list(client.messages.create(model="claude-headers", max_tokens=8, messages=USER, stream=True))


def test_anthropic_headers_are_the_same_traced_and_untraced(standin_model) -> None:
    made_before = _anthropic(standin_model)  # made before neatlogs instruments anthropic
    untraced = _headers_of(standin_model, _create(made_before))
    untraced_stream = _headers_of(standin_model, _stream(made_before))
    assert "traceparent" not in untraced
    exporter = _testing.init_in_memory(instrumentations=["anthropic"])
    assert _headers_of(standin_model, _create(_anthropic(standin_model))) == untraced
    assert _headers_of(standin_model, _create(made_before)) == untraced
    assert _headers_of(standin_model, _create(_anthropic(standin_model).with_options(max_retries=0))) == untraced
    assert _headers_of(standin_model, _stream(_anthropic(standin_model))) == untraced_stream
    assert _scopes(exporter) == ["neatlogs"] * 4  # one span per call: ours, and not the SDK's beside it


def test_anthropic_async_headers_and_one_span(standin_model) -> None:
    anthropic = pytest.importorskip("anthropic")
    base_url = standin_model.base_url.removesuffix("/v1")

    async def call() -> None:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0) as client:
            await client.messages.create(model="claude-headers", max_tokens=8, messages=USER)

    untraced = _headers_of(standin_model, lambda: asyncio.run(call()))
    exporter = _testing.init_in_memory(instrumentations=["anthropic"])
    assert _headers_of(standin_model, lambda: asyncio.run(call())) == untraced
    assert _scopes(exporter) == ["neatlogs"]


def test_anthropic_own_open_telemetry_option_is_kept(standin_model) -> None:
    exporter = _testing.init_in_memory(instrumentations=["anthropic"])
    client = _anthropic(standin_model, open_telemetry={"traces": True})
    headers = _headers_of(standin_model, _create(client))
    assert "traceparent" in headers  # the program asked for the SDK's tracing: it has it
    assert sorted(_scopes(exporter)) == sorted(["neatlogs", SDK_SCOPE])
    copy = client.with_options(max_retries=0)  # a copy keeps its parent's option
    assert "traceparent" in _headers_of(standin_model, _create(copy))
    exporter.clear()
    off = _anthropic(standin_model, open_telemetry=False)
    assert "traceparent" not in _headers_of(standin_model, _create(off))
    assert _scopes(exporter) == ["neatlogs"]


def test_anthropic_sdk_tracing_comes_back_when_uninstrumented(standin_model) -> None:
    from neatlogs.instrumentation import anthropic as instrumentation

    exporter = _testing.init_in_memory(instrumentations=["anthropic"])
    client = _anthropic(standin_model)
    _create(client)()
    instrumentation.uninstrument()
    _create(client)()
    assert _scopes(exporter) == ["neatlogs", SDK_SCOPE]


# --- openai ---------------------------------------------------------------------------------------
def test_openai_headers_are_the_same_traced_and_untraced(standin_model) -> None:
    openai = pytest.importorskip("openai")

    def client() -> Any:
        return openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)

    def chat(c: Any) -> Callable[[], Any]:
        return lambda: c.chat.completions.create(model="gpt-headers", messages=USER)

    untraced = _headers_of(standin_model, chat(client()))
    untraced_stream = _headers_of(
        standin_model, lambda: list(client().chat.completions.create(model="gpt-headers", messages=USER, stream=True)))
    exporter = _testing.init_in_memory(instrumentations=["openai"])
    assert _headers_of(standin_model, chat(client())) == untraced
    assert _headers_of(
        standin_model, lambda: list(client().chat.completions.create(model="gpt-headers", messages=USER, stream=True))
    ) == untraced_stream
    assert _scopes(exporter) == ["neatlogs", "neatlogs"]


# --- litellm --------------------------------------------------------------------------------------
def test_litellm_headers_are_the_same_traced_and_untraced(standin_model) -> None:
    litellm = pytest.importorskip("litellm")
    openai_route = {"api_base": standin_model.base_url, "api_key": "x", "max_retries": 0}
    anthropic_route = {"api_base": standin_model.base_url.removesuffix("/v1"), "api_key": "x", "max_tokens": 8}
    calls = (
        lambda: litellm.completion(model="openai/gpt-headers", messages=USER, **openai_route),
        lambda: list(litellm.completion(model="openai/gpt-headers", messages=USER, stream=True, **openai_route)),
        lambda: litellm.completion(model="anthropic/claude-headers", messages=USER, **anthropic_route),
        lambda: litellm.embedding(model="openai/emb-headers", input=["hello"], **openai_route),
    )
    untraced = [_headers_of(standin_model, call) for call in calls]
    exporter = _testing.init_in_memory(instrumentations=["litellm", "openai", "anthropic"])
    assert [_headers_of(standin_model, call) for call in calls] == untraced
    assert _scopes(exporter) == ["neatlogs"] * len(calls)
