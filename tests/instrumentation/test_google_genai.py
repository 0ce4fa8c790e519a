"""google-genai as users call it: the real client, in Gemini API and Vertex AI modes, against the stand-in Gemini."""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Iterator

import pytest

from neatlogs import _testing
from neatlogs import semconv as sc

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402
from standins.google_genai import GeminiStandin  # noqa: E402
from standins.tool_schema import FORECAST, assert_fits  # noqa: E402

IN = sc.LLM_INPUT_MESSAGES
OUT = sc.LLM_OUTPUT_MESSAGES


def _key(prefix: str, index: int, *rest: str) -> str:
    return ".".join([prefix, str(index), *rest])


@pytest.fixture(scope="module")
def gemini() -> Iterator[GeminiStandin]:
    with GeminiStandin() as server:
        yield server


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Google environment may steer the client elsewhere (mode, keys, project, credentials)."""
    for name in ("GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_PROJECT",
                 "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_GENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)


def _client(server: GeminiStandin, **options: Any) -> Any:
    return genai.Client(api_key="x", http_options=types.HttpOptions(base_url=server.base_url), **options)


def _vertex_client(server: GeminiStandin) -> Any:
    """Vertex AI with a project and location: a ready-made OAuth token stands in for Google's auth."""
    from google.oauth2.credentials import Credentials

    return genai.Client(vertexai=True, project="proj", location="us-central1", credentials=Credentials(token="t"),
                        http_options=types.HttpOptions(base_url=server.base_url))


def _spans(memory: Any) -> dict[str, Any]:
    return {s.name: s for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"}


@pytest.fixture
def memory() -> Any:
    return _testing.init_in_memory(instrumentations=["google_genai"])


WEATHER = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather", description="weather of a city",
    parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}),
)])


def test_generate_content_on_the_wire(wire, gemini) -> None:
    w = wire(instrumentations=["google_genai"])
    client = _client(gemini)
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="weather in Paris?")]),
        {"role": "model", "parts": [{"function_call": {"id": "fc_1", "name": "get_weather", "args": {"city": "Paris"}}}]},
        types.Content(role="user", parts=[
            types.Part.from_function_response(name="get_weather", response={"result": "sunny"}),
            types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png"),
            types.Part.from_text(text="and now?"),
        ]),
    ]
    config = types.GenerateContentConfig(system_instruction="be brief", temperature=0.2, max_output_tokens=64)
    reply = client.models.generate_content(model="gemini-test", contents=history, config=config)
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "generate_content gemini-test"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.GEN_AI_OPERATION_NAME] == "generate_content"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert a[sc.LLM_PROVIDER] == "google" and sc.LLM_SYSTEM not in a
    assert a[sc.GEN_AI_REQUEST_MODEL] == "gemini-test"
    assert a[sc.GEN_AI_RESPONSE_MODEL] == reply.model_version == "gemini-test-001"
    assert a[_key(IN, 0, sc.MESSAGE_ROLE)] == "system" and a[_key(IN, 0, sc.MESSAGE_CONTENT)] == "be brief"
    assert a[_key(IN, 1, sc.MESSAGE_CONTENT)] == "weather in Paris?"
    assert a[_key(IN, 2, sc.MESSAGE_ROLE)] == "assistant"
    assert a[_key(IN, 2, sc.MESSAGE_TOOL_CALLS, "0", sc.TOOL_CALL_ID)] == "fc_1"
    assert a[_key(IN, 2, sc.MESSAGE_TOOL_CALLS, "0", sc.TOOL_CALL_FUNCTION_NAME)] == "get_weather"
    assert a[_key(IN, 2, sc.MESSAGE_TOOL_CALLS, "0", sc.TOOL_CALL_FUNCTION_ARGUMENTS)] == '{"city": "Paris"}'
    assert a[_key(IN, 3, sc.MESSAGE_ROLE)] == "tool"
    assert a[_key(IN, 3, sc.MESSAGE_CONTENT)] == '{"result": "sunny"}'
    assert a[_key(IN, 4, sc.MESSAGE_ROLE)] == "user"
    assert a[_key(IN, 4, sc.MESSAGE_CONTENT)] == '{"inline_data": {"mime_type": "image/png"}}\nand now?'
    assert a[_key(OUT, 0, sc.MESSAGE_ROLE)] == "assistant"
    assert a[sc.OUTPUT_VALUE] == a[_key(OUT, 0, sc.MESSAGE_CONTENT)] == reply.text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["STOP"]
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.response_id
    usage = reply.usage_metadata
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == usage.prompt_token_count
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == a[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == usage.candidates_token_count
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == usage.total_token_count
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == 0
    assert a[sc.LLM_INVOCATION_PARAMETERS] == '{"max_output_tokens": 64, "temperature": 0.2}'
    assert "be brief" not in a[sc.LLM_INVOCATION_PARAMETERS]
    assert sc.NEATLOGS_FIRST_CHUNK_MS not in a


def test_tool_call_reply_plain_and_streamed(memory, gemini) -> None:
    client = _client(gemini)
    config = types.GenerateContentConfig(tools=[WEATHER])
    reply = client.models.generate_content(model="gemini-tools", contents="weather in Rome?", config=config)
    assert reply.function_calls[0].name == "get_weather"
    chunks = list(client.models.generate_content_stream(model="gemini-tools-stream", contents=["weather", "Rome?"],
                                                        config=config))
    assert chunks[-1].function_calls[0].name == "get_weather"
    spans = _spans(memory)
    for name in ("generate_content gemini-tools", "generate_content gemini-tools-stream"):
        a = spans[name].attributes
        assert a[_key(OUT, 0, sc.MESSAGE_TOOL_CALLS, "0", sc.TOOL_CALL_FUNCTION_NAME)] == "get_weather"
        assert a[_key(OUT, 0, sc.MESSAGE_TOOL_CALLS, "0", sc.TOOL_CALL_FUNCTION_ARGUMENTS)] == '{"city": "stand-in"}'
        assert '"name": "get_weather"' in a[sc.OUTPUT_VALUE]
        assert a[sc.LLM_INVOCATION_PARAMETERS] == '{"tools": ["get_weather"]}'
    # A list of strings is one user turn, as the client sends it.
    assert spans["generate_content gemini-tools-stream"].attributes[_key(IN, 0, sc.MESSAGE_CONTENT)] == "weather\nRome?"


def test_streamed_sync_and_async(wire, gemini) -> None:
    w = wire(instrumentations=["google_genai"])
    client = _client(gemini)
    chunks = list(client.models.generate_content_stream(model="gemini-stream", contents="hello stream"))
    text = "".join(c.text for c in chunks)

    async def main() -> str:
        async with _client(gemini).aio as aclient:
            reply = await aclient.models.generate_content(model="gemini-async", contents="hello async")
            assert reply.text
            stream = await aclient.models.generate_content_stream(model="gemini-async-stream", contents="hi")
            pieces = [c.text async for c in stream]
            early = await aclient.models.generate_content_stream(model="gemini-async-early", contents="hi")
            async for _ in early:
                break
            await early.aclose()
            return "".join(pieces)

    async_text = asyncio.run(main())
    spans = {s["name"]: s for s in w.spans(4, scope="neatlogs")}
    a = spans["generate_content gemini-stream"]["attributes"]
    assert a[sc.OUTPUT_VALUE] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["STOP"]
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == chunks[-1].usage_metadata.candidates_token_count
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == chunks[-1].usage_metadata.prompt_token_count
    assert a[sc.GEN_AI_RESPONSE_ID] == chunks[0].response_id
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
    assert spans["generate_content gemini-stream"]["status_code"] == 1
    assert spans["generate_content gemini-async"]["status_code"] == 1
    b = spans["generate_content gemini-async-stream"]["attributes"]
    assert b[sc.OUTPUT_VALUE] == async_text and b[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
    assert spans["generate_content gemini-async-early"]["attributes"][sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_chat_turns_carry_the_history_one_span_each(memory, gemini) -> None:
    client = _client(gemini)
    chat = client.chats.create(model="gemini-chat", config=types.GenerateContentConfig(system_instruction="be kind"))
    first = chat.send_message("my name is Ada")
    streamed = "".join(c.text for c in chat.send_message_stream("what is my name?"))

    async def main() -> None:
        achat = client.aio.chats.create(model="gemini-achat", history=chat.get_history())
        await achat.send_message("third")
        async for _ in await achat.send_message_stream("fourth"):
            pass

    asyncio.run(main())
    spans = [s for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"]
    assert [s.name for s in spans] == ["generate_content gemini-chat"] * 2 + ["generate_content gemini-achat"] * 2
    second = spans[1].attributes
    assert [second[_key(IN, i, sc.MESSAGE_ROLE)] for i in range(4)] == ["system", "user", "assistant", "user"]
    assert second[_key(IN, 1, sc.MESSAGE_CONTENT)] == "my name is Ada"
    assert second[_key(IN, 2, sc.MESSAGE_CONTENT)] == first.text
    assert second[_key(IN, 3, sc.MESSAGE_CONTENT)] == "what is my name?"
    assert second[sc.OUTPUT_VALUE] == streamed
    assert "automatic_function_calling" not in second[sc.LLM_INVOCATION_PARAMETERS]
    # The history the chat sends: a streamed turn is kept as one model content per chunk.
    fourth = spans[3].attributes
    roles = [v for k, v in sorted(fourth.items()) if k.startswith(IN) and k.endswith(sc.MESSAGE_ROLE)]
    assert fourth[_key(IN, len(roles) - 1, sc.MESSAGE_CONTENT)] == "fourth"
    assert fourth[_key(IN, len(roles) - 3, sc.MESSAGE_CONTENT)] == "third"
    assert fourth[sc.NEATLOGS_FIRST_CHUNK_MS] > 0


def test_automatic_function_calling_is_one_span(memory, gemini) -> None:
    import google.genai

    if int(google.genai.__version__.split(".")[0]) < 3:
        pytest.skip(f"google-genai {google.genai.__version__} (the newest for this Python) calls no function "
                    "against the stand-in's reply")
    calls = []

    def get_weather(query: str) -> str:
        """Weather of a place (the stand-in fills ``query`` from the function's schema)."""
        calls.append(query)
        return "sunny"

    client = _client(gemini)
    sent = len(gemini.requests)
    reply = client.models.generate_content(model="gemini-afc", contents="weather in Oslo?",
                                           config=types.GenerateContentConfig(tools=[get_weather]))
    assert calls == ["stand-in"] and reply.text
    assert len(gemini.requests) == sent + 2  # the call, then the function's result
    [span] = _spans(memory).values()
    assert span.attributes[sc.OUTPUT_VALUE] == reply.text
    assert span.attributes[sc.LLM_INVOCATION_PARAMETERS] == '{"tools": ["get_weather"]}'


def test_embed_content_gemini_and_vertex(memory, gemini) -> None:
    # The client closes its connections when it is collected: keep each one while it is used.
    client, vertex = _client(gemini), _vertex_client(gemini)
    client.models.embed_content(model="text-embedding-004", contents=["first text", "second"],
                                config={"output_dimensionality": 8})
    vertex.models.embed_content(model="text-embedding-005", contents="vertex text")

    async def main() -> None:
        await client.aio.models.embed_content(model="text-embedding-async", contents="async text")

    asyncio.run(main())
    spans = _spans(memory)
    a = spans["embeddings text-embedding-004"].attributes
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert a[sc.EMBEDDING_MODEL_NAME] == "text-embedding-004"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "first text"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "second"
    assert a[sc.LLM_INVOCATION_PARAMETERS] == '{"output_dimensionality": 8}'
    v = spans["embeddings text-embedding-005"].attributes
    assert v[sc.GEN_AI_PROVIDER_NAME] == "gcp.vertex_ai" and v[sc.LLM_SYSTEM] == "vertexai"
    assert v[sc.LLM_TOKEN_COUNT_PROMPT] == 2  # from the per-embedding statistics of :predict
    assert spans["embeddings text-embedding-async"].attributes[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"]
    assert gemini.requests[-2]["path"].endswith("/publishers/google/models/text-embedding-005:predict")


def test_vertex_mode_names_the_provider(memory, gemini) -> None:
    vertex = _vertex_client(gemini)
    vertex.models.generate_content(model="gemini-vertex", contents="hi vertex")
    list(vertex.models.generate_content_stream(model="gemini-vertex-stream", contents="hi"))
    assert gemini.requests[-1]["path"] == (
        "/v1beta1/projects/proj/locations/us-central1/publishers/google/models/gemini-vertex-stream"
        ":streamGenerateContent?alt=sse")
    # Express mode: Vertex AI with an API key, no project.
    express = genai.Client(vertexai=True, api_key="x", http_options=types.HttpOptions(base_url=gemini.base_url))
    express.models.generate_content(model="gemini-express", contents="hi")
    assert gemini.requests[-1]["path"] == "/v1beta1/publishers/google/models/gemini-express:generateContent"
    client = _client(gemini)
    client.models.generate_content(model="gemini-api", contents="hi")
    spans = _spans(memory)
    for name in ("gemini-vertex", "gemini-vertex-stream", "gemini-express"):
        a = spans[f"generate_content {name}"].attributes
        assert a[sc.GEN_AI_PROVIDER_NAME] == "gcp.vertex_ai"
        assert a[sc.LLM_PROVIDER] == "google" and a[sc.LLM_SYSTEM] == "vertexai"
    assert spans["generate_content gemini-api"].attributes[sc.GEN_AI_PROVIDER_NAME] == "gcp.gemini"


def test_api_errors_are_recorded_and_reraised_unchanged(memory, gemini) -> None:
    client = _client(gemini)
    with pytest.raises(errors.ServerError) as plain:
        client.models.generate_content(model="error-500", contents="hi")
    assert plain.value.code == 500
    with pytest.raises(errors.ClientError) as streamed:
        for _ in client.models.generate_content_stream(model="error-429", contents="hi"):
            pass
    assert streamed.value.code == 429

    async def main() -> None:
        with pytest.raises(errors.ClientError):
            await client.aio.models.generate_content(model="error-400", contents="hi")

    asyncio.run(main())
    spans = _spans(memory)
    assert set(spans) == {"generate_content error-500", "generate_content error-429", "generate_content error-400"}
    for span, error_type in zip(spans.values(), ("ServerError", "ClientError", "ClientError")):
        assert span.status.status_code.name == "ERROR"
        assert span.attributes[sc.ERROR_TYPE] == error_type
        assert [e.name for e in span.events] == ["exception"]


def test_dropped_stream_ends_incomplete(memory, gemini) -> None:
    client = _client(gemini)
    stream = client.models.generate_content_stream(model="gemini-drop", contents="hi")
    next(iter(stream))
    del stream
    gc.collect()
    [span] = _spans(memory).values()
    assert span.attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True
    assert span.attributes[sc.OUTPUT_VALUE] == "[stand-in"


def test_requests_carry_the_same_headers_traced_and_untraced(gemini) -> None:
    def headers(model: str) -> list[dict[str, str]]:
        client = _client(gemini)
        client.models.generate_content(model=model, contents="same words")
        list(client.models.generate_content_stream(model=model, contents="same words"))
        return [{k.lower(): v for k, v in r["headers"].items()} for r in gemini.requests[-2:]]

    untraced = headers("gemini-headers")
    memory = _testing.init_in_memory(instrumentations=["google_genai"])
    traced = headers("gemini-headers")
    assert len([s for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"]) == 2
    assert traced == untraced
    assert not any(k in h for h in traced for k in ("traceparent", "tracestate", "baggage"))


def test_patched_once_and_undone(memory, gemini) -> None:
    from neatlogs.instrumentation import google_genai as instrumentation

    instrumentation.instrument(genai)  # a second time: still one span per call
    client = _client(gemini)
    client.models.generate_content(model="gemini-once", contents="hi")
    instrumentation.uninstrument()
    client.models.generate_content(model="gemini-untraced", contents="hi")
    assert list(_spans(memory)) == ["generate_content gemini-once"]


def test_chat_stream_left_early_is_one_incomplete_span(memory, gemini) -> None:
    client = _client(gemini)
    chat = client.chats.create(model="gemini-chat-break")
    for _ in chat.send_message_stream("stop early"):
        break

    async def main() -> None:
        achat = client.aio.chats.create(model="gemini-achat-break")
        stream = await achat.send_message_stream("stop early")
        async for _ in stream:
            break
        await stream.aclose()

    asyncio.run(main())
    gc.collect()
    spans = [s for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"]
    assert sorted(s.name for s in spans) == ["generate_content gemini-achat-break", "generate_content gemini-chat-break"]
    for span in spans:
        assert span.attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True
        assert span.attributes[_key(IN, 0, sc.MESSAGE_CONTENT)] == "stop early"


@pytest.mark.parametrize("declaration", [
    types.FunctionDeclaration(name="forecast", parameters_json_schema=FORECAST),
    types.FunctionDeclaration(name="forecast", parameters=types.Schema(
        type="OBJECT", required=["city", "days"],
        properties={"city": types.Schema(type="STRING"), "days": types.Schema(type="INTEGER")})),
], ids=["json-schema", "openapi-schema"])
def test_tool_call_arguments_fit_the_tools_schema_plain_and_streamed(memory, gemini, declaration) -> None:
    client = _client(gemini)
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[declaration])])
    reply = client.models.generate_content(model="gemini-tools", contents="weather in Rome?", config=config)
    [call] = reply.function_calls
    assert call.name == "forecast"
    assert_fits(call.args)
    chunks = list(client.models.generate_content_stream(model="gemini-tools-stream", contents="weather in Rome?",
                                                        config=config))
    [streamed] = [c for chunk in chunks for c in chunk.function_calls or ()]
    assert_fits(streamed.args)
