"""Spans that follow only the OpenTelemetry GenAI conventions show as a session of turns, with chat and tokens.

The spans are made with the plain OpenTelemetry SDK, as an OpenTelemetry-native framework
(pydantic-ai, google-adk, strands, semantic-kernel) makes them: an ``invoke_agent`` root,
a ``chat`` child and an ``execute_tool`` child, carrying GenAI keys and nothing of
OpenInference's. They reach the store both ways: through neatlogs' local exporter, and
POSTed as OTLP to the collector of ``neatlogs ui``. Either way ``neatlogs show --json``, the
JSON API and the view model tell the same story.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from neatlogs import semconv, store
from neatlogs.export.sqlite import SqliteSpanExporter
from neatlogs_cli.timeline import build_turns, span_messages
from neatlogs_cli.ui import DashboardServer

CONVERSATION = "conv_5j66UpCpwteGg4YSxUnt7lPY"
QUESTION = "Weather in Paris?"
ANSWER = "It is rainy in Paris, 57F."


def _genai_turn(provider: TracerProvider) -> None:
    """One agent turn as an OTel-native framework records it: GenAI keys only, JSON messages."""
    tracer = provider.get_tracer("some.genai.framework")
    user = {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}
    call = {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                                            "arguments": {"location": "Paris"}}]}
    answered = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "result": "rainy, 57F"}]}
    common = {"gen_ai.conversation.id": CONVERSATION, "gen_ai.agent.name": "Weather Agent"}
    with tracer.start_as_current_span("invoke_agent Weather Agent", kind=SpanKind.INTERNAL,
                                      attributes={**common, "gen_ai.operation.name": "invoke_agent"}):
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
            **common, "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You forecast weather."}]),
            "gen_ai.input.messages": json.dumps([user]),
            "gen_ai.output.messages": json.dumps([{**call, "finish_reason": "tool_call"}]),
            "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 7,
        }):
            pass
        with tracer.start_as_current_span("execute_tool get_weather", attributes={
            **common, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": json.dumps({"location": "Paris"}),
            "gen_ai.tool.call.result": "rainy, 57F",
        }):
            pass
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
            **common, "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": json.dumps([user, call, answered]),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                {"type": "text", "content": ANSWER}], "finish_reason": "stop"}]),
            "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 9,
        }):
            pass


def _show_json(db: str, session_id: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "neatlogs_cli", "show", session_id, "--json", "--db", db],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _check_show_json(shown: dict[str, Any]) -> None:
    """`show --json`: the session as the API gives it, plus the view model's turns (the bubbles)."""
    _check_session(shown)
    [turn] = shown["turns"]
    assert (turn["user_text"], turn["reply_text"], turn["tokens"]) == (QUESTION, ANSWER, 66)


def _check_session(session: dict[str, Any]) -> None:
    """What `show --json` and GET /api/sessions/{id} must say of the GenAI turn."""
    assert session["session_id"] == CONVERSATION  # from gen_ai.conversation.id: no session.id anywhere
    assert session["turn_count"] == 1
    assert session["token_count"] == 20 + 7 + 30 + 9
    [trace] = session["traces"]
    kinds = {s["name"]: s["kind"] for s in trace["spans"]}
    assert kinds == {"invoke_agent Weather Agent": "AGENT", "chat gpt-4o": "LLM", "execute_tool get_weather": "TOOL"}
    tool = next(s for s in trace["spans"] if s["kind"] == "TOOL")
    assert tool["attributes"][semconv.GEN_AI_TOOL_NAME] == "get_weather"
    assert json.loads(tool["attributes"][semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"location": "Paris"}


def _check_views(db: str) -> None:
    """The view model (the dashboard's and the terminal's): one turn, its bubbles, the tool, tokens."""
    conn = store.connect(db)
    try:
        detail = store.get_session(conn, CONVERSATION)
    finally:
        conn.close()
    assert detail is not None
    [turn] = build_turns(detail.traces)
    assert turn.user_text == QUESTION
    assert turn.reply_text == ANSWER
    assert turn.tokens == 66
    assert [r.span.kind for r in turn.rows] == ["AGENT", "LLM", "TOOL", "LLM"]
    first_chat = turn.rows[1].span
    assert span_messages(first_chat, semconv.LLM_INPUT_MESSAGES) == [
        {"role": "system", "content": "You forecast weather."}, {"role": "user", "content": QUESTION}]
    assert span_messages(first_chat, semconv.LLM_OUTPUT_MESSAGES) == [
        {"role": "assistant", "content": 'get_weather({"location": "Paris"})'}]
    second_chat = turn.rows[3].span
    tool_message = span_messages(second_chat, semconv.LLM_INPUT_MESSAGES)[-1]
    assert tool_message == {"role": "tool", "content": "rainy, 57F"}


def test_genai_spans_through_the_local_exporter_show_as_one_turn(tmp_path):
    db = str(tmp_path / "traces.db")
    exporter = SqliteSpanExporter(db)
    provider = TracerProvider(resource=Resource.create({"service.name": "genai-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _genai_turn(provider)
    provider.shutdown()

    _check_show_json(_show_json(db, CONVERSATION))
    _check_views(db)
    listed = subprocess.run([sys.executable, "-m", "neatlogs_cli", "show", CONVERSATION, "--db", db],
                            capture_output=True, text=True, timeout=60)
    assert f"You: {QUESTION}" in listed.stdout and f"Bot: {ANSWER}" in listed.stdout
    assert "TOOL execute_tool get_weather" in listed.stdout
    assert "get_weather" in listed.stdout and "rainy, 57F" in listed.stdout  # the tool's facts: name, result


def test_genai_spans_posted_to_the_collector_show_as_one_turn(tmp_path):
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "genai-app"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    _genai_turn(provider)
    body = encode_spans(memory.get_finished_spans()).SerializeToString()
    db = str(tmp_path / "ui" / "traces.db")
    with DashboardServer(db) as server:
        request = urllib.request.Request(f"{server.url}/v1/traces", data=body, method="POST",
                                         headers={"content-type": "application/x-protobuf"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(f"{server.url}/api/sessions/{CONVERSATION}", timeout=10) as answer:
            _check_session(json.loads(answer.read()))
        page = urllib.request.urlopen(f"{server.url}/sessions/{CONVERSATION}", timeout=10).read().decode()
        assert QUESTION in page and ANSWER in page and "execute_tool get_weather" in page
    _check_show_json(_show_json(db, CONVERSATION))
    _check_views(db)


def _in_process_genai_span(name: str) -> None:
    """A GenAI chat span made by other OpenTelemetry code in a program neatlogs traces."""
    from opentelemetry import trace as trace_api

    tracer = trace_api.get_tracer("some.genai.framework")
    with tracer.start_as_current_span(name, attributes={
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
            {"type": "text", "content": "my card is 4111-secret"}]}]),
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "secret instructions"}]),
        "gen_ai.tool.call.arguments": json.dumps({"name": "secret person"}),
    }):
        pass


def test_capture_off_strips_content_other_opentelemetry_code_recorded(otlp_receiver):
    import neatlogs

    neatlogs.init(endpoint=otlp_receiver.endpoint, capture_content=False)
    _in_process_genai_span("chat other")
    assert neatlogs.flush()
    [span] = otlp_receiver.wait_for(1)
    assert "secret" not in json.dumps(span["attributes"])
    assert json.loads(span["attributes"][semconv.GEN_AI_INPUT_MESSAGES]) == [{"role": "user", "parts": [{"type": "text"}]}]
    assert semconv.GEN_AI_SYSTEM_INSTRUCTIONS not in span["attributes"]


def test_the_mask_reaches_content_other_opentelemetry_code_recorded(otlp_receiver):
    import neatlogs

    neatlogs.init(endpoint=otlp_receiver.endpoint, mask=lambda text: text.replace("secret", "***"))
    _in_process_genai_span("chat other")
    assert neatlogs.flush()
    [span] = otlp_receiver.wait_for(1)
    assert "secret" not in json.dumps(span["attributes"])
    assert json.loads(span["attributes"][semconv.GEN_AI_INPUT_MESSAGES])[0]["parts"][0]["content"] == "my card is 4111-***"
    assert json.loads(span["attributes"][semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"name": "*** person"}


def _structured(value: Any) -> Any:
    """``value`` as a structured OTLP AnyValue (arrays and key-value lists), as SDKs of other languages send it."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    if isinstance(value, dict):
        out = AnyValue()
        out.kvlist_value.values.extend(KeyValue(key=k, value=_structured(v)) for k, v in value.items())
        return out
    if isinstance(value, list):
        out = AnyValue()
        out.array_value.values.extend(_structured(v) for v in value)
        return out
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=str(value))


def test_structured_genai_messages_from_another_sdk_read_as_chat(tmp_path):
    """gen_ai.input.messages sent as an OTLP array of key-value lists (not JSON text) still shows as chat."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    attributes = {
        "gen_ai.operation.name": "chat", "gen_ai.conversation.id": "structured-1",
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": ANSWER}]}],
        "gen_ai.system_instructions": [{"type": "text", "content": "You forecast weather."}],
        "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 6,
    }
    request = ExportTraceServiceRequest()
    span = Span(trace_id=bytes.fromhex("ab" * 16), span_id=bytes.fromhex("cd" * 8), name="chat gpt-4o",
                kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=1_700_000_000_000_000_000,
                end_time_unix_nano=1_700_000_001_000_000_000)
    span.attributes.extend(KeyValue(key=k, value=_structured(v)) for k, v in attributes.items())
    request.resource_spans.add().scope_spans.add().spans.append(span)
    db = str(tmp_path / "ui" / "traces.db")
    with DashboardServer(db) as server:
        post = urllib.request.Request(f"{server.url}/v1/traces", data=request.SerializeToString(), method="POST",
                                      headers={"content-type": "application/x-protobuf"})
        with urllib.request.urlopen(post, timeout=10) as answer:
            assert answer.status == 200
    shown = _show_json(db, "structured-1")
    assert shown["traces"][0]["spans"][0]["kind"] == "LLM"
    [turn] = shown["turns"]
    assert (turn["user_text"], turn["reply_text"], turn["tokens"]) == (QUESTION, ANSWER, 11)
