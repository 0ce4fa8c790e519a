"""The view model's tool steps and message parts, and the Markdown sanitizer, on stored spans of both conventions."""

from __future__ import annotations

import json

from neatlogs import semconv, store
from neatlogs_cli.conversation import ContentPart, content_parts, tool_steps
from neatlogs_cli.server.markup import is_long, render_markdown
from neatlogs_cli.timeline import build_turns

PNG = "data:image/png;base64,iVBORw0KGgo="


def _llm(n: int, attributes: dict) -> store.SpanRecord:
    return store.SpanRecord("t" * 31 + str(n), f"{n:016x}", None, "chat m", n * 10, n * 10 + 5, kind="LLM",
                            attributes={semconv.LLM_MODEL_NAME: "m", **attributes})


def _genai(n: int, inputs: list, outputs: list) -> store.SpanRecord:
    return _llm(n, {semconv.GEN_AI_INPUT_MESSAGES: json.dumps(inputs), semconv.GEN_AI_OUTPUT_MESSAGES: json.dumps(outputs)})


ASK = {"role": "user", "parts": [{"type": "text", "content": "where is 1042?"}]}
CALL = {"role": "assistant", "parts": [{"type": "text", "content": "Let me look."},
                                       {"type": "tool_call", "id": "c1", "name": "lookup_order",
                                        "arguments": {"order": 1042}}]}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "shipped"}]}
REPLY = {"role": "assistant", "parts": [{"type": "text", "content": "It shipped."}]}


def test_a_genai_tool_loop_gives_call_then_result_each_once():
    first = _genai(1, [ASK], [CALL])
    second = _genai(2, [ASK, CALL, RESULT], [REPLY])
    steps = tool_steps([first, second])
    assert [(s.kind, s.label) for s in steps] == [("say", "assistant"), ("call", "called lookup_order"),
                                                  ("result", "lookup_order returned")]
    assert json.loads(steps[1].text) == {"order": 1042}
    assert steps[2].text == "shipped" and steps[2].summary == "lookup_order returned shipped"
    turn = build_turns([store.TraceSpans(first.trace_id, [first]), store.TraceSpans(second.trace_id, [second])])
    assert len(turn) == 1 and turn[0].reply_text == "It shipped."
    assert [s.kind for s in turn[0].tool_steps] == ["say", "call", "result"]


def test_tool_results_of_earlier_turns_in_the_history_are_not_shown_again():
    history = [ASK, CALL, RESULT, REPLY, {"role": "user", "parts": [{"type": "text", "content": "thanks"}]}]
    assert tool_steps([_genai(3, history, [REPLY])]) == []


def test_a_nested_model_call_under_a_framework_call_counts_its_tool_call_once():
    key = semconv.tool_call_key(semconv.LLM_OUTPUT_MESSAGES, 0, 0, semconv.TOOL_CALL_FUNCTION_NAME)
    arguments = semconv.tool_call_key(semconv.LLM_OUTPUT_MESSAGES, 0, 0, semconv.TOOL_CALL_FUNCTION_ARGUMENTS)
    role = semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_ROLE)
    spans = [_llm(n, {role: "assistant", key: "search", arguments: '{"q": "x"}'}) for n in (1, 2)]
    assert [s.summary for s in tool_steps(spans)] == ['called search({"q": "x"})']


def test_image_parts_of_every_provider_shape_become_images_or_links():
    text = "\n".join([
        "look at these",
        json.dumps({"type": "image_url", "image_url": {"url": PNG}}),
        json.dumps({"type": "input_image", "image_url": "https://example.com/a.png"}),
        json.dumps({"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}}),
        json.dumps({"type": "blob", "modality": "image", "mime_type": "image/webp", "content": "BBBB"}),
        json.dumps({"type": "image_url", "image_url": {"url": "ftp://example.com/x.png"}}),
        "done",
    ])
    parts = content_parts(text)
    assert parts[0] == ContentPart("text", "look at these")
    assert parts[1:5] == [ContentPart("image", PNG), ContentPart("image_link", "https://example.com/a.png"),
                          ContentPart("image", "data:image/jpeg;base64,AAAA"),
                          ContentPart("image", "data:image/webp;base64,BBBB")]
    assert parts[5].kind == "text" and "ftp://" in parts[5].value  # neither shown nor linked
    assert parts[6] == ContentPart("text", "done")
    assert content_parts("plain {not json}") == [ContentPart("text", "plain {not json}")]
    cut = json.dumps({"type": "image_url", "image_url": {"url": PNG * 10}})[:60] + "...[neatlogs: truncated 9 chars]"
    assert content_parts("see\n" + cut) == [ContentPart("text", "see"), ContentPart("image_cut", "")]


def test_a_genai_image_part_survives_the_chat_reader():
    span = _genai(1, [{"role": "user", "parts": [{"type": "text", "content": "what is this?"},
                                                 {"type": "blob", "modality": "image", "mime_type": "image/png",
                                                  "content": "iVBORw0KGgo="}]}], [REPLY])
    (turn,) = build_turns([store.TraceSpans(span.trace_id, [span])])
    assert [p.kind for p in content_parts(turn.user_text)] == ["text", "image"]


def test_markdown_keeps_hostile_html_as_text_and_only_web_links():
    html = str(render_markdown('<b onclick="x()">hi</b> [a](javascript:alert(1)) [b](https://e.com) '
                               "[c](data:text/html,<script>) ![d](https://e.com/i.png) ![e](" + PNG + ")"))
    assert "<b" not in html and "&lt;b onclick" in html
    assert 'href="javascript' not in html and "href=\"data" not in html
    assert '<a href="https://e.com" rel="noopener noreferrer nofollow" target="_blank">b</a>' in html
    assert '<a class="image-link" href="https://e.com/i.png"' in html and "<img" in html
    assert html.count("<img") == 1 and f'src="{PNG}"' in html
    assert str(render_markdown("a\nb")) == "<p>a<br />\nb</p>\n"  # a chat's line breaks are kept


def test_long_values_are_those_over_the_limit_in_characters_or_lines():
    assert not is_long("short")
    assert is_long("x" * 5000)
    assert is_long("\n".join(["y"] * 40))
