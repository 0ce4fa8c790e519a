"""cohere v2 chat / chat_stream / embed through the real ClientV2 and AsyncClientV2 against the Cohere stand-in."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any, Iterator

import pytest

from neatlogs import semconv as sc

cohere = pytest.importorskip("cohere")
from standins.cohere import CohereStandin  # noqa: E402
from standins.tool_schema import FORECAST, assert_fits  # noqa: E402

USER = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello cohere"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "look it up",
                                           "parameters": {"type": "object", "properties": {}}}}]
IN, OUT = sc.LLM_INPUT_MESSAGES, sc.LLM_OUTPUT_MESSAGES


@pytest.fixture(scope="module")
def standin() -> Iterator[CohereStandin]:
    with CohereStandin() as server:
        yield server


@pytest.fixture
def make(standin: CohereStandin) -> Any:
    """Makes a ClientV2 for the stand-in: after init(), as the client binds its methods when it is made."""
    return lambda: cohere.ClientV2(api_key="x", base_url=standin.base_url, max_retries=0)


@pytest.fixture
def memory() -> Any:
    """neatlogs with the cohere instrumentation exporting synchronously to memory."""
    from neatlogs import _testing

    return _testing.init_in_memory(instrumentations=["cohere"])


def _by_name(spans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in spans}


def test_chat_with_tool_history_on_the_wire(wire, make) -> None:
    w = wire(instrumentations=["cohere"])
    client = make()
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "tool_plan": "I will look it up.",
         "tool_calls": [{"id": "lookup_1", "type": "function",
                         "function": {"name": "lookup", "arguments": '{"q": 1}'}}]},
        {"role": "tool", "tool_call_id": "lookup_1", "content": [{"type": "text", "text": "found"}]},
        {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
    ]
    reply = client.chat(model="command-a", messages=history, temperature=0.3)
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat command-a"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == a[sc.GEN_AI_PROVIDER_NAME] == "cohere"
    assert a[f"{IN}.0.{sc.MESSAGE_ROLE}"] == "system"
    assert a[f"{IN}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}"] == "lookup_1"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == '{"q": 1}'
    assert a[f"{IN}.3.{sc.MESSAGE_ROLE}"] == "tool"
    assert a[f"{IN}.3.{sc.MESSAGE_TOOL_CALL_ID}"] == "lookup_1"
    assert a[f"{IN}.3.{sc.MESSAGE_CONTENT}"] == "found"
    assert a[f"{IN}.4.{sc.MESSAGE_CONTENT}"] == "and now?"
    assert a[sc.OUTPUT_VALUE] == reply.message.content[0].text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["COMPLETE"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    # usage.tokens (what the model read), not billed_units, and integers though the API sends floats.
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == int(reply.usage.tokens.input_tokens)
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == int(reply.usage.tokens.output_tokens)
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == int(reply.usage.tokens.input_tokens + reply.usage.tokens.output_tokens)
    assert a[sc.LLM_INVOCATION_PARAMETERS] == '{"temperature": 0.3}'


def test_tool_call_replies_plain_and_streamed(wire, make) -> None:
    w = wire(instrumentations=["cohere"])
    client = make()
    reply = client.chat(model="command-tools", messages=USER, tools=TOOLS)
    events = list(client.chat_stream(model="command-tools-stream", messages=USER, tools=TOOLS))
    spans = _by_name(w.spans(2, scope="neatlogs"))
    call = reply.message.tool_calls[0]
    for name in ("chat command-tools", "chat command-tools-stream"):
        a = spans[name]["attributes"]
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}"] == call.id
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"] == call.function.arguments
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["TOOL_CALL"]
        assert "lookup" in a[sc.OUTPUT_VALUE]
    streamed = spans["chat command-tools-stream"]["attributes"]
    assert streamed[sc.LLM_TOKEN_COUNT_COMPLETION] == int(events[-1].delta.usage.tokens.output_tokens)
    assert streamed[sc.NEATLOGS_FIRST_CHUNK_MS] > 0


def test_chat_stream_sync_and_async(wire, make, standin) -> None:
    w = wire(instrumentations=["cohere"])
    client = make()
    events = list(client.chat_stream(model="command-stream", messages=USER))
    text = "".join(e.delta.message.content.text for e in events if e.type == "content-delta")

    async def main() -> str:
        aclient = cohere.AsyncClientV2(api_key="x", base_url=standin.base_url, max_retries=0)
        reply = await aclient.chat(model="command-async", messages=USER)
        assert reply.message.content[0].text
        stream = aclient.chat_stream(model="command-async-stream", messages=USER)
        async for _ in stream:
            break
        await stream.aclose()
        parts = [e.delta.message.content.text async for e in aclient.chat_stream(model="command-async-full",
                                                                                  messages=USER)
                 if e.type == "content-delta"]
        return "".join(parts)

    async_text = asyncio.run(main())
    spans = _by_name(w.spans(4, scope="neatlogs"))
    a = spans["chat command-stream"]["attributes"]
    assert a[sc.OUTPUT_VALUE] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["COMPLETE"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == int(events[-1].delta.usage.tokens.input_tokens)
    assert a[sc.GEN_AI_RESPONSE_ID] == events[0].id
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
    assert spans["chat command-async"]["status_code"] == 1
    assert spans["chat command-async-stream"]["attributes"][sc.NEATLOGS_STREAM_INCOMPLETE] is True
    full = spans["chat command-async-full"]["attributes"]
    assert full[sc.OUTPUT_VALUE] == async_text
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in full


def test_embed_sync_and_async(wire, make, standin) -> None:
    w = wire(instrumentations=["cohere"])
    client = make()
    result = client.embed(model="embed-v4", texts=["first text", "second"], input_type="search_document",
                          embedding_types=["float"])

    async def main() -> None:
        aclient = cohere.AsyncClientV2(api_key="x", base_url=standin.base_url, max_retries=0)
        await aclient.embed(model="embed-async", texts=["one text"], input_type="search_query",
                            embedding_types=["float"])

    asyncio.run(main())
    spans = _by_name(w.spans(2, scope="neatlogs"))
    a = spans["embeddings embed-v4"]["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "cohere"
    assert a[sc.EMBEDDING_MODEL_NAME] == "embed-v4"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "second"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == int(result.meta.billed_units.input_tokens)
    assert '"input_type": "search_document"' in a[sc.LLM_INVOCATION_PARAMETERS]
    b = spans["embeddings embed-async"]["attributes"]
    assert b[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "one text"


def test_api_errors_are_recorded_and_reraised_unchanged(memory, make) -> None:
    client = make()
    with pytest.raises(cohere.InternalServerError) as raised:
        client.chat(model="error-500", messages=USER)
    assert raised.value.status_code == 500 and raised.value.body == {"message": "stand-in error 500"}
    with pytest.raises(cohere.TooManyRequestsError):
        list(client.chat_stream(model="error-429", messages=USER))  # raised on the first read
    stream = client.chat_stream(model="command-drop", messages=USER)
    next(iter(stream))
    del stream
    gc.collect()
    spans = {s.name: s for s in memory.get_finished_spans()}
    for name, error_type in (("chat error-500", "InternalServerError"), ("chat error-429", "TooManyRequestsError")):
        assert spans[name].status.status_code.name == "ERROR"
        assert spans[name].attributes[sc.ERROR_TYPE] == error_type
        assert [e.name for e in spans[name].events] == ["exception"]
    assert spans["chat command-drop"].attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_requests_carry_the_same_headers_traced_and_untraced(wire, standin, make) -> None:
    def headers_of(model: str) -> list[dict[str, str]]:
        client = make()
        client.chat(model=model, messages=USER)
        list(client.chat_stream(model=model, messages=USER))
        client.embed(model=model, texts=["text"], input_type="search_query", embedding_types=["float"])
        return [{"path": r["path"], **r["headers"]} for r in standin.requests[-3:]]

    untraced = headers_of("command-headers")
    w = wire(instrumentations=["cohere"])
    traced = headers_of("command-headers")
    assert len(w.spans(3, scope="neatlogs")) == 3
    assert traced == untraced


def test_patched_once_and_undone(memory, make) -> None:
    client = make()
    from neatlogs.instrumentation import cohere as instrumentation

    instrumentation.instrument(cohere)  # a second time: still one span per call
    client.chat(model="command-once", messages=USER)
    list(client.chat_stream(model="command-once-stream", messages=USER))
    instrumentation.uninstrument()
    make().chat(model="command-untraced", messages=USER)  # a client binds its methods when it is made
    assert [s.name for s in memory.get_finished_spans()] == ["chat command-once", "chat command-once-stream"]


def test_tool_call_arguments_fit_the_tools_schema_plain_and_streamed(memory, make) -> None:
    client = make()
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST}}]
    reply = client.chat(model="command-tools", messages=USER, tools=tools)
    [call] = reply.message.tool_calls
    assert call.function.name == "forecast"
    assert_fits(json.loads(call.function.arguments))
    pieces = [e.delta.message.tool_calls.function.arguments
              for e in client.chat_stream(model="command-tools-stream", messages=USER, tools=tools)
              if e.type == "tool-call-delta"]
    assert len(pieces) > 1
    assert_fits(json.loads("".join(pieces)))


def test_rerank_is_a_reranker_span_with_the_documents_in_and_out(wire, make, standin) -> None:
    w = wire(instrumentations=["cohere"])
    documents = ["Paris is in France", "Refunds take five days", "Orders ship in two days"]
    result = make().rerank(model="rerank-v3.5", query="how long do refunds take", documents=documents, top_n=2)

    async def main() -> None:
        aclient = cohere.AsyncClientV2(api_key="x", base_url=standin.base_url, max_retries=0)
        await aclient.rerank(model="rerank-async", query="ship", documents=documents)

    asyncio.run(main())
    spans = _by_name(w.spans(2, scope="neatlogs"))
    a = spans["rerank rerank-v3.5"]["attributes"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "RERANKER"
    assert (a[sc.RERANKER_QUERY], a[sc.RERANKER_MODEL_NAME], a[sc.RERANKER_TOP_K]) == \
        ("how long do refunds take", "rerank-v3.5", 2)
    assert [a[f"{sc.RERANKER_INPUT_DOCUMENTS}.{i}.{sc.DOCUMENT_CONTENT}"] for i in range(3)] == documents
    best = result.results[0]
    assert a[f"{sc.RERANKER_OUTPUT_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}"] == documents[best.index] == documents[1]
    assert a[f"{sc.RERANKER_OUTPUT_DOCUMENTS}.0.{sc.DOCUMENT_SCORE}"] == best.relevance_score
    assert a[f"{sc.RERANKER_OUTPUT_DOCUMENTS}.0.{sc.DOCUMENT_ID}"] == "1"
    assert f"{sc.RERANKER_OUTPUT_DOCUMENTS}.2.{sc.DOCUMENT_ID}" not in a  # top_n=2
    assert spans["rerank rerank-async"]["attributes"][f"{sc.RERANKER_OUTPUT_DOCUMENTS}.2.{sc.DOCUMENT_ID}"]


@pytest.mark.parametrize("settings", [{"capture_content": False}, {"mask": lambda text: text.replace("refund", "***")}])
def test_rerank_content_follows_the_policy_on_the_wire(wire, make, settings) -> None:
    w = wire(instrumentations=["cohere"], **settings)
    make().rerank(model="rerank-v3.5", query="my refund", documents=["a refund note", "other"])
    [span] = w.spans(1, scope="neatlogs")
    text = json.dumps(span["attributes"])
    assert "refund" not in text
    assert span["attributes"][f"{sc.RERANKER_OUTPUT_DOCUMENTS}.0.{sc.DOCUMENT_SCORE}"] > 0  # scores are not content
