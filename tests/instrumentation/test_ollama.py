"""ollama chat / generate / embed / embeddings through the real Client, AsyncClient and module functions against the Ollama stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from neatlogs import _testing
from neatlogs import semconv as sc

ollama = pytest.importorskip("ollama")
from standins.ollama import OllamaStandin  # noqa: E402
from standins.tool_schema import FORECAST, assert_fits  # noqa: E402

USER = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello ollama"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "look it up",
                                           "parameters": {"type": "object", "properties": {}}}}]
IN, OUT = sc.LLM_INPUT_MESSAGES, sc.LLM_OUTPUT_MESSAGES


@pytest.fixture(scope="module")
def standin() -> Iterator[OllamaStandin]:
    with OllamaStandin() as server:
        yield server


@pytest.fixture
def memory() -> Any:
    """neatlogs with the ollama instrumentation exporting synchronously to memory."""
    return _testing.init_in_memory(instrumentations=["ollama"])


def _port(standin: OllamaStandin) -> int:
    return int(standin.base_url.rsplit(":", 1)[1])


def test_chat_with_positional_arguments_and_tool_history_on_the_wire(wire, standin) -> None:
    w = wire(instrumentations=["ollama"])
    client = ollama.Client(host=standin.base_url)
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "lookup", "arguments": {"q": 1}}}]},
        {"role": "tool", "content": "found", "tool_name": "lookup"},
        {"role": "user", "content": "and now?"},
    ]
    reply = client.chat("llama3.2", iter(history), options={"temperature": 0.2})
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat llama3.2"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == a[sc.GEN_AI_PROVIDER_NAME] == "ollama"
    assert a[sc.SERVER_ADDRESS] == "127.0.0.1" and a[sc.SERVER_PORT] == _port(standin)
    assert a[sc.GEN_AI_REQUEST_MODEL] == "llama3.2"
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS])["options"] == {"temperature": 0.2}
    assert a[f"{IN}.0.{sc.MESSAGE_ROLE}"] == "system" and a[f"{IN}.0.{sc.MESSAGE_CONTENT}"] == "be brief"
    assert a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
    assert json.loads(a[f"{IN}.2.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"]) == {"q": 1}
    assert a[f"{IN}.3.{sc.MESSAGE_ROLE}"] == "tool" and a[f"{IN}.3.{sc.MESSAGE_CONTENT}"] == "found"
    assert a[f"{IN}.4.{sc.MESSAGE_CONTENT}"] == "and now?"
    # The one-shot iterator was read once, for the span and the request alike.
    assert len(standin.requests[-1]["body"]["messages"]) == 5
    assert a[f"{OUT}.0.{sc.MESSAGE_ROLE}"] == "assistant"
    assert a[f"{OUT}.0.{sc.MESSAGE_CONTENT}"] == a[sc.OUTPUT_VALUE] == reply.message.content
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == reply.prompt_eval_count
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == a[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == reply.eval_count
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == reply.prompt_eval_count + reply.eval_count


def test_tool_call_answered_plain_and_streamed(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    reply = client.chat(model="llama3.2", messages=USER, tools=TOOLS)
    assert reply.message.tool_calls[0].function.name == "lookup"
    parts = list(client.chat(model="llama3.2", messages=USER, tools=TOOLS, stream=True))
    assert any(p.message.tool_calls for p in parts)
    for span in memory.get_finished_spans():
        a = span.attributes
        assert a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] == "lookup"
        # The tool declares no properties, so the stand-in calls it with none.
        assert json.loads(a[f"{OUT}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}"]) == {}
        assert json.loads(a[sc.OUTPUT_VALUE])[0]["name"] == "lookup"
        assert "lookup" in a[sc.LLM_INVOCATION_PARAMETERS]


def test_chat_stream_text_tokens_and_time_to_first_line(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    parts = list(client.chat("llama3.2", USER, stream=True))
    text = "".join(p.message.content for p in parts)
    [span] = memory.get_finished_spans()
    a = span.attributes
    assert span.name == "chat llama3.2"
    assert a[sc.OUTPUT_VALUE] == a[f"{OUT}.0.{sc.MESSAGE_CONTENT}"] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == parts[-1].eval_count
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in a


def test_stream_broken_out_of_is_one_incomplete_span(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    stream = client.chat("llama3.2", USER, stream=True)
    for _part in stream:
        break
    stream.close()
    [span] = memory.get_finished_spans()
    assert span.attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_thinking_recorded_apart_from_the_reply_plain_and_streamed(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    reply = client.chat("qwen3", USER, think=True)
    parts = list(client.chat("qwen3", USER, think=True, stream=True))
    plain, stream = memory.get_finished_spans()
    assert plain.attributes[sc.NEATLOGS_REASONING_TEXT] == reply.message.thinking
    assert plain.attributes[sc.OUTPUT_VALUE] == reply.message.content
    assert stream.attributes[sc.NEATLOGS_REASONING_TEXT] == "".join(p.message.thinking or "" for p in parts)
    assert json.loads(stream.attributes[sc.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["type"] == "reasoning"


def test_generate_plain_and_streamed(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    reply = client.generate("llama3.2", "tell me", system="be brief", options={"num_predict": 20})
    streamed = "".join(p.response for p in client.generate(model="llama3.2", prompt="tell me", stream=True))
    plain, stream = memory.get_finished_spans()
    assert plain.name == stream.name == "text_completion llama3.2"
    a = plain.attributes
    assert a[sc.GEN_AI_OPERATION_NAME] == "text_completion"
    assert a[f"{IN}.0.{sc.MESSAGE_ROLE}"] == "system" and a[f"{IN}.1.{sc.MESSAGE_CONTENT}"] == "tell me"
    assert a[sc.INPUT_VALUE] == "tell me"
    assert a[sc.OUTPUT_VALUE] == reply.response
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == reply.prompt_eval_count
    assert stream.attributes[sc.OUTPUT_VALUE] == streamed
    assert stream.attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert stream.attributes[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0


def test_embed_and_embeddings_record_texts_never_vectors(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    reply = client.embed("nomic-embed-text", ["first text", "second"])
    client.embeddings(model="nomic-embed-text", prompt="one")
    embed, embeddings = memory.get_finished_spans()
    a = embed.attributes
    assert embed.name == "embeddings nomic-embed-text"
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "second"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == reply.prompt_eval_count
    assert str(reply.embeddings[0][0]) not in "".join(str(v) for v in a.values())
    assert embeddings.attributes[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "one"


def test_async_client_plain_streamed_and_generate(memory, standin) -> None:
    async def main() -> str:
        client = ollama.AsyncClient(host=standin.base_url)
        await client.chat("llama3.2", USER)
        text = ""
        async for part in await client.chat("llama3.2", USER, stream=True):
            text += part.message.content
        await client.generate("llama3.2", "yo")
        await client.embed(model="nomic-embed-text", input="x")
        return text

    text = asyncio.run(main())
    spans = memory.get_finished_spans()
    assert [s.name for s in spans] == ["chat llama3.2", "chat llama3.2", "text_completion llama3.2",
                                       "embeddings nomic-embed-text"]
    assert spans[1].attributes[sc.OUTPUT_VALUE] == text
    assert spans[1].attributes[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0


def test_response_error_recorded_and_reraised(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat("error-404", USER)
    assert raised.value.status_code == 404 and raised.value.error == "stand-in error 404"
    with pytest.raises(ollama.ResponseError):
        list(client.chat("error-500", USER, stream=True))
    for span in memory.get_finished_spans():
        assert span.status.status_code.name == "ERROR"
        assert span.attributes[sc.ERROR_TYPE] == "ResponseError"
        assert any(event.name == "exception" for event in span.events)


def test_module_functions_of_a_library_imported_before_init(standin, monkeypatch) -> None:
    # ollama is imported already (this module did): init() binds its functions to the patched methods.
    monkeypatch.setattr(ollama._client._client, "base_url", standin.base_url)
    memory = _testing.init_in_memory(instrumentations=["ollama"])
    ollama.chat("llama3.2", USER)
    ollama.generate(model="llama3.2", prompt="hi")
    assert [s.name for s in memory.get_finished_spans()] == ["chat llama3.2", "text_completion llama3.2"]


_PROGRAM = """
from neatlogs import _testing
memory = _testing.init_in_memory(instrumentations=["ollama"])
import ollama  # after init, as under neatlogs run
ollama.chat("llama3.2", [{"role": "user", "content": "hi"}])
list(ollama.chat("llama3.2", [{"role": "user", "content": "hi"}], stream=True))
ollama.embed("nomic-embed-text", "hi")
print([s.name for s in memory.get_finished_spans()])
"""


def test_module_functions_of_a_library_imported_after_init(standin) -> None:
    env = {**os.environ, "OLLAMA_HOST": standin.base_url}
    tests = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([tests, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _PROGRAM], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(["chat llama3.2", "chat llama3.2", "embeddings nomic-embed-text"])


def _headers(standin: OllamaStandin, call: Any) -> dict[str, str]:
    before = len(standin.requests)
    call()
    [request] = standin.requests[before:]
    return {key.lower(): value for key, value in request["headers"].items()}


def test_same_request_headers_traced_and_untraced(standin) -> None:
    client = ollama.Client(host=standin.base_url)
    untraced = _headers(standin, lambda: client.chat("llama3.2", USER))
    untraced_stream = _headers(standin, lambda: list(client.chat("llama3.2", USER, stream=True)))
    memory = _testing.init_in_memory(instrumentations=["ollama"])
    assert _headers(standin, lambda: client.chat("llama3.2", USER)) == untraced
    assert _headers(standin, lambda: list(client.chat("llama3.2", USER, stream=True))) == untraced_stream
    assert len(memory.get_finished_spans()) == 2


def test_tool_call_arguments_fit_the_tools_schema_plain_and_streamed(memory, standin) -> None:
    client = ollama.Client(host=standin.base_url)
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST}}]
    reply = client.chat(model="llama3.2", messages=USER, tools=tools)
    [call] = reply.message.tool_calls
    assert call.function.name == "forecast"
    assert_fits(dict(call.function.arguments))
    parts = list(client.chat(model="llama3.2", messages=USER, tools=tools, stream=True))
    [streamed] = [c for p in parts for c in p.message.tool_calls or ()]
    assert_fits(dict(streamed.function.arguments))
