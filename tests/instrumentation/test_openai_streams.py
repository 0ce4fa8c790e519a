"""Every way a stream can end gives exactly one span, with no context left attached."""

from __future__ import annotations

import asyncio
import gc
import logging

import httpx2
import openai
import pytest
from opentelemetry import trace as trace_api

from neatlogs import semconv as sc

USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture(autouse=True)
def no_detach_warnings(caplog: pytest.LogCaptureFixture):
    """Fail any test here that makes OpenTelemetry log 'Failed to detach context'."""
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if "Failed to detach context" in r.getMessage()]
    assert trace_api.get_current_span() is trace_api.INVALID_SPAN


def one_span(memory, incomplete: bool | None = None):
    spans = memory.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    span = spans[0]
    assert span.attributes.get(sc.NEATLOGS_STREAM_INCOMPLETE, False) is bool(incomplete)
    return span


# --- sync ----------------------------------------------------------------------------
def test_exhausted(memory, client) -> None:
    stream = client.chat.completions.create(model="gpt-s", messages=USER, stream=True)
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    span = one_span(memory)
    assert span.attributes[sc.OUTPUT_VALUE] == "".join(c.choices[0].delta.content or "" for c in chunks)
    del stream
    gc.collect()
    assert len(memory.get_finished_spans()) == 1  # the finalizer was detached


def test_break_inside_with(memory, client) -> None:
    with client.chat.completions.create(model="gpt-long", messages=USER, stream=True) as stream:
        for _ in stream:
            break
        assert not memory.get_finished_spans()
    one_span(memory, incomplete=True)
    assert stream.response.is_closed


def test_explicit_close(memory, client) -> None:
    stream = client.chat.completions.create(model="gpt-long", messages=USER, stream=True)
    next(stream)
    next(stream)
    stream.close()
    span = one_span(memory, incomplete=True)
    assert span.attributes[sc.OUTPUT_VALUE]  # what arrived before the close is kept
    stream.close()
    assert len(memory.get_finished_spans()) == 1


def test_break_then_dropped_is_ended_by_garbage_collection(memory, client) -> None:
    stream = client.chat.completions.create(model="gpt-long", messages=USER, stream=True)
    for _ in stream:
        break
    assert not memory.get_finished_spans()
    del stream
    gc.collect()
    one_span(memory, incomplete=True)


def test_never_iterated_and_dropped(memory, client) -> None:
    client.chat.completions.create(model="gpt-s", messages=USER, stream=True)
    gc.collect()
    one_span(memory, incomplete=True)


def test_error_mid_stream_is_recorded_and_reraised(memory, standin_model) -> None:
    slow = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0,
                         timeout=httpx2.Timeout(5.0, read=0.02))
    stream = slow.chat.completions.create(model="gpt-slow", messages=USER, stream=True)
    with pytest.raises(openai.APITimeoutError):
        for _ in stream:
            pass
    span = one_span(memory)
    assert span.status.status_code == trace_api.StatusCode.ERROR
    assert span.attributes[sc.ERROR_TYPE] == "APITimeoutError"
    slow.close()


def test_program_error_inside_with_marks_the_span(memory, client) -> None:
    with pytest.raises(KeyError):
        with client.chat.completions.create(model="gpt-s", messages=USER, stream=True) as stream:
            next(stream)
            raise KeyError("program bug")
    span = one_span(memory)
    assert span.attributes[sc.ERROR_TYPE] == "KeyError"


def test_raw_response_stream_dropped_unparsed(memory, client) -> None:
    client.chat.completions.with_raw_response.create(model="gpt-s", messages=USER, stream=True)
    gc.collect()
    one_span(memory, incomplete=True)


def test_stream_helper_and_responses_stream(memory, client) -> None:
    with client.chat.completions.stream(model="gpt-helper", messages=USER) as stream:
        text = stream.get_final_completion().choices[0].message.content
    with client.responses.stream(model="gpt-rs", input="hi") as events:
        final = events.get_final_response()
    spans = {s.name: s for s in memory.get_finished_spans()}
    assert spans["chat gpt-helper"].attributes[sc.OUTPUT_VALUE] == text
    assert spans["responses gpt-rs"].attributes[sc.OUTPUT_VALUE] == final.output_text
    assert len(spans) == 2


def test_leaving_a_stream_helper_early_ends_the_span_at_once(memory, client) -> None:
    with client.chat.completions.stream(model="gpt-long", messages=USER) as stream:
        for _ in stream:
            break
        assert not memory.get_finished_spans()
    one_span(memory, incomplete=True)  # at the with's exit, not when garbage is collected


def test_leaving_an_async_responses_stream_helper_early_ends_the_span(memory, async_client_factory) -> None:
    async def main() -> None:
        async with async_client_factory() as client:
            async with client.responses.stream(model="gpt-long", input="hi") as events:
                async for _ in events:
                    break
            assert len(memory.get_finished_spans()) == 1

    gc.disable()  # prove the span did not wait for the garbage collector
    try:
        asyncio.run(main())
    finally:
        gc.enable()
    one_span(memory, incomplete=True)


def test_stream_keeps_the_client_interface(memory, client) -> None:
    stream = client.chat.completions.create(model="gpt-s", messages=USER, stream=True)
    assert isinstance(stream.response, httpx2.Response)
    assert iter(stream) is stream
    with stream as entered:
        assert entered is stream
        next(entered)
    one_span(memory, incomplete=True)


# --- async ---------------------------------------------------------------------------
def test_async_exhausted_break_close_and_with(memory, async_client_factory) -> None:
    async def main() -> None:
        async with async_client_factory() as client:
            stream = await client.chat.completions.create(model="a-exhausted", messages=USER, stream=True)
            assert isinstance(stream, openai.AsyncStream)
            async for _ in stream:
                pass
            async with await client.chat.completions.create(model="a-with", messages=USER, stream=True) as stream:
                async for _ in stream:
                    break
            stream = await client.chat.completions.create(model="a-close", messages=USER, stream=True)
            await stream.__anext__()
            await stream.close()
            stream = await client.chat.completions.create(model="a-aclose", messages=USER, stream=True)
            await stream.aclose()

    asyncio.run(main())
    spans = {s.name: s for s in memory.get_finished_spans()}
    assert sorted(spans) == ["chat a-aclose", "chat a-close", "chat a-exhausted", "chat a-with"]
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in spans["chat a-exhausted"].attributes
    for name in ("chat a-with", "chat a-close", "chat a-aclose"):
        assert spans[name].attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_async_task_cancelled_mid_stream(memory, async_client_factory) -> None:
    started = []

    async def consume(client) -> None:
        async for _ in await client.chat.completions.create(model="gpt-slow", messages=USER, stream=True):
            started.append(1)

    async def main() -> None:
        async with async_client_factory() as client:
            task = asyncio.create_task(consume(client))
            while not started:
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    span = one_span(memory, incomplete=True)
    assert span.status.status_code != trace_api.StatusCode.ERROR


def test_async_error_mid_stream(memory, async_client_factory) -> None:
    async def main() -> None:
        async with async_client_factory(timeout=httpx2.Timeout(5.0, read=0.02)) as client:
            stream = await client.chat.completions.create(model="gpt-slow", messages=USER, stream=True)
            with pytest.raises(openai.APITimeoutError):
                async for _ in stream:
                    pass

    asyncio.run(main())
    assert one_span(memory).attributes[sc.ERROR_TYPE] == "APITimeoutError"


def test_async_raw_response_stream(memory, async_client_factory) -> None:
    async def main() -> str:
        async with async_client_factory() as client:
            raw = await client.chat.completions.with_raw_response.create(model="a-raw", messages=USER, stream=True)
            assert raw.headers["x-request-id"]
            stream = raw.parse()
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    text = asyncio.run(main())
    assert one_span(memory).attributes[sc.OUTPUT_VALUE] == text


def test_async_dropped_stream_is_ended_by_garbage_collection(memory, async_client_factory) -> None:
    async def main() -> None:
        async with async_client_factory() as client:
            stream = await client.chat.completions.create(model="a-drop", messages=USER, stream=True)
            await stream.__anext__()
            del stream
            gc.collect()

    asyncio.run(main())
    one_span(memory, incomplete=True)
