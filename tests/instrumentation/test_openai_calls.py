"""Responses and embeddings, import order, idempotent patching and the instrumentation registry."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import openai
import pydantic

import neatlogs
from neatlogs import instrumentation
from neatlogs import semconv as sc
from neatlogs.instrumentation import openai as openai_instrumentation

USER = [{"role": "user", "content": "hello there"}]


def test_responses_create_plain_and_streamed(wire, client) -> None:
    w = wire()
    reply = client.responses.create(model="gpt-resp", input="what is up", instructions="be kind", temperature=0.5)
    events = list(client.responses.create(model="gpt-resp-stream", input=USER, stream=True))
    spans = {s["name"]: s for s in w.spans(2)}
    a = spans["responses gpt-resp"]["attributes"]
    assert spans["responses gpt-resp"]["kind"] == 3
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert a[sc.OPENAI_API_TYPE] == "responses"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_ROLE}"] == "system"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == "be kind"
    assert a[f"{sc.LLM_INPUT_MESSAGES}.1.{sc.MESSAGE_CONTENT}"] == "what is up"
    assert a[sc.OUTPUT_VALUE] == reply.output_text
    assert a[sc.GEN_AI_RESPONSE_ID] == reply.id
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == reply.usage.input_tokens
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == reply.usage.output_tokens
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS]) == {"temperature": 0.5}
    s = spans["responses gpt-resp-stream"]["attributes"]
    final = events[-1].response
    assert s[sc.OUTPUT_VALUE] == final.output_text
    assert s[sc.LLM_TOKEN_COUNT_TOTAL] == final.usage.total_tokens
    assert s[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["completed"]
    assert s[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0


class Weather(pydantic.BaseModel):
    sky: str


def test_responses_parse_and_async_stream(wire, client, async_client_factory) -> None:
    w = wire()
    parsed = client.responses.parse(model="gpt-rparse", input="sky?", text_format=Weather)
    assert parsed.output_parsed == Weather(sky="stand-in")

    async def main() -> str:
        async with async_client_factory() as aclient:
            stream = await aclient.responses.create(model="gpt-rasync", input="hi", stream=True)
            return [e async for e in stream][-1].response.output_text

    text = asyncio.run(main())
    spans = {s["name"]: s for s in w.spans(2)}
    assert json.loads(spans["responses gpt-rparse"]["attributes"][sc.OUTPUT_VALUE]) == {"sky": "stand-in"}
    assert spans["responses gpt-rasync"]["attributes"][sc.OUTPUT_VALUE] == text


def test_a_responses_conversation_is_the_session_of_a_call_that_starts_its_trace(client) -> None:
    from neatlogs import _testing

    memory = _testing.init_in_memory(instrumentations=["openai"], auto_session=True)
    client.responses.create(model="gpt-conv", input="hi", conversation="conv_alice")
    client.responses.create(model="gpt-conv-dict", input="hi", conversation={"id": "conv_bob"})

    @neatlogs.span(kind="AGENT", name="handle")
    def handle() -> None:  # a trace already in the run's session stays in it, its calls too
        client.responses.create(model="gpt-conv-nested", input="hi", conversation="conv_carol")

    handle()
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    assert spans["responses gpt-conv"][sc.SESSION_ID] == "conv_alice"
    assert spans["responses gpt-conv-dict"][sc.SESSION_ID] == "conv_bob"
    assert spans["responses gpt-conv-nested"][sc.GEN_AI_CONVERSATION_ID] == "conv_carol"
    assert spans["responses gpt-conv-nested"][sc.SESSION_ID] == spans["handle"][sc.SESSION_ID] != "conv_carol"


def test_embeddings_are_embedding_spans_without_vectors(wire, client) -> None:
    w = wire()
    result = client.embeddings.create(model="emb-small", input=["first text", "second"])
    [span] = w.spans(1)
    a = span["attributes"]
    assert span["name"] == "embeddings emb-small"
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[sc.EMBEDDING_MODEL_NAME] == "emb-small"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.1.{sc.EMBEDDING_TEXT}"] == "second"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == result.usage.prompt_tokens
    assert str(result.data[0].embedding[0]) not in json.dumps(a)


def test_client_made_before_init_is_traced(otlp_receiver, standin_model) -> None:
    early = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)
    early.chat.completions.create(model="gpt-early", messages=USER)  # before init: not traced
    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["openai"])
    early.chat.completions.create(model="gpt-early", messages=USER)
    neatlogs.flush()
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["chat gpt-early"]


def test_init_twice_and_instrument_twice_give_one_span_per_call(otlp_receiver, client) -> None:
    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["openai"])
    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["openai", "OpenAI"])
    openai_instrumentation.instrument(openai)
    openai_instrumentation.instrument(openai)
    client.chat.completions.create(model="gpt-once", messages=USER)
    for _ in client.chat.completions.create(model="gpt-once-stream", messages=USER, stream=True):
        pass
    neatlogs.flush()
    names = [s["name"] for s in otlp_receiver.wait_for(3, timeout=1.0)]
    assert sorted(names) == ["chat gpt-once", "chat gpt-once-stream"]


def test_uninstrument_restores_the_client(memory, client) -> None:
    create = openai.resources.chat.completions.Completions.create
    assert create.__neatlogs_original__
    instrumentation.disable_all()
    assert not hasattr(openai.resources.chat.completions.Completions.create, "__neatlogs_original__")
    client.chat.completions.create(model="gpt-off", messages=USER)
    assert not memory.get_finished_spans()


def test_unknown_name_warns_in_one_line_and_missing_library_is_quiet(capsys, monkeypatch) -> None:
    monkeypatch.setitem(instrumentation.REGISTRY, "nosuchlib", ("nosuchlib_xyz", "neatlogs.instrumentation.nosuch"))
    neatlogs.init(instrumentations=["opneai", "nosuchlib"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("neatlogs: unknown instrumentation 'opneai'")


def _run_program(code: str, standin_model, otlp_receiver) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(BASE_URL=standin_model.base_url, ENDPOINT=otlp_receiver.endpoint, NEATLOGS_HOME=os.getcwd())
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=60)


def test_init_never_imports_openai_and_patches_it_when_the_program_does(standin_model, otlp_receiver) -> None:
    result = _run_program(
        """
        import os, sys
        import neatlogs
        neatlogs.init(endpoint=os.environ["ENDPOINT"], instrumentations=["openai"])
        assert "openai" not in sys.modules, "init imported openai"
        assert "wrapt" not in sys.modules, "init imported wrapt"
        import openai
        assert "wrapt" not in sys.modules, "instrument() imported wrapt"
        client = openai.OpenAI(base_url=os.environ["BASE_URL"], api_key="x", max_retries=0)
        client.chat.completions.create(model="gpt-late-import", messages=[{"role": "user", "content": "hi"}])
        neatlogs.flush()
        """,
        standin_model, otlp_receiver,
    )
    assert result.returncode == 0, result.stderr
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["chat gpt-late-import"]


def test_openai_imported_before_init_is_patched(standin_model, otlp_receiver) -> None:
    result = _run_program(
        """
        import os
        import openai
        client = openai.OpenAI(base_url=os.environ["BASE_URL"], api_key="x", max_retries=0)
        client.embeddings.create(model="emb-first", input="warm")  # loads a resource before init
        import neatlogs
        neatlogs.init(endpoint=os.environ["ENDPOINT"], instrumentations=["openai"])
        client.embeddings.create(model="emb-after", input="hi")
        client.chat.completions.create(model="gpt-after", messages=[{"role": "user", "content": "hi"}])
        neatlogs.flush()
        """,
        standin_model, otlp_receiver,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(s["name"] for s in otlp_receiver.wait_for(2)) == ["chat gpt-after", "embeddings emb-after"]
