"""The openai client beyond chat: legacy completions, moderations, and naming the provider from where calls go."""

from __future__ import annotations

import openai
import pytest

from neatlogs import semconv as sc
from neatlogs.instrumentation.openai._endpoints import provider_names

USER = "tell me a story"


def test_legacy_completion_plain_and_streamed(memory, client) -> None:
    reply = client.completions.create(model="gpt-3.5-turbo-instruct", prompt=USER, max_tokens=20)
    chunks = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt=[USER], stream=True,
                                            stream_options={"include_usage": True}))
    plain, streamed = memory.get_finished_spans()
    for span in (plain, streamed):
        a = span.attributes
        assert span.name == "text_completion gpt-3.5-turbo-instruct"
        assert a[sc.GEN_AI_OPERATION_NAME] == "text_completion" and a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
        assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_ROLE}"] == "user"
        assert a[f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == USER
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
        assert a[sc.LLM_TOKEN_COUNT_TOTAL] == reply.usage.total_tokens
    assert plain.attributes[sc.OUTPUT_VALUE] == reply.choices[0].text
    assert '"max_tokens": 20' in plain.attributes[sc.LLM_INVOCATION_PARAMETERS]
    assert streamed.attributes[sc.OUTPUT_VALUE] == "".join(c.choices[0].text for c in chunks if c.choices)
    assert streamed.attributes[sc.NEATLOGS_FIRST_CHUNK_MS] >= 0


def test_moderation_is_a_guardrail_span(memory, client) -> None:
    result = client.moderations.create(model="omni-moderation-latest", input=["hello", "I will attack"])
    [span] = memory.get_finished_spans()
    a = span.attributes
    assert span.name == "moderations omni-moderation-latest"
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "GUARDRAIL" and a[sc.GEN_AI_OPERATION_NAME] == "moderations"
    assert a[sc.INPUT_VALUE] == '["hello", "I will attack"]'
    assert [r.flagged for r in result.results] == [False, True]
    assert a[sc.OUTPUT_VALUE] == ('[{"flagged": false, "categories": []}, '
                                  '{"flagged": true, "categories": ["violence"]}]')


def test_the_provider_is_where_the_call_goes(memory, standin_model) -> None:
    root = standin_model.base_url.removesuffix("/v1")
    azure = openai.AzureOpenAI(azure_endpoint=root, api_key="x", api_version="2024-10-21", max_retries=0)
    azure.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "hi"}])
    plain = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)
    plain.chat.completions.create(model="local", messages=[{"role": "user", "content": "hi"}])
    azure_span, local_span = memory.get_finished_spans()
    assert azure_span.attributes[sc.GEN_AI_PROVIDER_NAME] == "azure.ai.openai"
    assert (azure_span.attributes[sc.LLM_PROVIDER], azure_span.attributes[sc.LLM_SYSTEM]) == ("azure", "openai")
    assert local_span.attributes[sc.GEN_AI_PROVIDER_NAME] == "openai"
    port = int(standin_model.base_url.rsplit(":", 1)[1].split("/")[0])
    for span in (azure_span, local_span):
        assert (span.attributes[sc.SERVER_ADDRESS], span.attributes[sc.SERVER_PORT]) == ("127.0.0.1", port)


@pytest.mark.parametrize(("client_class", "host", "port", "names"), [
    ("OpenAI", "api.openai.com", 443, ("openai", "openai")),
    ("AsyncAzureOpenAI", "x.openai.azure.com", 443, ("azure.ai.openai", "azure")),
    ("OpenAI", "openrouter.ai", 443, ("openrouter", "openrouter")),
    ("OpenAI", "api.together.xyz", 443, ("together_ai", "together_ai")),
    ("OpenAI", "api.deepseek.com", 443, ("deepseek", "deepseek")),
    ("OpenAI", "api.groq.com", 443, ("groq", "groq")),
    ("OpenAI", "generativelanguage.googleapis.com", 443, ("gcp.gemini", "google")),
    ("OpenAI", "us-central1-aiplatform.googleapis.com", 443, ("gcp.vertex_ai", "google")),
    ("OpenAI", "bedrock-runtime.us-west-2.amazonaws.com", 443, ("aws.bedrock", "aws")),
    ("OpenAI", "bedrock-mantle.eu-west-1.api.aws", 443, ("aws.bedrock", "aws")),
    ("OpenAI", "api.cerebras.ai", 443, ("cerebras", "cerebras")),
    ("OpenAI", "router.huggingface.co", 443, ("huggingface", "huggingface")),
    ("OpenAI", "localhost", 11434, ("ollama", "ollama")),
    ("OpenAI", "10.0.0.5", 8000, ("openai", "openai")),  # vLLM and the like: server.address tells
])
def test_provider_names_by_client_and_host(client_class, host, port, names) -> None:
    assert provider_names(client_class, host, port) == names
