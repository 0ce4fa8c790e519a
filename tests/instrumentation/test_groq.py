"""Groq's chat completions through the real groq client against the stand-in (which speaks the OpenAI format)."""

from __future__ import annotations

import asyncio
import json

import pytest

from neatlogs import semconv as sc

groq = pytest.importorskip("groq")
from standins.tool_schema import FORECAST, assert_fits  # noqa: E402

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


@pytest.fixture
def base_url(standin_model) -> str:
    return standin_model.base_url.removesuffix("/v1")


def test_plain_streamed_and_async_calls_with_tools(memory, base_url) -> None:
    client = groq.Groq(base_url=base_url, api_key="x", max_retries=0)
    reply = client.chat.completions.create(model="llama-3.3-70b", tools=TOOLS,
                                           messages=[{"role": "user", "content": "find it"}])
    chunks = list(client.chat.completions.create(model="llama-stream", stream=True,
                                                 messages=[{"role": "user", "content": "hi"}]))

    async def main() -> None:
        async with groq.AsyncGroq(base_url=base_url, api_key="x", max_retries=0) as aclient:
            await aclient.chat.completions.create(model="llama-async", messages=[{"role": "user", "content": "yo"}])

    asyncio.run(main())
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    plain = spans["chat llama-3.3-70b"]
    assert plain[sc.GEN_AI_PROVIDER_NAME] == plain[sc.LLM_PROVIDER] == "groq"
    call = reply.choices[0].message.tool_calls[0]
    assert plain[sc.tool_call_key(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_NAME)] == call.function.name
    assert plain[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert plain[sc.LLM_TOKEN_COUNT_TOTAL] == reply.usage.total_tokens
    streamed = spans["chat llama-stream"]
    assert streamed[sc.OUTPUT_VALUE] == "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0
    assert spans["chat llama-async"][sc.OUTPUT_VALUE].startswith("[stand-in model]")


def test_api_error_is_recorded_and_reraised(memory, base_url) -> None:
    client = groq.Groq(base_url=base_url, api_key="x", max_retries=0)
    with pytest.raises(groq.InternalServerError):
        client.chat.completions.create(model="error-500", messages=[{"role": "user", "content": "hi"}])
    [span] = memory.get_finished_spans()
    assert span.status.status_code.name == "ERROR" and span.attributes[sc.ERROR_TYPE] == "InternalServerError"


def test_tool_call_arguments_fit_the_tools_schema(memory, base_url) -> None:
    client = groq.Groq(base_url=base_url, api_key="x", max_retries=0)
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST}}]
    reply = client.chat.completions.create(model="llama-3.3-70b", tools=tools,
                                           messages=[{"role": "user", "content": "weather in Rome?"}])
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "forecast"
    assert_fits(json.loads(call.function.arguments))
