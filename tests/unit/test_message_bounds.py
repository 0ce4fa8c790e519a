"""``bound_messages``: the system prompt(s) and the latest messages stay, a marker between, within the room given."""

from __future__ import annotations

from neatlogs import semconv
from neatlogs.instrumentation._llm.bounds import MAX_MESSAGES, bound_messages

P = semconv.LLM_INPUT_MESSAGES


def flattened(count: int, systems: int = 1, tool_calls: int = 0) -> dict:
    attributes = {semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.SESSION_ID: "s"}
    for i in range(count):
        role = "system" if i < systems else ("user" if i % 2 else "assistant")
        attributes[f"{P}.{i}.{semconv.MESSAGE_ROLE}"] = role
        attributes[f"{P}.{i}.{semconv.MESSAGE_CONTENT}"] = f"m{i}"
        for j in range(tool_calls):
            attributes[f"{P}.{i}.{semconv.MESSAGE_TOOL_CALLS}.{j}.{semconv.TOOL_CALL_FUNCTION_NAME}"] = f"f{j}"
    return attributes


def contents(attributes: dict) -> list:
    out = []
    while f"{P}.{len(out)}.{semconv.MESSAGE_ROLE}" in attributes:
        out.append(attributes.get(f"{P}.{len(out)}.{semconv.MESSAGE_CONTENT}"))
    return out


def test_a_short_list_is_left_as_it_is():
    attributes = flattened(MAX_MESSAGES)
    before = dict(attributes)
    assert bound_messages(attributes, P, None) == 0
    assert attributes == before


def test_a_long_list_keeps_the_system_prompts_and_the_latest_with_a_marker():
    attributes = flattened(500, systems=2)
    assert bound_messages(attributes, P, None) == 500 - 2 - (MAX_MESSAGES - 3)
    kept = contents(attributes)
    assert len(kept) == MAX_MESSAGES
    assert kept[:2] == ["m0", "m1"]
    assert "left out here" in kept[2]
    assert kept[3:] == [f"m{i}" for i in range(500 - (MAX_MESSAGES - 3), 500)]
    assert attributes[semconv.SESSION_ID] == "s"


def test_the_room_left_under_the_span_limit_bounds_the_messages_too():
    attributes = flattened(60, tool_calls=3)  # five attributes a message
    bound_messages(attributes, P, 100)
    assert len(attributes) <= 100
    kept = contents(attributes)
    assert kept[0] == "m0" and "left out" in kept[1] and kept[-1] == "m59"
    assert attributes[semconv.OPENINFERENCE_SPAN_KIND] == "LLM"


def test_without_a_system_prompt_the_marker_comes_first():
    attributes = flattened(300, systems=0)
    bound_messages(attributes, P, None)
    kept = contents(attributes)
    assert "left out" in kept[0] and kept[-1] == "m299" and len(kept) == MAX_MESSAGES
