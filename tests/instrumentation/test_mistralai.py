"""mistralai chat.complete / chat.stream / embeddings.create through the real client against the Mistral stand-in."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any, Iterator

import pytest

from neatlogs import semconv as sc

pytest.importorskip("mistralai.client")
from mistralai.client import Mistral, errors  # noqa: E402
from standins.mistralai import MistralStandin  # noqa: E402
from standins.tool_schema import FORECAST, assert_fits  # noqa: E402

USER = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello mistral"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "look it up",
                                           "parameters": {"type": "object", "properties": {}}}}]
IN, OUT = sc.LLM_INPUT_MESSAGES, sc.LLM_OUTPUT_MESSAGES


@pytest.fixture(scope="module")
def standin() -> Iterator[MistralStandin]:
    with MistralStandin() as server:
        yield server


@pytest.fixture
def client(standin: MistralStandin) -> Iterator[Mistral]:
    with Mistral(api_key="x", server_url=standin.base_url) as value:
        yield value


@pytest.fixture
def memory() -> Any:
    """neatlogs with the mistralai instrumentation exporting synchronously to memory."""
    from neatlogs import _testing

    return _testing.init_in_memory(instrumentations=["mistralai"])


def _by_name(spans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in spans}


def test_complete_with_tool_history_on_the_wire(wire, client) -> None:
    w = wire(instrumentations=["mistralai"])
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": "",
         "tool_calls": [{"id": "abc123def", "function": {"name": "lookup", "arguments": {"q": 1}}}]},
        {"role": "tool", "content": "found", "tool_call_id": "abc123def", "name": "lookup"},
        {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
    ]
    reply = client.chat.complete(model="mistral-small", messages=history, temperature=0.2)
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat mistral-small"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == "mistralai"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "mistral_ai"
    assert a[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert a[f"{IN}.0.{sc.MESSAGE_ROLE}"] == "system"
    assert a[f"{IN}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}"] == "abc123def"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == '{"q": 1}'
    assert a[f"{IN}.3.{sc.MESSAGE_ROLE}"] == "tool"
    assert a[f"{IN}.3.{sc.MESSAGE_TOOL_CALL_ID}"] == "abc123def"
    assert a[f"{IN}.3.{sc.MESSAGE_CONTENT}"] == "found"
    assert a[f"{IN}.4.{sc.MESSAGE_CONTENT}"] == "and now?"
    assert a[sc.OUTPUT_VALUE] == reply.choices[0].message.content
    assert a[f"{OUT}.0.{sc.MESSAGE_ROLE}"] == "assistant"
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == reply.usage.prompt_tokens
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == a[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == reply.usage.completion_tokens
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == reply.usage.total_tokens
    assert a[sc.LLM_INVOCATION_PARAMETERS] == '{"temperature": 0.2}'


def test_tool_call_replies_plain_and_streamed(wire, client) -> None:
    w = wire(instrumentations=["mistralai"])
    reply = client.chat.complete(model="mistral-tools", messages=USER, tools=TOOLS)
    events = list(client.chat.stream(model="mistral-tools-stream", messages=USER, tools=TOOLS))
    spans = _by_name(w.spans(2, scope="neatlogs"))
    call = reply.choices[0].message.tool_calls[0]
    for name in ("chat mistral-tools", "chat mistral-tools-stream"):
        a = spans[name]["attributes"]
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}"] == call.id
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == call.function.arguments
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]
        assert "lookup" in a[sc.OUTPUT_VALUE]
    streamed = spans["chat mistral-tools-stream"]["attributes"]
    assert streamed[sc.LLM_TOKEN_COUNT_COMPLETION] == events[-1].data.usage.completion_tokens
    assert streamed[sc.NEATLOGS_FIRST_CHUNK_MS] > 0


def test_stream_sync_and_async(wire, client) -> None:
    w = wire(instrumentations=["mistralai"])
    events = list(client.chat.stream(model="mistral-stream", messages=USER))
    text = "".join(e.data.choices[0].delta.content or "" for e in events)

    async def main() -> str:
        reply = await client.chat.complete_async(model="mistral-async", messages=USER)
        stream = await client.chat.stream_async(model="mistral-async-stream", messages=USER)
        async for _ in stream:
            break
        await stream.close()
        async with await client.chat.stream_async(model="mistral-async-full", messages=USER) as full:
            parts = [e.data.choices[0].delta.content async for e in full]
        assert reply.choices[0].message.content
        return "".join(p for p in parts if isinstance(p, str))

    async_text = asyncio.run(main())
    spans = _by_name(w.spans(4, scope="neatlogs"))
    a = spans["chat mistral-stream"]["attributes"]
    assert a[sc.OUTPUT_VALUE] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == events[-1].data.usage.prompt_tokens
    assert a[sc.GEN_AI_RESPONSE_ID] == events[0].data.id
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
    assert spans["chat mistral-async"]["status_code"] == 1
    assert spans["chat mistral-async-stream"]["attributes"][sc.NEATLOGS_STREAM_INCOMPLETE] is True
    full = spans["chat mistral-async-full"]["attributes"]
    assert full[sc.OUTPUT_VALUE] == async_text
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in full


def test_agents_complete_and_stream_sync_and_async(wire, client) -> None:
    w = wire(instrumentations=["mistralai"])
    reply = client.agents.complete(agent_id="ag_support", messages=USER)
    events = list(client.agents.stream(agent_id="ag_stream", messages=USER))
    text = "".join(e.data.choices[0].delta.content or "" for e in events)

    async def main() -> str:
        answer = await client.agents.complete_async(agent_id="ag_async", messages=USER)
        return answer.choices[0].message.content

    async_text = asyncio.run(main())
    spans = _by_name(w.spans(3, scope="neatlogs"))
    a = spans["chat agent ag_support"]["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM" and a[sc.GEN_AI_AGENT_ID] == "ag_support"
    assert a[sc.GEN_AI_RESPONSE_MODEL] == reply.model == "mistral-agent-model"
    assert a[sc.OUTPUT_VALUE] == reply.choices[0].message.content
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == reply.usage.total_tokens
    assert a[f"{sc.LLM_INPUT_MESSAGES}.1.{sc.MESSAGE_CONTENT}"] == USER[-1]["content"]
    assert spans["chat agent ag_stream"]["attributes"][sc.OUTPUT_VALUE] == text
    assert spans["chat agent ag_async"]["attributes"][sc.OUTPUT_VALUE] == async_text


def test_embeddings_sync_and_async(wire, client) -> None:
    w = wire(instrumentations=["mistralai"])
    result = client.embeddings.create(model="mistral-embed", inputs=["first text", "second"])

    async def main() -> None:
        await client.embeddings.create_async(model="mistral-embed-async", inputs="one text")

    asyncio.run(main())
    spans = _by_name(w.spans(2, scope="neatlogs"))
    a = spans["embeddings mistral-embed"]["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "mistral_ai"
    assert a[sc.EMBEDDING_MODEL_NAME] == "mistral-embed"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "second"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == result.usage.prompt_tokens
    b = spans["embeddings mistral-embed-async"]["attributes"]
    assert b[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "one text"


def test_api_error_is_recorded_and_reraised_unchanged(memory, client) -> None:
    with pytest.raises(errors.SDKError) as raised:
        client.chat.complete(model="error-500", messages=USER)
    assert raised.value.status_code == 500 and "stand-in error 500" in raised.value.body
    stream = client.chat.stream(model="mistral-drop", messages=USER)
    next(iter(stream))
    del stream
    gc.collect()
    spans = {s.name: s for s in memory.get_finished_spans()}
    error = spans["chat error-500"]
    assert error.status.status_code.name == "ERROR"
    assert error.attributes[sc.ERROR_TYPE] == "SDKError"
    assert [e.name for e in error.events] == ["exception"]
    assert spans["chat mistral-drop"].attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_requests_carry_the_same_headers_traced_and_untraced(wire, standin, client) -> None:
    def headers_of(model: str) -> list[dict[str, str]]:
        client.chat.complete(model=model, messages=USER)
        list(client.chat.stream(model=model, messages=USER))
        client.embeddings.create(model=model, inputs=["text"])
        return [{"path": r["path"], **r["headers"]} for r in standin.requests[-3:]]

    untraced = headers_of("mistral-headers")
    w = wire(instrumentations=["mistralai"])
    traced = headers_of("mistral-headers")
    assert len(w.spans(3, scope="neatlogs")) == 3
    assert traced == untraced


def test_patched_once_and_undone(memory, client) -> None:
    from neatlogs.instrumentation import mistralai as instrumentation

    instrumentation.instrument(None)  # a second time: still one span per call
    client.chat.complete(model="mistral-once", messages=USER)
    instrumentation.uninstrument()
    client.chat.complete(model="mistral-untraced", messages=USER)
    assert [s.name for s in memory.get_finished_spans()] == ["chat mistral-once"]


def test_tool_call_arguments_fit_the_tools_schema_plain_and_streamed(memory, client) -> None:
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST}}]
    reply = client.chat.complete(model="mistral-tools", messages=USER, tools=tools)
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "forecast"
    assert_fits(json.loads(call.function.arguments))
    events = list(client.chat.stream(model="mistral-tools-stream", messages=USER, tools=tools))
    [streamed] = [c for e in events for c in e.data.choices[0].delta.tool_calls or ()]
    assert_fits(json.loads(streamed.function.arguments))
