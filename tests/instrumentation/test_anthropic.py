"""Anthropic messages.create through the real anthropic client against the stand-in model."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from neatlogs import semconv as sc

anthropic = pytest.importorskip("anthropic")

USER = [{"role": "user", "content": "hello claude"}]


@pytest.fixture
def base_url(standin_model) -> str:
    return standin_model.base_url.removesuffix("/v1")


def test_create_plain_on_the_wire(wire, base_url) -> None:
    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    history = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"q": 1}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "found"},
                                     {"type": "text", "text": "and now?"}]},
    ]
    reply = client.messages.create(model="claude-test", max_tokens=64, system="be brief", messages=history)
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat claude-test"
    assert span["kind"] == 3
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.LLM_PROVIDER] == a[sc.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == '{"q": 1}'
    assert a[f"{sc.LLM_INPUT_MESSAGES}.3.{sc.MESSAGE_TOOL_CALL_ID}"] == "tu_1"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.3.{sc.MESSAGE_CONTENT}"] == "found"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.4.{sc.MESSAGE_CONTENT}"] == "and now?"
    assert a[sc.OUTPUT_VALUE] == reply.content[0].text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["end_turn"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == reply.usage.input_tokens
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == reply.usage.output_tokens
    assert '"max_tokens": 64' in a[sc.LLM_INVOCATION_PARAMETERS]


def test_create_streamed_sync_and_async(wire, base_url) -> None:
    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    events = list(client.messages.create(model="claude-stream", max_tokens=64, messages=USER, stream=True))
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")

    async def main() -> None:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0) as aclient:
            reply = await aclient.messages.create(model="claude-async", max_tokens=64, messages=USER)
            assert reply.content[0].text
            stream = await aclient.messages.create(model="claude-async-stream", max_tokens=64, messages=USER,
                                                   stream=True)
            async for _ in stream:
                break
            await stream.close()

    asyncio.run(main())
    spans = {s["name"]: s for s in w.spans(3, scope="neatlogs")}
    a = spans["chat claude-stream"]["attributes"]
    assert a[sc.OUTPUT_VALUE] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["end_turn"]
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == events[-2].usage.output_tokens
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == events[0].message.usage.input_tokens
    assert spans["chat claude-async"]["status_code"] == 1
    assert spans["chat claude-async-stream"]["attributes"][sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_dropped_stream_and_api_error(memory, base_url) -> None:
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    stream = client.messages.create(model="claude-drop", max_tokens=8, messages=USER, stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(model="error-500", max_tokens=8, messages=USER)
    # One span per call: the SDK's own call span is off while neatlogs instruments anthropic.
    assert {s.instrumentation_scope.name for s in memory.get_finished_spans()} == {"neatlogs"}
    spans = {s.name: s for s in memory.get_finished_spans()}
    assert spans["chat claude-drop"].attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True
    assert spans["chat error-500"].attributes[sc.ERROR_TYPE] == "InternalServerError"
    assert len(spans) == 2


def test_stream_helper_sync_and_async(wire, base_url) -> None:
    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    with client.messages.stream(model="claude-helper", max_tokens=64, messages=USER) as stream:
        final = stream.get_final_message()
    with client.messages.stream(model="claude-helper-early", max_tokens=64, messages=USER) as stream:
        for _ in stream.text_stream:
            break  # leaving the with block early closes the stream: the span ends incomplete

    async def main() -> str:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0) as aclient:
            async with aclient.messages.stream(model="claude-helper-async", max_tokens=64, messages=USER) as s:
                return "".join([text async for text in s.text_stream])

    async_text = asyncio.run(main())
    spans = {s["name"]: s for s in w.spans(3, scope="neatlogs")}
    a = spans["chat claude-helper"]["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.OUTPUT_VALUE] == final.content[0].text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["end_turn"]
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == final.usage.output_tokens
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "hello claude"
    assert spans["chat claude-helper"]["status_code"] == 1
    assert spans["chat claude-helper-early"]["attributes"][sc.NEATLOGS_STREAM_INCOMPLETE] is True
    assert spans["chat claude-helper-async"]["attributes"][sc.OUTPUT_VALUE] == async_text
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in spans["chat claude-helper-async"]["attributes"]


def test_beta_messages_create_stream_and_the_tool_runner(wire, base_url) -> None:
    # Tool runners, threads, fallbacks and the other beta features send through client.beta.messages.
    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    reply = client.beta.messages.create(model="claude-beta", max_tokens=64, messages=USER)
    with client.beta.messages.stream(model="claude-beta-helper", max_tokens=64, messages=USER) as stream:
        final = stream.get_final_message()

    @anthropic.beta_tool
    def get_weather(location: str) -> str:
        """The weather in a city.

        Args:
            location: the city
        """
        return f"sunny in {location}"

    runner = client.beta.messages.tool_runner(model="claude-beta-runner", max_tokens=64, tools=[get_weather],
                                              messages=[{"role": "user", "content": "weather in SF?"}])
    replies = list(runner)

    async def main() -> str:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0) as aclient:
            async with aclient.beta.messages.stream(model="claude-beta-async", max_tokens=64, messages=USER) as s:
                return "".join([text async for text in s.text_stream])

    async_text = asyncio.run(main())
    spans = w.spans(6, scope="neatlogs")
    by_name: dict[str, list] = {}
    for span in spans:
        by_name.setdefault(span["name"], []).append(span)
    (tool,) = by_name.pop("get_weather")  # the runner ran the tool the model asked for: a TOOL span
    assert tool["attributes"][sc.OPENINFERENCE_SPAN_KIND] == "TOOL"
    assert tool["attributes"][sc.TOOL_NAME] == "get_weather"
    assert json.loads(tool["attributes"][sc.INPUT_VALUE]) == {"location": "stand-in"}
    assert tool["attributes"][sc.OUTPUT_VALUE] == "sunny in stand-in"
    spans = [s for s in spans if s is not tool]
    assert by_name["chat claude-beta"][0]["attributes"][sc.OUTPUT_VALUE] == reply.content[0].text
    assert by_name["chat claude-beta-helper"][0]["attributes"][sc.OUTPUT_VALUE] == final.content[0].text
    assert by_name["chat claude-beta-async"][0]["attributes"][sc.OUTPUT_VALUE] == async_text
    first, second = by_name["chat claude-beta-runner"]  # the runner's tool loop: two model calls
    assert first["attributes"][f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] \
        == "get_weather"
    results = [v for k, v in second["attributes"].items() if k.startswith(sc.LLM_INPUT_MESSAGES)]
    assert "sunny in stand-in" in results and len(replies) == 2
    for span in spans:
        assert span["attributes"][sc.LLM_PROVIDER] == "anthropic"
        assert span["attributes"][sc.LLM_TOKEN_COUNT_COMPLETION] > 0


def test_stream_helper_is_patched_once_and_undone(memory, base_url) -> None:
    from neatlogs.instrumentation import anthropic as instrumentation

    instrumentation.instrument(anthropic)  # a second time: still one span per call
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    with client.messages.stream(model="claude-once", max_tokens=8, messages=USER) as stream:
        stream.until_done()
    instrumentation.uninstrument()
    with client.messages.stream(model="claude-untraced", max_tokens=8, messages=USER) as stream:
        stream.until_done()
    names = [s.name for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"]
    assert names == ["chat claude-once"]


def test_input_tokens_include_cache_reads_and_writes(wire, base_url) -> None:
    from neatlogs_cli.demo.standin_model import CACHE_READ_TOKENS, CACHE_WRITE_TOKENS

    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    reply = client.messages.create(model="claude-cache", max_tokens=64, messages=USER)
    events = list(client.messages.create(model="claude-cache-stream", max_tokens=64, messages=USER, stream=True))
    spans = {s["name"]: s["attributes"] for s in w.spans(2, scope="neatlogs")}
    usage = reply.usage
    prompt = usage.input_tokens + CACHE_READ_TOKENS + CACHE_WRITE_TOKENS
    for name in ("chat claude-cache", "chat claude-cache-stream"):
        a = spans[name]
        assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == prompt, name
        assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == a[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 120
        assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] == a[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 30
        assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == usage.output_tokens
        assert a[sc.LLM_TOKEN_COUNT_TOTAL] == prompt + usage.output_tokens
    # The stream's cache counts come from message_start; message_delta carries only output tokens.
    assert events[0].message.usage.cache_read_input_tokens == CACHE_READ_TOKENS
    assert events[-2].usage.cache_read_input_tokens is None


def test_no_cache_no_cache_keys(memory, base_url) -> None:
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    reply = client.messages.create(model="claude-plain", max_tokens=64, messages=USER)
    [span] = memory.get_finished_spans()
    assert span.attributes[sc.LLM_TOKEN_COUNT_PROMPT] == reply.usage.input_tokens
    assert sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ not in span.attributes
    assert sc.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE not in span.attributes


def test_extended_thinking_recorded_apart_from_the_reply(wire, base_url) -> None:
    from neatlogs_cli.demo.standin_model import THINKING_TEXT

    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    thinking = {"type": "enabled", "budget_tokens": 1024}
    reply = client.messages.create(model="claude-think", max_tokens=2048, messages=USER, thinking=thinking)
    assert [b.type for b in reply.content] == ["thinking", "redacted_thinking", "text"]
    events = list(client.messages.create(model="claude-think-stream", max_tokens=2048, messages=USER,
                                         thinking=thinking, stream=True))
    assert {e.delta.type for e in events if e.type == "content_block_delta"} == {
        "thinking_delta", "signature_delta", "text_delta"}
    with client.messages.stream(model="claude-think-helper", max_tokens=2048, messages=USER,
                                thinking=thinking) as stream:
        stream.get_final_message()
    # The reply sent back in the history: its thinking blocks are not input text.
    history = [*USER, {"role": "assistant", "content": [b.model_dump() for b in reply.content]},
               {"role": "user", "content": "again"}]
    client.messages.create(model="claude-history", max_tokens=64, messages=history)
    spans = {s["name"]: s["attributes"] for s in w.spans(4, scope="neatlogs")}
    for name in ("chat claude-think", "chat claude-think-stream", "chat claude-think-helper"):
        a = spans[name]
        assert a[sc.OUTPUT_VALUE] == reply.content[2].text, name
        assert a[f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == reply.content[2].text
        assert a[sc.NEATLOGS_REASONING_TEXT] == THINKING_TEXT
        assert a[sc.NEATLOGS_REASONING_REDACTED_BLOCKS] == 1
        assert "c2lnbmVk" not in str(a) and "ZW5jcnlwdGVk" not in str(a)  # no signature, no encrypted data
    history_span = spans["chat claude-history"]
    assert history_span[f"{sc.LLM_INPUT_MESSAGES}.1.{sc.MESSAGE_CONTENT}"] == reply.content[2].text
    assert THINKING_TEXT not in str({k: v for k, v in history_span.items() if k != sc.INPUT_VALUE})


def test_thinking_text_is_content(wire, base_url) -> None:
    w = wire(instrumentations=["anthropic"], capture_content=False)
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    client.messages.create(model="claude-think", max_tokens=2048, messages=USER)
    [span] = w.spans(1, scope="neatlogs")
    assert sc.NEATLOGS_REASONING_TEXT not in span["attributes"]
    assert span["attributes"][sc.NEATLOGS_REASONING_REDACTED_BLOCKS] == 1
    assert "echo" not in w.raw_text()


WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city",
                "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                                 "required": ["location"]}}


def _tool_loop(client, ask) -> int:
    """The tool use loop of Anthropic's docs: call, run the tools asked for, send results, until no tool_use."""
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    for calls in range(1, 5):
        response = ask(client, messages)
        if response.stop_reason != "tool_use":
            return calls
        messages.append({"role": "assistant", "content": response.content})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": b.id, "content": f"sunny in {b.input['location']}"}
            for b in response.content if b.type == "tool_use"]})
    raise AssertionError("the loop never ended")


def _create(client, messages):
    return client.messages.create(model="claude-tools", max_tokens=64, tools=[WEATHER_TOOL], messages=messages)


def _streamed(client, messages):
    with client.messages.stream(model="claude-tools-streamed", max_tokens=64, tools=[WEATHER_TOOL],
                                messages=messages) as stream:
        return stream.get_final_message()


@pytest.mark.parametrize("ask", [_create, _streamed])
def test_a_tool_use_loop_records_the_call_and_its_result(wire, base_url, ask) -> None:
    w = wire(instrumentations=["anthropic"])
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    assert _tool_loop(client, ask) == 2
    first, second = w.spans(2, scope="neatlogs")
    calls = f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0"
    a = first["attributes"]
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_use"]
    assert a[f"{calls}.{sc.TOOL_CALL_FUNCTION_NAME}"] == "get_weather"
    assert a[f"{calls}.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == '{"location": "stand-in"}'
    b = second["attributes"]
    assert b[f"{sc.LLM_INPUT_MESSAGES}.2.{sc.MESSAGE_CONTENT}"] == "sunny in stand-in"
    assert b[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["end_turn"]


def test_an_async_tool_runners_function_tool_is_a_tool_span_that_records_its_error(memory, base_url) -> None:
    @anthropic.beta_async_tool
    async def get_weather(location: str) -> str:
        """The weather in a city.

        Args:
            location: the city
        """
        raise RuntimeError(f"no weather service for {location}")

    async def main() -> None:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0) as client:
            runner = client.beta.messages.tool_runner(model="claude-beta-runner", max_tokens=64, tools=[get_weather],
                                                      messages=[{"role": "user", "content": "weather in SF?"}])
            async for _ in runner:
                pass

    asyncio.run(main())
    (tool,) = [s for s in memory.get_finished_spans() if s.name == "get_weather"]
    assert tool.attributes[sc.OPENINFERENCE_SPAN_KIND] == "TOOL"
    assert tool.status.status_code.name == "ERROR"  # the runner answers the model with it, as without neatlogs
    assert [e.name for e in tool.events] == ["exception"]
    calls = [s for s in memory.get_finished_spans() if s.name == "chat claude-beta-runner"]
    assert len(calls) == 2  # the call that asked for the tool, and the one that read its error
    assert tool.parent is None or tool.parent.span_id not in {c.context.span_id for c in calls}  # between them
