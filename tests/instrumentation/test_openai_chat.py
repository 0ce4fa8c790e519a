"""Chat completions through the real openai client, asserted on the decoded OTLP wire."""

from __future__ import annotations

import asyncio
import json

import openai
import pydantic
import pytest

import neatlogs
from neatlogs import semconv as sc

CLIENT_KIND = 3  # SPAN_KIND_CLIENT in OTLP
STATUS_OK, STATUS_ERROR = 1, 2
USER = [{"role": "user", "content": "hello there"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]


def _input(i: int, suffix: str) -> str:
    return f"{sc.LLM_INPUT_MESSAGES}.{i}.{suffix}"


def _output(i: int, suffix: str) -> str:
    return f"{sc.LLM_OUTPUT_MESSAGES}.{i}.{suffix}"


def _tool(prefix: str, i: int, j: int, suffix: str) -> str:
    return f"{prefix}.{i}.{sc.MESSAGE_TOOL_CALLS}.{j}.{suffix}"


def test_chat_create_records_every_attribute_shape_on_the_wire(wire, client) -> None:
    w = wire()
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "lookup", "arguments": '{"q": 1}'}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": "found"},
        {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
    ]
    reply = client.chat.completions.create(model="gpt-test", messages=history, temperature=0.2, max_tokens=50)

    [span] = w.spans(1)
    a = span["attributes"]
    assert span["name"] == "chat gpt-test"
    assert span["kind"] == CLIENT_KIND
    assert span["status_code"] == STATUS_OK
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == a[sc.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[sc.GEN_AI_REQUEST_MODEL] == a[sc.GEN_AI_RESPONSE_MODEL] == a[sc.LLM_MODEL_NAME] == "gpt-test"
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS]) == {"temperature": 0.2, "max_tokens": 50}
    assert json.loads(a[sc.INPUT_VALUE]) == history
    assert a[sc.INPUT_MIME_TYPE] == "application/json"
    assert a[_input(0, sc.MESSAGE_ROLE)] == "system"
    assert a[_input(0, sc.MESSAGE_CONTENT)] == "be brief"
    assert a[_input(2, sc.MESSAGE_ROLE)] == "assistant"
    assert _input(2, sc.MESSAGE_CONTENT) not in a
    assert a[_tool(sc.LLM_INPUT_MESSAGES, 2, 0, sc.TOOL_CALL_ID)] == "call_9"
    assert a[_tool(sc.LLM_INPUT_MESSAGES, 2, 0, sc.TOOL_CALL_FUNCTION_NAME)] == "lookup"
    assert a[_tool(sc.LLM_INPUT_MESSAGES, 2, 0, sc.TOOL_CALL_FUNCTION_ARGUMENTS)] == '{"q": 1}'
    assert a[_input(3, sc.MESSAGE_TOOL_CALL_ID)] == "call_9"
    assert a[_input(4, sc.MESSAGE_CONTENT)] == "and now?"
    text = reply.choices[0].message.content
    assert a[_output(0, sc.MESSAGE_ROLE)] == "assistant"
    assert a[_output(0, sc.MESSAGE_CONTENT)] == text == a[sc.OUTPUT_VALUE]
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    usage = reply.usage
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == usage.prompt_tokens
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == a[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == usage.completion_tokens
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == usage.total_tokens
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == 0
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION_REASONING] == 0


def test_async_chat_create_is_one_span(wire, async_client_factory) -> None:
    w = wire()

    async def main() -> str:
        async with async_client_factory() as client:
            reply = await client.chat.completions.create(model="gpt-async", messages=USER)
            return reply.choices[0].message.content

    text = asyncio.run(main())
    [span] = w.spans(1)
    assert span["name"] == "chat gpt-async"
    assert span["attributes"][sc.OUTPUT_VALUE] == text


def test_tool_calls_in_a_plain_reply(wire, client) -> None:
    w = wire()
    reply = client.chat.completions.create(model="gpt-tools", messages=USER, tools=TOOLS)
    [span] = w.spans(1)
    a = span["attributes"]
    call = reply.choices[0].message.tool_calls[0]
    assert a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_ID)] == call.id
    assert a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_NAME)] == "lookup"
    assert a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_ARGUMENTS)] == call.function.arguments
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS])["tools"] == TOOLS


def test_streamed_tool_calls_are_accumulated_by_index(wire, client) -> None:
    w = wire()
    stream = client.chat.completions.create(model="gpt-tools", messages=USER, tools=TOOLS, stream=True)
    fragments = [c.choices[0].delta.tool_calls for c in stream if c.choices and c.choices[0].delta.tool_calls]
    assert len(fragments) > 1  # the arguments really came in pieces
    [span] = w.spans(1)
    a = span["attributes"]
    assert a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_ID)] == "call_0"
    assert a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_NAME)] == "lookup"
    assert json.loads(a[_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_ARGUMENTS)]) == {"order_id": "stand-in"}
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]


def test_stream_records_text_first_chunk_and_usage_when_sent(wire, client, standin_model) -> None:
    w = wire()
    chunks = list(client.chat.completions.create(
        model="gpt-stream", messages=USER, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    [span] = w.spans(1)
    a = span["attributes"]
    assert a[sc.OUTPUT_VALUE] == a[_output(0, sc.MESSAGE_CONTENT)] == text
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == chunks[-1].usage.total_tokens
    assert a[sc.GEN_AI_RESPONSE_ID] == chunks[0].id
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in a


def test_stream_options_are_never_injected(wire, client, standin_model) -> None:
    w = wire()
    for _ in client.chat.completions.create(model="gpt-no-usage", messages=USER, stream=True):
        pass
    body = [r for r in standin_model.requests if r["body"].get("model") == "gpt-no-usage"][-1]["body"]
    assert "stream_options" not in body
    [span] = w.spans(1)
    assert sc.LLM_TOKEN_COUNT_TOTAL not in span["attributes"]


class Answer(pydantic.BaseModel):
    city: str
    score: int


def test_parse_records_the_structured_output(wire, client) -> None:
    w = wire()
    reply = client.chat.completions.parse(model="gpt-parse", messages=USER, response_format=Answer)
    assert reply.choices[0].message.parsed == Answer(city="stand-in", score=1)
    [span] = w.spans(1)
    a = span["attributes"]
    assert span["name"] == "chat gpt-parse"
    assert json.loads(a[sc.OUTPUT_VALUE]) == {"city": "stand-in", "score": 1}
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS])["response_format"] == "Answer"


def test_with_raw_response_keeps_headers_and_parse(wire, client) -> None:
    w = wire()
    raw = client.chat.completions.with_raw_response.create(model="gpt-raw", messages=USER)
    assert raw.headers["x-request-id"].startswith("req_")
    assert isinstance(raw, openai._legacy_response.LegacyAPIResponse)
    reply = raw.parse()
    assert raw.parse() is reply
    [span] = w.spans(1)
    assert span["attributes"][sc.OUTPUT_VALUE] == reply.choices[0].message.content


def test_with_raw_response_stream_is_recorded_when_parsed_and_read(wire, client) -> None:
    w = wire()
    raw = client.chat.completions.with_raw_response.create(model="gpt-raw-stream", messages=USER, stream=True)
    assert raw.headers["content-type"].startswith("text/event-stream")
    stream = raw.parse()
    assert isinstance(stream, openai.Stream)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    [span] = w.spans(1)
    assert span["attributes"][sc.OUTPUT_VALUE] == text


def test_api_error_is_recorded_and_the_same_exception_reraised(wire, client) -> None:
    w = wire()
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="error-500", messages=USER)
    [span] = w.spans(1)
    assert span["status_code"] == STATUS_ERROR
    assert span["attributes"][sc.ERROR_TYPE] == "InternalServerError"
    [event] = span["events"]
    assert event["name"] == sc.EXCEPTION_EVENT
    assert event["attributes"]["exception.type"].endswith("InternalServerError")
    assert caught.value.status_code == 500


def test_prompt_templates_of_the_enclosing_trace_reach_the_llm_span(wire, client) -> None:
    w = wire()
    system = neatlogs.PromptTemplate([{"role": "system", "content": "You help with {{topic}}."}], version="v3")
    user = neatlogs.UserPromptTemplate("Question: {{q}}")
    with neatlogs.trace("respond", kind="LLM", prompt_template=system, user_prompt_template=user):
        messages = system.compile(topic="tea") + [{"role": "user", "content": user.compile(q="green?")}]
        client.chat.completions.create(model="gpt-tpl", messages=messages)
    spans = {s["name"]: s for s in w.spans(2)}
    a = spans["chat gpt-tpl"]["attributes"]
    assert spans["chat gpt-tpl"]["parent_span_id"] == spans["respond"]["span_id"]
    assert "{{topic}}" in a[sc.LLM_PROMPT_TEMPLATE]
    assert a[sc.LLM_PROMPT_TEMPLATE_VERSION] == "v3"
    assert json.loads(a[sc.LLM_PROMPT_TEMPLATE_VARIABLES]) == {"topic": "tea"}
    assert a[sc.NEATLOGS_USER_PROMPT_TEMPLATE] == "Question: {{q}}"


def test_long_content_is_cut_with_a_visible_marker(wire, client) -> None:
    w = wire()
    client.chat.completions.create(model="gpt-long", messages=[{"role": "user", "content": "x" * 50_000}])
    [span] = w.spans(1)
    content = span["attributes"][_input(0, sc.MESSAGE_CONTENT)]
    assert len(content) < 50_000
    assert "truncated" in content


SECRET_QUESTION = "my-secret-question-4242"


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_capture_content_false_puts_no_content_on_the_wire(wire, client, monkeypatch, how) -> None:
    if how == "environment":
        monkeypatch.setenv("NEATLOGS_CAPTURE_CONTENT", "false")
        w = wire()
    else:
        w = wire(capture_content=False)
    messages = [{"role": "user", "content": SECRET_QUESTION}]
    client.chat.completions.create(model="gpt-private", messages=messages, tools=TOOLS)
    client.chat.completions.create(model="gpt-private", messages=messages)
    for _ in client.chat.completions.create(model="gpt-private", messages=messages, stream=True):
        pass
    client.responses.create(model="gpt-private", input=SECRET_QUESTION, instructions="secret-instructions-77")
    client.embeddings.create(model="emb-private", input=[SECRET_QUESTION])
    spans = w.spans(5)
    body = w.raw_text()
    # The tool's schema is structural (kept); the arguments the model called it with are content.
    for needle in (SECRET_QUESTION, "stand-in model", "secret-instructions-77", '"order_id": "stand-in"'):
        assert needle not in body
    a = spans[1]["attributes"]
    assert a[_input(0, sc.MESSAGE_ROLE)] == "user"
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] > 0
    assert sc.INPUT_VALUE not in a and sc.OUTPUT_VALUE not in a
    assert spans[0]["attributes"][_tool(sc.LLM_OUTPUT_MESSAGES, 0, 0, sc.TOOL_CALL_FUNCTION_NAME)] == "lookup"


def test_mask_is_applied_to_every_captured_value(wire, client) -> None:
    w = wire(mask=lambda value: value.replace("hello", "*****") if isinstance(value, str) else value)
    client.chat.completions.create(model="gpt-mask", messages=USER)
    [span] = w.spans(1)
    a = span["attributes"]
    assert a[_input(0, sc.MESSAGE_CONTENT)] == "***** there"
    assert "hello" not in a[_output(0, sc.MESSAGE_CONTENT)]
    assert "hello" not in a[sc.OUTPUT_VALUE]
