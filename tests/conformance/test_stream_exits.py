"""One matrix over every provider: each way a call can end × the content policy, on the wire.

Every row of ``providers.PROVIDERS`` runs every exit path (read to the end, ``break``,
``close()``, leaving ``with``, garbage collection, an error mid-stream, a raw response, a
plain call; the async twins, and task cancellation) under each content policy (on, off,
masked), with the library's real client against the loopback stand-in and neatlogs
exporting real OTLP to the loopback receiver. Each case must export exactly one LLM span,
with the status its path calls for, leave no OpenTelemetry context attached, and put
nothing on the wire that the policy keeps out.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from typing import Any

import pytest
from opentelemetry import trace as trace_api
from providers import PROVIDERS, SECRET, USER_TEXT, Provider
from wire import Wire

import neatlogs
from neatlogs import semconv as sc

OK, INCOMPLETE, ERROR = "ok", "incomplete", "error"
_STATUS_OK, _STATUS_ERROR = 1, 2


def _mask(value: Any) -> Any:
    """A mask written for strings, as most are: structures must still come out masked."""
    return value.replace(SECRET, "####") if isinstance(value, str) else value


POLICIES = {
    "on": {},
    "off": {"capture_content": False},
    "mask": {"mask": _mask},
}


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _open(p: Provider, c: Any, model: str) -> Any:
    """The async stream of ``p.stream``, which some clients return from a coroutine and some directly."""
    return await _maybe_await(p.stream(c, model))


# --- sync exit paths: (client, provider, model) -> the state the span must end in -------------------
def read_to_the_end(p: Provider, c: Any, model: str) -> str:
    for _ in p.stream(c, model):
        pass
    return OK


def break_then_drop(p: Provider, c: Any, model: str) -> str:
    stream = p.stream(c, model)
    for _ in stream:
        break
    del stream
    gc.collect()
    return INCOMPLETE


def close_early(p: Provider, c: Any, model: str) -> str:
    stream = p.stream(c, model)
    next(iter(stream))
    stream.close()
    return INCOMPLETE


def leave_with(p: Provider, c: Any, model: str) -> str:
    with p.stream(c, model) as stream:
        for _ in stream:
            break
    return INCOMPLETE


def never_read_and_dropped(p: Provider, c: Any, model: str) -> str:
    stream = p.stream(c, model)
    del stream
    gc.collect()
    return INCOMPLETE


def error_mid_stream(p: Provider, c: Any, model: str) -> str:
    with pytest.raises(p.errors()):
        for _ in p.stream(c, "slow-" + model):
            pass
    return ERROR


def raw_response(p: Provider, c: Any, model: str) -> str:
    assert p.raw_stream is not None
    raw = p.raw_stream(c, model)
    assert raw.headers.get("content-type", "").startswith("text/event-stream")
    for _ in raw.parse():
        pass
    return OK


def plain_call(p: Provider, c: Any, model: str) -> str:
    p.plain(c, model)
    return OK


SYNC_PATHS = (read_to_the_end, break_then_drop, close_early, leave_with, never_read_and_dropped,
              error_mid_stream, raw_response, plain_call)


# --- async twins ----------------------------------------------------------------------------------
async def async_read_to_the_end(p: Provider, c: Any, model: str) -> str:
    async for _ in await _open(p, c, model):
        pass
    return OK


async def async_break_then_drop(p: Provider, c: Any, model: str) -> str:
    stream = await _open(p, c, model)
    async for _ in stream:
        break
    del stream
    gc.collect()
    return INCOMPLETE


async def async_close_early(p: Provider, c: Any, model: str) -> str:
    stream = await _open(p, c, model)
    await stream.__anext__()
    await (stream.aclose() if hasattr(stream, "aclose") else stream.close())
    return INCOMPLETE


async def async_leave_with(p: Provider, c: Any, model: str) -> str:
    async with await _open(p, c, model) as stream:
        async for _ in stream:
            break
    return INCOMPLETE


async def async_never_read_and_dropped(p: Provider, c: Any, model: str) -> str:
    stream = await _open(p, c, model)
    del stream
    gc.collect()
    return INCOMPLETE


async def async_error_mid_stream(p: Provider, c: Any, model: str) -> str:
    with pytest.raises(p.errors()):
        async for _ in await _open(p, c, "slow-" + model):
            pass
    return ERROR


async def async_raw_response(p: Provider, c: Any, model: str) -> str:
    assert p.raw_stream is not None
    raw = await p.raw_stream(c, model)
    async for _ in await _maybe_await(raw.parse()):
        pass
    return OK


async def async_plain_call(p: Provider, c: Any, model: str) -> str:
    await p.plain(c, model)
    return OK


async def async_task_cancelled(p: Provider, c: Any, model: str) -> str:
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in await _open(p, c, "slow-" + model):
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return INCOMPLETE


ASYNC_PATHS = (async_read_to_the_end, async_break_then_drop, async_close_early, async_leave_with,
               async_never_read_and_dropped, async_error_mid_stream, async_raw_response, async_plain_call,
               async_task_cancelled)


# --- the matrix -----------------------------------------------------------------------------------
def _run(provider: Provider, path: Any, base_url: str) -> str:
    model = f"{provider.name}-{path.__name__}"
    read_timeout = 0.02 if "error" in path.__name__ else None
    if inspect.iscoroutinefunction(path):
        async def main() -> str:
            async with provider.client(base_url, True, read_timeout) as client:
                return await path(provider, client, model)

        return asyncio.run(main())
    with provider.client(base_url, False, read_timeout) as client:
        return path(provider, client, model)


def _content_keys(attributes: dict[str, Any]) -> list[str]:
    suffixes = ("." + sc.MESSAGE_CONTENT, "." + sc.TOOL_CALL_FUNCTION_ARGUMENTS)
    return [k for k in attributes if k in (sc.INPUT_VALUE, sc.OUTPUT_VALUE) or k.endswith(suffixes)]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("path", SYNC_PATHS + ASYNC_PATHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_one_span_per_call_on_every_path_under_every_policy(
    provider: Provider, path: Any, policy: str, standins: Any, receiver: Any
) -> None:
    pytest.importorskip(provider.library)
    name = path.__name__
    if name in provider.skip_paths or name.removeprefix("async_") in provider.skip_paths:
        pytest.skip(f"{provider.name} streams have no {name} path")
    if "raw_response" in path.__name__ and provider.raw_stream is None:
        pytest.skip(f"{provider.name} has no raw responses")
    neatlogs.init(endpoint=receiver.endpoint, instrumentations=[provider.instrumentation], **POLICIES[policy])
    expected = _run(provider, path, standins(provider))
    assert trace_api.get_current_span() is trace_api.INVALID_SPAN  # nothing left attached

    [span] = Wire(receiver).spans(1, scope="neatlogs")
    a = span["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert span["kind"] == 3  # CLIENT
    incomplete = a.get(sc.NEATLOGS_STREAM_INCOMPLETE, False)
    if expected == OK:
        assert span["status_code"] == _STATUS_OK and not incomplete
    elif expected == INCOMPLETE:
        assert span["status_code"] != _STATUS_ERROR and incomplete is True
    else:
        assert span["status_code"] == _STATUS_ERROR and a[sc.ERROR_TYPE]

    wire_text = Wire(receiver).raw_text()
    if policy == "on":
        assert USER_TEXT in wire_text
        inputs = [v for k, v in a.items() if k.startswith(sc.LLM_INPUT_MESSAGES) and k.endswith(sc.MESSAGE_CONTENT)]
        assert USER_TEXT in inputs
        if expected == OK:
            assert SECRET in a[sc.OUTPUT_VALUE]  # the stand-in echoes the user's words
    elif policy == "off":
        assert _content_keys(a) == []
        assert "secret" not in wire_text and "be brief" not in wire_text
        assert a[sc.LLM_MODEL_NAME]  # what is not content is still recorded
    else:
        assert SECRET not in wire_text
        assert USER_TEXT.replace(SECRET, "####") in a[sc.INPUT_VALUE]
        if expected == OK:
            assert "####" in a[sc.OUTPUT_VALUE]


FRAMEWORKS = frozenset({"langchain", "openai_agents", "llama_index", "crewai", "pydantic_ai", "mcp", "dspy"})
"""Agent frameworks (issue 15): their own hooks and tests (tests/frameworks/), no client conformance row."""


def test_every_provider_row_is_a_registered_instrumentation() -> None:
    from neatlogs.instrumentation import REGISTRY

    assert {p.instrumentation for p in PROVIDERS} <= set(REGISTRY)
    clients = set(REGISTRY) - FRAMEWORKS
    assert clients <= {p.instrumentation for p in PROVIDERS}, "every provider needs a conformance row"
