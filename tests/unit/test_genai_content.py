"""The content policy over the GenAI content keys other OpenTelemetry code sets (``neatlogs._genai_content``)."""

from __future__ import annotations

import json

from neatlogs import semconv
from neatlogs._content import ContentPolicy
from neatlogs._genai_content import policed_attributes


def _messages(count: int, size: int) -> str:
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"{i}:" + "x" * size}]}
                       for i in range(count)])


def test_a_long_message_list_keeps_its_latest_messages_as_valid_json():
    policy = ContentPolicy(max_value_chars=2_000)
    out = policed_attributes("some.framework", {semconv.GEN_AI_INPUT_MESSAGES: _messages(50, 100)}, policy)
    assert out is not None
    text = out[semconv.GEN_AI_INPUT_MESSAGES]
    assert len(text) <= 2_000
    messages = json.loads(text)  # still JSON: the views can read it
    assert messages[0]["role"] == "system" and "earlier messages cut" in messages[0]["parts"][0]["content"]
    assert messages[-1]["parts"][0]["content"].startswith("49:")


def test_short_values_without_a_mask_are_left_as_they_are():
    attributes = {semconv.GEN_AI_INPUT_MESSAGES: _messages(2, 10), semconv.GEN_AI_TOOL_CALL_RESULT: "ok"}
    assert policed_attributes("some.framework", attributes, ContentPolicy()) is None


def test_capture_off_keeps_the_shape_and_drops_the_rest():
    attributes = {
        semconv.GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"q": "private"}}]}]),
        semconv.GEN_AI_TOOL_CALL_ARGUMENTS: '{"q": "private"}',
        semconv.PYDANTIC_AI_FINAL_RESULT: "private",
        "other.key": "kept",
    }
    out = policed_attributes("pydantic-ai", attributes, ContentPolicy(capture=False))
    assert out is not None and "private" not in json.dumps(out)
    assert json.loads(out[semconv.GEN_AI_OUTPUT_MESSAGES]) == [
        {"role": "assistant", "finish_reason": "tool_call", "parts": [{"type": "tool_call", "id": "c1", "name": "lookup"}]}]
    assert out["other.key"] == "kept"
    # final_result is pydantic-ai's own key: another scope's span keeps it.
    assert policed_attributes("other", {semconv.PYDANTIC_AI_FINAL_RESULT: "x"}, ContentPolicy(capture=False)) is None


def test_a_mask_that_fails_drops_the_value_rather_than_record_it_unmasked():
    def mask(text: str) -> str:
        if "card" in text:
            raise ValueError("no")
        return text

    attributes = {semconv.GEN_AI_INPUT_MESSAGES: json.dumps([{"role": "user", "parts": [
        {"type": "text", "content": "my card"}]}])}
    out = policed_attributes("some.framework", attributes, ContentPolicy(mask=mask))
    assert out == {}


def test_the_mask_spares_roles_and_names_but_not_argument_values():
    attributes = {semconv.GEN_AI_INPUT_MESSAGES: json.dumps([{"role": "assistant", "parts": [
        {"type": "tool_call", "name": "lookup", "arguments": {"name": "Alice"}}]}])}
    out = policed_attributes("x", attributes, ContentPolicy(mask=lambda text: "#" * len(text)))
    assert out is not None
    [message] = json.loads(out[semconv.GEN_AI_INPUT_MESSAGES])
    assert message["role"] == "assistant" and message["parts"][0]["name"] == "lookup"
    assert message["parts"][0]["arguments"] == {"name": "#####"}
