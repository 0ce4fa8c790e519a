"""litellm as programs call it (``completion``, ``acompletion``, streamed, ``embedding``) against the stand-in model.

litellm is pointed at the demo's stand-in: ``openai/...`` models at its OpenAI routes,
``anthropic/...`` models at its Anthropic Messages route. ``tests/conftest.py`` keeps
litellm from fetching its catalogs from the internet.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import pytest

from neatlogs import _testing
from neatlogs import semconv as sc

litellm = pytest.importorskip("litellm")
litellm.suppress_debug_info = True

KEY = "sk-litellm-secret-9876"
USER = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello litellm"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]


@pytest.fixture
def memory():
    """neatlogs exporting to memory, instrumenting litellm and the openai client litellm calls."""
    return _testing.init_in_memory(instrumentations=["litellm", "openai"])


@pytest.fixture
def openai_kwargs(standin_model) -> dict:
    return {"api_base": standin_model.base_url, "api_key": KEY, "max_retries": 0}


@pytest.fixture
def anthropic_kwargs(standin_model) -> dict:
    return {"api_base": standin_model.base_url.removesuffix("/v1"), "api_key": KEY, "max_tokens": 64}


def test_completion_plain_on_the_wire(wire, openai_kwargs) -> None:
    w = wire(instrumentations=["litellm"])
    reply = litellm.completion(model="openai/gpt-test", messages=USER, temperature=0.5, **openai_kwargs)
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat openai/gpt-test"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == a[sc.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[sc.SERVER_ADDRESS] == "127.0.0.1" and a[sc.SERVER_PORT] > 0  # the endpoint the program chose
    assert a[sc.GEN_AI_REQUEST_MODEL] == "openai/gpt-test"  # as asked
    assert a[sc.GEN_AI_RESPONSE_MODEL] == a[sc.LLM_MODEL_NAME] == "gpt-test"  # as answered
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_ROLE}"] == "system"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.1.{sc.MESSAGE_CONTENT}"] == "hello litellm"
    assert a[sc.OUTPUT_VALUE] == reply.choices[0].message.content
    assert a[f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_ROLE}"] == "assistant"
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == reply.usage.prompt_tokens
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == reply.usage.completion_tokens
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == reply.usage.total_tokens
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS]) == {"temperature": 0.5, "max_retries": 0}
    assert KEY not in w.raw_text()  # the api key never reaches a span


def test_positional_arguments_and_from_import(memory, openai_kwargs) -> None:
    from litellm import completion, embedding

    completion("openai/gpt-positional", [{"role": "user", "content": "hi"}], **openai_kwargs)
    embedding("openai/emb-positional", ["one"], **openai_kwargs)
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    assert spans["chat openai/gpt-positional"][f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "hi"
    assert spans["embeddings openai/emb-positional"][f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "one"


def test_a_name_bound_before_instrumenting_keeps_the_original(openai_kwargs) -> None:
    early = litellm.completion  # bound while litellm is not instrumented (reset undid it)
    assert not hasattr(early, "__neatlogs_original__")
    memory = _testing.init_in_memory(instrumentations=["litellm"])
    late = litellm.completion
    assert late.__neatlogs_original__ is early
    early(model="openai/gpt-early", messages=USER, **openai_kwargs)
    late(model="openai/gpt-late", messages=USER, **openai_kwargs)
    assert [s.name for s in memory.get_finished_spans()] == ["chat openai/gpt-late"]


def test_from_import_in_a_program_instrumented_at_import(standin_model, otlp_receiver) -> None:
    """The engine patches litellm as the program imports it: its ``from litellm import completion`` is traced."""
    program = textwrap.dedent(f"""
        import neatlogs
        neatlogs.init(endpoint={otlp_receiver.endpoint!r}, instrumentations=["litellm"])
        from litellm import completion
        assert hasattr(completion, "__neatlogs_original__")
        completion(model="openai/gpt-program", messages=[{{"role": "user", "content": "hi"}}],
                   api_base={standin_model.base_url!r}, api_key="x", max_retries=0)
        neatlogs.shutdown()
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [s["name"] for s in otlp_receiver.spans() if s["scope"] == "neatlogs"] == ["chat openai/gpt-program"]


def test_tool_calls_both_ways_plain_and_streamed(memory, openai_kwargs) -> None:
    reply = litellm.completion(model="openai/gpt-tools", messages=USER, tools=TOOLS, **openai_kwargs)
    call = reply.choices[0].message.tool_calls[0]
    history = [*USER, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
               {"role": "tool", "tool_call_id": call.id, "content": "found it"}]
    litellm.completion(model="openai/gpt-tool-result", messages=history, tools=TOOLS, **openai_kwargs)
    chunks = list(litellm.completion(model="openai/gpt-tools-stream", messages=USER, tools=TOOLS, stream=True,
                                     **openai_kwargs))
    assert chunks
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    for name in ("chat openai/gpt-tools", "chat openai/gpt-tools-stream"):
        a = spans[name]
        prefix = f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0."
        assert a[prefix + sc.TOOL_CALL_FUNCTION_NAME] == "lookup", name
        assert a[prefix + sc.TOOL_CALL_ID] == call.id
        assert json.loads(a[prefix + sc.TOOL_CALL_FUNCTION_ARGUMENTS]) == {"query": "stand-in"}
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    a = spans["chat openai/gpt-tool-result"]
    assert a[f"{sc.LLM_INPUT_MESSAGES}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.3.{sc.MESSAGE_ROLE}"] == "tool"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.3.{sc.MESSAGE_TOOL_CALL_ID}"] == call.id
    assert a[f"{sc.LLM_INPUT_MESSAGES}.3.{sc.MESSAGE_CONTENT}"] == "found it"


def test_streams_sync_and_async(wire, openai_kwargs) -> None:
    w = wire(instrumentations=["litellm"])
    usage = {"include_usage": True}
    chunks = list(litellm.completion(model="openai/gpt-stream", messages=USER, stream=True, stream_options=usage,
                                     **openai_kwargs))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    async def main() -> str:
        stream = await litellm.acompletion(model="openai/gpt-astream", messages=USER, stream=True,
                                           stream_options=usage, **openai_kwargs)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        reply = await litellm.acompletion(model="openai/gpt-async", messages=USER, **openai_kwargs)
        assert reply.choices[0].message.content
        early = await litellm.acompletion(model="openai/gpt-early-exit", messages=USER, stream=True, **openai_kwargs)
        async with early:
            async for _ in early:
                break
        return "".join(parts)

    async_text = asyncio.run(main())
    spans = {s["name"]: s["attributes"] for s in w.spans(4, scope="neatlogs")}
    for name, expected in (("chat openai/gpt-stream", text), ("chat openai/gpt-astream", async_text)):
        a = spans[name]
        assert a[sc.OUTPUT_VALUE] == expected == chunks_text(chunks), name
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
        assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
        assert a[sc.LLM_TOKEN_COUNT_COMPLETION] > 0 and a[sc.LLM_TOKEN_COUNT_PROMPT] > 0
        assert sc.NEATLOGS_STREAM_INCOMPLETE not in a
    assert spans["chat openai/gpt-async"][sc.LLM_TOKEN_COUNT_TOTAL] > 0
    assert spans["chat openai/gpt-early-exit"][sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_responses_plain_streamed_and_async(wire, openai_kwargs) -> None:
    w = wire(instrumentations=["litellm", "openai"])
    reply = litellm.responses(model="openai/gpt-resp", input="hello responses", instructions="be brief",
                              **openai_kwargs)
    events = list(litellm.responses(model="openai/gpt-resp-stream", input="stream it", stream=True, **openai_kwargs))
    streamed = "".join(e.delta for e in events if getattr(e, "type", "") == "response.output_text.delta")

    async def main() -> str:
        answer = await litellm.aresponses(input="async responses", model="openai/gpt-resp-async", **openai_kwargs)
        return answer.output[0].content[0].text

    async_text = asyncio.run(main())
    spans = {s["name"]: s["attributes"] for s in w.spans(3)}  # one each: litellm's, never the client's beside it
    a = spans["responses openai/gpt-resp"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM" and a[sc.LLM_PROVIDER] == "openai"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.1.{sc.MESSAGE_CONTENT}"] == "hello responses"
    assert a[sc.OUTPUT_VALUE] == reply.output[0].content[0].text
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] > 0 and a[sc.SERVER_ADDRESS] == "127.0.0.1"
    assert KEY not in json.dumps(a)
    assert spans["responses openai/gpt-resp-stream"][sc.OUTPUT_VALUE] == streamed
    assert spans["responses openai/gpt-resp-async"][sc.OUTPUT_VALUE] == async_text


def chunks_text(chunks: list) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_api_error_recorded_and_reraised_unchanged(memory, openai_kwargs) -> None:
    with pytest.raises(litellm.InternalServerError) as raised:
        litellm.completion(model="openai/error-500", messages=USER, **openai_kwargs)

    async def main() -> None:
        await litellm.acompletion(model="openai/error-429", messages=USER, **openai_kwargs)

    with pytest.raises(litellm.RateLimitError):
        asyncio.run(main())
    spans = {s.name: s for s in memory.get_finished_spans()}
    span = spans["chat openai/error-500"]
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[sc.ERROR_TYPE] == type(raised.value).__qualname__ == "InternalServerError"
    assert [e.name for e in span.events] == ["exception"]
    assert spans["chat openai/error-429"].attributes[sc.ERROR_TYPE] == "RateLimitError"


def test_anthropic_through_litellm(memory, anthropic_kwargs) -> None:
    from neatlogs_cli.demo.standin_model import CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, THINKING_TEXT

    reply = litellm.completion(model="anthropic/claude-cache-think", messages=USER, **anthropic_kwargs)
    list(litellm.completion(model="anthropic/claude-think-stream", messages=USER, stream=True, **anthropic_kwargs))
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    a = spans["chat anthropic/claude-cache-think"]
    assert a[sc.GEN_AI_PROVIDER_NAME] == a[sc.LLM_PROVIDER] == "anthropic"
    assert a[sc.GEN_AI_REQUEST_MODEL] == "anthropic/claude-cache-think"
    assert a[sc.GEN_AI_RESPONSE_MODEL] == "claude-cache-think"
    assert a[sc.OUTPUT_VALUE] == reply.choices[0].message.content
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == reply.usage.prompt_tokens
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] >= CACHE_READ_TOKENS + CACHE_WRITE_TOKENS  # litellm counts the cached ones
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == a[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == CACHE_READ_TOKENS
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] == CACHE_WRITE_TOKENS
    for name in ("chat anthropic/claude-cache-think", "chat anthropic/claude-think-stream"):
        assert spans[name][sc.NEATLOGS_REASONING_TEXT] == THINKING_TEXT, name
        assert spans[name][sc.NEATLOGS_REASONING_REDACTED_BLOCKS] == 1
        assert THINKING_TEXT not in spans[name][sc.OUTPUT_VALUE]


def test_embeddings_sync_and_async(memory, openai_kwargs) -> None:
    result = litellm.embedding(model="openai/emb-test", input=["alpha", "beta"], **openai_kwargs)

    async def main() -> None:
        await litellm.aembedding(model="openai/emb-async", input="gamma", **openai_kwargs)

    asyncio.run(main())
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    a = spans["embeddings openai/emb-test"]
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "beta"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == result.usage.prompt_tokens
    assert spans["embeddings openai/emb-async"][f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "gamma"


def test_capture_off_keeps_content_off(wire, openai_kwargs) -> None:
    w = wire(instrumentations=["litellm"], capture_content=False)
    litellm.completion(model="openai/gpt-private", messages=USER, **openai_kwargs)
    litellm.embedding(model="openai/emb-private", input=["hello litellm"], **openai_kwargs)
    w.spans(2, scope="neatlogs")
    assert "hello litellm" not in w.raw_text() and "be brief" not in w.raw_text()


def test_litellm_calling_an_instrumented_client_is_one_span(memory, openai_kwargs) -> None:
    """litellm sends OpenAI-format calls through the openai client: with both instrumented, one span per call."""
    openai_kwargs = {**openai_kwargs, "max_retries": 0}
    litellm.completion(model="openai/gpt-nested", messages=USER, **openai_kwargs)
    stream = litellm.completion(model="openai/gpt-nested-stream", messages=USER, stream=True, **openai_kwargs)
    for _ in stream:
        pass

    async def main() -> None:
        await litellm.acompletion(model="openai/gpt-nested-async", messages=USER, **openai_kwargs)
        async for _ in await litellm.acompletion(model="openai/gpt-nested-astream", messages=USER, stream=True,
                                                 **openai_kwargs):
            pass
        await litellm.aembedding(model="openai/emb-nested", input="x", **openai_kwargs)

    asyncio.run(main())
    spans = memory.get_finished_spans()
    assert sorted(s.name for s in spans) == sorted([
        "chat openai/gpt-nested", "chat openai/gpt-nested-stream", "chat openai/gpt-nested-async",
        "chat openai/gpt-nested-astream", "embeddings openai/emb-nested"])
    assert {s.attributes[sc.GEN_AI_REQUEST_MODEL].split("/")[0] for s in spans} == {"openai"}


def test_provider_names_follow_the_specs() -> None:
    from neatlogs.instrumentation.litellm._extract import provider_names

    assert provider_names("openai") == ("openai", "openai")
    assert provider_names("vertex_ai") == ("gcp.vertex_ai", "google")
    assert provider_names("gemini") == ("gcp.gemini", "google")
    assert provider_names("bedrock") == ("aws.bedrock", "aws")
    assert provider_names("mistral") == ("mistral_ai", "mistralai")
    assert provider_names("azure") == ("azure.ai.openai", "azure")
    assert provider_names("openrouter") == ("openrouter", "openrouter")  # neither spec lists it
    assert provider_names(None) == ("litellm", "litellm")
