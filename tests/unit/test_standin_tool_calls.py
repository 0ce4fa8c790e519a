"""The stand-in model calls a tool with arguments that fit the tool's JSON schema, on both routes.

Framework tests rely on it: an agent parses and validates the arguments the model sends
against the tool's signature, so a call with arguments the schema does not allow (the old
``{"query": "stand-in"}`` for every tool) fails there, or passes only for tools that happen
to take ``query``. The real ``openai`` client asks, plain and streamed.
"""

from __future__ import annotations

import json

import openai
import pytest

from neatlogs_cli.demo.schema_examples import tool_arguments

# What pydantic writes for ``def forecast(city: str, days: int, units: Units, note: str | None,
# where: Place)``: a nested model behind a $ref, an Optional as anyOf with null, an enum.
FORECAST_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer"},
        "units": {"enum": ["metric", "imperial"]},
        "note": {"anyOf": [{"type": "null"}, {"type": "string"}], "default": None},
        "where": {"$ref": "#/$defs/Place"},
        "hourly": {"type": "boolean"},
    },
    "required": ["city", "days", "units", "where", "hourly"],
    "$defs": {"Place": {"type": "object", "properties": {"lat": {"type": "number"}, "tags": {
        "type": "array", "items": {"type": "string"}}}}},
}
EXPECTED = {"city": "stand-in", "days": 1, "units": "metric", "note": "stand-in",
            "where": {"lat": 1.5, "tags": ["stand-in"]}, "hourly": True}
USER = [{"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture
def client(standin_model):
    return openai.OpenAI(base_url=standin_model.base_url, api_key="sk-test", max_retries=0)


def test_the_arguments_fill_each_property_with_a_value_of_its_type():
    assert tool_arguments(FORECAST_SCHEMA) == EXPECTED
    assert tool_arguments({"type": "object", "properties": {}}) == {}
    assert tool_arguments(None) == {}


def test_chat_completions_call_the_tool_with_arguments_fitting_its_schema(client):
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST_SCHEMA}}]
    reply = client.chat.completions.create(model="gpt-tools", messages=USER, tools=tools)
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "forecast"
    assert json.loads(call.function.arguments) == EXPECTED


def test_streamed_chat_completions_send_the_same_arguments_in_pieces(client):
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": FORECAST_SCHEMA}}]
    stream = client.chat.completions.create(model="gpt-tools", messages=USER, tools=tools, stream=True)
    pieces = [call.function.arguments for chunk in stream if chunk.choices
              for call in chunk.choices[0].delta.tool_calls or () if call.function and call.function.arguments]
    assert len(pieces) > 1 and json.loads("".join(pieces)) == EXPECTED


def test_the_responses_route_calls_a_function_tool_the_same_way(client):
    tools = [{"type": "function", "name": "forecast", "parameters": FORECAST_SCHEMA}]
    response = client.responses.create(model="gpt-tools", input="Weather in Paris?", tools=tools)
    [call] = [item for item in response.output if item.type == "function_call"]
    assert call.name == "forecast" and json.loads(call.arguments) == EXPECTED
