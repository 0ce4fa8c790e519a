"""The OpenTelemetry GenAI keys every LLM span carries: messages in the spec's JSON structure, request parameters.

The GenAI schemas (semantic-conventions-genai ``model/gen-ai/gen-ai-*-messages.json``): messages of
``role`` and ``parts`` (``text``, ``tool_call`` with its arguments as an object, ``tool_call_response``),
``finish_reason`` on output messages, the system prompt an API takes apart as ``gen_ai.system_instructions``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from neatlogs import _testing
from neatlogs import semconv as sc

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


def _json(attributes: Any, key: str) -> Any:
    return json.loads(attributes[key])


def test_openai_chat_history_and_parameters(standin_model) -> None:
    import openai

    memory = _testing.init_in_memory(instrumentations=["openai"])
    client = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": 1}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
        {"role": "user", "content": "and now?"},
    ]
    client.chat.completions.create(model="gpt-g", messages=history, temperature=0.2, max_tokens=30, top_p=0.9,
                                   stop="END", seed=7, n=1, frequency_penalty=0.5, presence_penalty=0.25)
    client.chat.completions.create(model="gpt-g", messages=history[:2], tools=TOOLS)
    plain, tool = memory.get_finished_spans()
    a = plain.attributes
    assert _json(a, sc.GEN_AI_INPUT_MESSAGES) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},  # in the history: kept there
        {"role": "user", "parts": [{"type": "text", "content": "look it up"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"q": 1}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "response": "found", "id": "call_1"}]},
        {"role": "user", "parts": [{"type": "text", "content": "and now?"}]},
    ]
    assert sc.GEN_AI_SYSTEM_INSTRUCTIONS not in a
    [reply] = _json(a, sc.GEN_AI_OUTPUT_MESSAGES)
    assert reply["role"] == "assistant" and reply["finish_reason"] == "stop"
    assert reply["parts"] == [{"type": "text", "content": a[f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"]}]
    assert a[sc.GEN_AI_REQUEST_TEMPERATURE] == 0.2 and a[sc.GEN_AI_REQUEST_MAX_TOKENS] == 30
    assert a[sc.GEN_AI_REQUEST_TOP_P] == 0.9 and a[sc.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert a[sc.GEN_AI_REQUEST_SEED] == 7
    assert a[sc.GEN_AI_REQUEST_FREQUENCY_PENALTY] == 0.5 and a[sc.GEN_AI_REQUEST_PRESENCE_PENALTY] == 0.25
    assert sc.GEN_AI_REQUEST_CHOICE_COUNT not in a  # n=1: the spec records it only when not 1
    assert sc.LLM_FINISH_REASONS not in a and a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    [call] = _json(tool.attributes, sc.GEN_AI_OUTPUT_MESSAGES)
    assert call["parts"][0]["type"] == "tool_call" and call["parts"][0]["name"] == "lookup"
    assert isinstance(call["parts"][0]["arguments"], dict)
    assert call["finish_reason"] == "tool_calls"


def test_a_system_prompt_given_apart_is_the_system_instructions(standin_model) -> None:
    import anthropic
    import openai

    memory = _testing.init_in_memory(instrumentations=["openai", "anthropic"])
    client = anthropic.Anthropic(base_url=standin_model.base_url.removesuffix("/v1"), api_key="x", max_retries=0)
    client.messages.create(model="claude-g", max_tokens=20, system="be brief",
                           messages=[{"role": "user", "content": "hi"}], stop_sequences=["x", "y"])
    responses = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0).responses
    streamed = list(responses.create(model="gpt-r", instructions="be kind", input="hello", stream=True))
    messages, response = memory.get_finished_spans()
    a = messages.attributes
    assert _json(a, sc.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "be brief"}]
    assert _json(a, sc.GEN_AI_INPUT_MESSAGES) == [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert a[sc.GEN_AI_REQUEST_MAX_TOKENS] == 20
    assert a[sc.GEN_AI_REQUEST_STOP_SEQUENCES] == ("x", "y")
    # The Responses API is the spec's ``chat`` operation; openai.api.type says which API.
    r = response.attributes
    assert response.name == "responses gpt-r" and r[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert r[sc.OPENAI_API_TYPE] == "responses"
    assert _json(r, sc.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "be kind"}]
    [out] = _json(r, sc.GEN_AI_OUTPUT_MESSAGES)
    assert out["parts"][0]["content"] == streamed[-1].response.output_text


def test_settings_nested_in_a_clients_options_object() -> None:
    ollama = pytest.importorskip("ollama")
    from standins.ollama import OllamaStandin

    memory = _testing.init_in_memory(instrumentations=["ollama"])
    with OllamaStandin() as standin:
        ollama.Client(host=standin.base_url).chat(
            "llama3.2", [{"role": "user", "content": "hi"}],
            options={"temperature": 0.1, "num_predict": 12, "top_k": 3, "stop": ["\n"], "seed": 1})
    [span] = memory.get_finished_spans()
    a = span.attributes
    assert (a[sc.GEN_AI_REQUEST_TEMPERATURE], a[sc.GEN_AI_REQUEST_MAX_TOKENS], a[sc.GEN_AI_REQUEST_TOP_K]) == (0.1, 12, 3)
    assert a[sc.GEN_AI_REQUEST_STOP_SEQUENCES] == ("\n",) and a[sc.GEN_AI_REQUEST_SEED] == 1


def test_capture_off_keeps_the_parameters_and_drops_the_messages(standin_model) -> None:
    import openai

    memory = _testing.init_in_memory(instrumentations=["openai"], capture_content=False)
    client = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)
    client.chat.completions.create(model="gpt-off", messages=[{"role": "user", "content": "hi"}], temperature=1)
    [span] = memory.get_finished_spans()
    a = span.attributes
    assert a[sc.GEN_AI_REQUEST_TEMPERATURE] == 1.0
    for key in (sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_SYSTEM_INSTRUCTIONS):
        assert key not in a
