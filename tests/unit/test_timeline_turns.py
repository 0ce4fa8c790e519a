"""The view model's turn rule, on spans of both conventions, and tokens that agree everywhere."""

from __future__ import annotations

import io
import json

from starlette.testclient import TestClient

from neatlogs import semconv, store
from neatlogs_cli.server.app import create_app
from neatlogs_cli.timeline import build_turns, span_messages
from neatlogs_cli.views import print_timeline

IN, OUT = semconv.LLM_INPUT_MESSAGES, semconv.LLM_OUTPUT_MESSAGES


def oi_messages(prefix: str, *messages: tuple[str, str]) -> dict[str, str]:
    attributes = {}
    for i, (role, content) in enumerate(messages):
        attributes[semconv.message_key(prefix, i, semconv.MESSAGE_ROLE)] = role
        attributes[semconv.message_key(prefix, i, semconv.MESSAGE_CONTENT)] = content
    return attributes


def record(trace: str, span_id: str, parent: str | None, start: int, kind: str | None = None,
           span_kind: str = "CLIENT", session: str = "mixed", events=None, **attributes) -> store.SpanRecord:
    return store.SpanRecord(trace_id=trace * 32, span_id=span_id * 16, parent_span_id=parent and parent * 16,
                            name=f"span {span_id}", start_time_ns=start, end_time_ns=start + 100, kind=kind,
                            span_kind=span_kind, attributes={semconv.SESSION_ID: session, **attributes},
                            events=events or [])


def genai(role: str, *parts: dict) -> dict:
    return {"role": role, "parts": list(parts)}


def text(content: str) -> dict:
    return {"type": "text", "content": content}


def mixed_session() -> list[store.SpanRecord]:
    """Turn 1: OpenInference, a framework LLM span over the client span (tokens repeated), then a
    tool-loop call in GenAI JSON. An embeddings root. Turn 2: the older GenAI events."""
    history = [genai("user", text("what is 2+2?")),
               genai("assistant", {"type": "tool_call", "id": "c1", "name": "calc", "arguments": {"x": "2+2"}}),
               genai("tool", {"type": "tool_call_response", "id": "c1", "response": "4"})]
    return [
        record("a", "1", None, 1000, "CHAIN", "INTERNAL"),
        record("a", "3", "2", 1200, "LLM", **oi_messages(IN, ("system", "be brief"), ("user", "what is 2+2?")),
               **{semconv.LLM_TOKEN_COUNT_PROMPT: 10, semconv.LLM_TOKEN_COUNT_COMPLETION: 5}),
        record("a", "2", "1", 1100, "LLM", "INTERNAL", **{semconv.LLM_TOKEN_COUNT_TOTAL: 15}),
        record("b", "4", None, 2000, None, **{
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_SYSTEM_INSTRUCTIONS: json.dumps([text("be brief")]),
            semconv.GEN_AI_INPUT_MESSAGES: json.dumps(history),
            semconv.GEN_AI_OUTPUT_MESSAGES: json.dumps([genai("assistant", text("It is 4."))]),
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 20, semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 3}),
        record("c", "5", None, 3000, "EMBEDDING", **{semconv.LLM_TOKEN_COUNT_TOTAL: 4}),
        record("d", "6", None, 4000, None, events=[
            {"name": "gen_ai.system.message", "time_ns": 4000, "attributes": {"content": "be brief"}},
            {"name": "gen_ai.user.message", "time_ns": 4000, "attributes": {"content": "and 3+3?"}},
            {"name": "gen_ai.choice", "time_ns": 4090, "attributes": {
                "index": 0, "message": json.dumps({"role": "assistant", "content": "6."})}},
        ], **{semconv.GEN_AI_REQUEST_MODEL: "m", semconv.GEN_AI_USAGE_INPUT_TOKENS: 7,
              semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 1}),
    ]


def test_a_tool_loop_folds_steps_join_and_both_conventions_are_chat(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    store.insert_spans(conn, mixed_session())
    session = store.get_session(conn, "mixed")
    turns = build_turns(session.traces)
    assert [(t.user_text, t.reply_text, len(t.trace_ids)) for t in turns] == [
        ("what is 2+2?", "It is 4.", 3), ("and 3+3?", "6.", 1)]
    genai_span = turns[0].rows[3].span
    assert [m["role"] for m in span_messages(genai_span, IN)] == ["system", "user", "assistant", "tool"]
    assert span_messages(genai_span, IN)[2]["content"] == 'calc({"x": "2+2"})'
    assert span_messages(genai_span, OUT) == [{"role": "assistant", "content": "It is 4."}]
    assert (session.trace_count, session.turn_count) == (4, 2)
    # The search index reads GenAI content too.
    assert [s.session_id for s in store.list_sessions(conn, search="3+3")] == ["mixed"]


def test_tokens_agree_in_the_store_the_list_the_header_and_the_turns(tmp_path):
    path = str(tmp_path / "t.db")
    conn = store.connect(path)
    store.insert_spans(conn, mixed_session()[:3])  # batches: the client span before its wrapper
    store.insert_spans(conn, mixed_session()[3:])
    expected = 15 + 23 + 4 + 8  # each call once; the wrapper's repeat of 15 not counted
    turns = build_turns(store.get_session(conn, "mixed").traces)
    assert sum(t.tokens for t in turns) == expected
    assert store.get_session_summary(conn, "mixed").token_count == expected
    (listed,) = store.list_sessions(conn)
    assert (listed.token_count, listed.turn_count) == (expected, 2)
    out = io.StringIO()
    print_timeline(store.get_session(conn, "mixed"), file=out)
    assert f"2 turns  {expected} tokens" in out.getvalue()
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    page = client.get("/sessions/mixed").text
    assert f'<span class="token-count">{expected} tokens</span>' in page
    assert '<span class="turn-count">2 turns</span>' in page
    assert page.count('<li class="turn') == 2
    sessions_page = client.get("/").text
    assert f'<td class="num">{expected}</td>' in sessions_page


def test_the_user_text_of_a_call_ending_in_a_tool_result_says_so():
    root = record("e", "7", None, 0, "LLM", **oi_messages(IN, ("user", "hi"), ("assistant", ""), ("tool", "42")))
    (turn,) = build_turns([store.TraceSpans("e" * 32, [root])])
    assert turn.user_text == "tool result: 42"


def test_a_streamed_call_without_usage_says_tokens_not_reported_and_shows_ttft():
    root = record("f", "8", None, 0, "LLM", **oi_messages(IN, ("user", "hi")),
                  **{semconv.NEATLOGS_FIRST_CHUNK_MS: 12.5})
    (turn,) = build_turns([store.TraceSpans("f" * 32, [root])])
    assert (turn.tokens, turn.tokens_not_reported, turn.first_chunk_ms) == (0, True, 12.5)
    out = io.StringIO()
    detail = store.SessionDetail("s", None, 0, 100, 1, 1, 0, 0, 1, False, traces=[store.TraceSpans("f" * 32, [root])])
    print_timeline(detail, file=out)
    assert "tokens not reported" in out.getvalue() and "first token 12 ms" in out.getvalue()


def test_a_store_written_with_the_old_keys_still_shows_its_templates(tmp_path):
    # Before the keys moved: the user template under llm.user_prompt_template.*, llm.finish_reasons.
    old = record("e", "7", None, 1000, "LLM", session="old-keys", **oi_messages(IN, ("user", "where is it?")), **{
        semconv.LLM_USER_PROMPT_TEMPLATE: "Q: {{q}}", semconv.LLM_USER_PROMPT_TEMPLATE_VARIABLES: '{"q": "old"}',
        semconv.LLM_FINISH_REASONS: ("stop",)})
    new = record("f", "8", None, 2000, "LLM", session="old-keys", **oi_messages(IN, ("user", "and now?")), **{
        semconv.NEATLOGS_USER_PROMPT_TEMPLATE: "Q: {{q}}",
        semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES: '{"q": "new"}',
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",)})
    path = str(tmp_path / "t.db")
    store.insert_spans(store.connect(path), [old, new])
    turns = build_turns(store.get_session(store.connect(path), "old-keys").traces)
    assert [t.user_text for t in turns] == ["where is it?", "and now?"]
    rows = [row for turn in turns for row in turn.rows]
    assert dict(rows[0].prompt_attributes)[semconv.LLM_USER_PROMPT_TEMPLATE_VARIABLES] == '{"q": "old"}'
    assert dict(rows[1].prompt_attributes)[semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES] == '{"q": "new"}'
    page = TestClient(create_app(path), base_url="http://127.0.0.1").get("/sessions/old-keys").text
    assert semconv.LLM_USER_PROMPT_TEMPLATE_VARIABLES in page and semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES in page


def _traces(spans: list[store.SpanRecord]) -> list[store.TraceSpans]:
    by_trace: dict[str, list[store.SpanRecord]] = {}
    for span in sorted(spans, key=lambda s: s.start_time_ns):
        by_trace.setdefault(span.trace_id, []).append(span)
    return [store.TraceSpans(trace_id, trace_spans) for trace_id, trace_spans in by_trace.items()]


def test_a_workflow_root_recording_its_events_shows_the_users_words_and_the_models_reply():
    """A LlamaIndex FunctionAgent run: its root's input and output are the workflow's event objects."""
    start = json.dumps({"init_state": {"is_running": False}, "start_event": "AgentWorkflowStartEvent()",
                        "tags": {"instrument_tags": {"llamaindex.run_id": "r1"}}})
    stop = "StopEvent(result=AgentOutput(response=ChatMessage(role=<MessageRole.ASSISTANT: 'assistant'>, blo..."
    spans = [
        record("a", "1", None, 1000, "CHAIN", "INTERNAL", **{
            semconv.INPUT_VALUE: start, semconv.INPUT_MIME_TYPE: semconv.MIME_JSON, semconv.OUTPUT_VALUE: stop}),
        record("a", "2", "1", 1100, "LLM", **oi_messages(IN, ("system", "You help."), ("user", "Where is my order?")),
               **oi_messages(OUT, ("assistant", "It shipped on Monday."))),
    ]
    [turn] = build_turns(_traces(spans))
    assert turn.user_text == "Where is my order?"
    assert turn.reply_text == "It shipped on Monday."


def test_an_index_building_root_is_a_step_of_the_query_turn_after_it():
    spans = [
        record("a", "1", None, 1000, "VECTOR_STORE", "INTERNAL"),
        record("a", "2", "1", 1100, "CHAIN", "INTERNAL", **{
            semconv.INPUT_VALUE: json.dumps({"nodes": ["<Document(id_=d1)>"]}),
            semconv.INPUT_MIME_TYPE: semconv.MIME_JSON}),
        record("b", "3", None, 2000, "CHAIN", "INTERNAL", **{semconv.INPUT_VALUE: "What does neatlogs do?"}),
    ]
    [turn] = build_turns(_traces(spans))
    assert turn.user_text == "What does neatlogs do?" and len(turn.trace_ids) == 2


def test_mcp_protocol_traffic_is_a_step_of_the_turn_not_a_turn():
    # mcp 2.x makes spans of its own for initialize and tools/list: roots that are not conversation.
    chat = record("a", "1", None, 100, kind="LLM", **oi_messages(IN, ("user", "weather in Lisbon?")))
    initialize = record("b", "2", None, 200, span_kind="CLIENT", **{semconv.MCP_METHOD_NAME: "initialize"})
    listing = record("c", "3", None, 300, span_kind="CLIENT", **{semconv.MCP_METHOD_NAME: "tools/list"})
    assert store.is_step(initialize) and store.is_step(listing) and not store.is_step(chat)
    (turn,) = build_turns([store.TraceSpans("a" * 32, [chat]), store.TraceSpans("b" * 32, [initialize]),
                           store.TraceSpans("c" * 32, [listing])])
    assert turn.user_text == "weather in Lisbon?"


def test_a_step_joins_the_turn_nearest_in_time():
    # A RAG bot: the user's question is embedded just before the model is asked about it, long after
    # the previous answer; a memory write right after an answer stays with that answer.
    first = record("a", "1", None, 1_000, kind="LLM", **oi_messages(IN, ("user", "refunds?")))
    remember = record("b", "2", None, 1_200, kind="EMBEDDING")
    question = record("c", "3", None, 9_000, kind="EMBEDDING")
    second = record("d", "4", None, 9_150, kind="LLM", **oi_messages(IN, ("user", "shipping?")))
    turns = build_turns([store.TraceSpans(s.trace_id, [s]) for s in (first, remember, question, second)])
    assert [(t.user_text, len(t.trace_ids)) for t in turns] == [("refunds?", 2), ("shipping?", 2)]
    assert turns[1].trace_ids[0] == question.trace_id


def test_keyword_arguments_recorded_as_one_argument_still_say_what_the_user_asked():
    # DSPy's ReAct.forward(**input_args) is recorded as {"input_args": {"question": ...}}.
    root = record("a", "1", None, 100, "CHAIN", "INTERNAL", **{
        semconv.INPUT_VALUE: json.dumps({"input_args": {"question": "Weather in Paris?"}}),
        semconv.INPUT_MIME_TYPE: semconv.MIME_JSON})
    call = record("a", "2", "1", 200, "LLM", **oi_messages(IN, ("user", "[[ ## question ## ]]\nWeather in Paris?")))
    (turn,) = build_turns([store.TraceSpans(root.trace_id, [root, call])])
    assert turn.user_text == "Weather in Paris?"


def test_a_sessions_latency_figures_are_per_turn_its_tool_loop_included(tmp_path):
    import sqlite3

    from dashboard_data import drop_version_8

    from neatlogs_cli import pricing, reports

    ms = 1_000_000
    asking = record("a", "1", None, 0, "LLM", session="loop", **oi_messages(IN, ("user", "weather?")))
    looping = record("b", "2", None, 300 * ms, "LLM", session="loop",
                     **oi_messages(IN, ("user", "weather?"), ("tool", "sunny")))
    embedding = record("d", "4", None, 990 * ms, "EMBEDDING", session="loop")  # the next question's
    thanks = record("c", "3", None, 1000 * ms, "LLM", session="loop", **oi_messages(IN, ("user", "thanks")))
    for span, duration in ((asking, 100), (looping, 100), (embedding, 5), (thanks, 50)):
        span.end_time_ns = span.start_time_ns + duration * ms
    path = str(tmp_path / "t.db")
    conn = store.connect(path)
    store.insert_spans(conn, [asking, looping, embedding, thanks])
    totals = reports.session_totals(pricing.install(conn), "loop")
    # turn 1 runs from the first call's start to the end of the call after the tool: 400 ms, not 100 + 100;
    # the embedding before turn 2 lengthens neither
    assert (totals.summary.turn_count, totals.latency_ms, totals.p95_ms > 300) == (2, 450.0, True)
    conn.close()
    raw = sqlite3.connect(path, isolation_level=None)  # a store from before: every trace is a turn of its own
    drop_version_8(raw)
    raw.execute("PRAGMA user_version = 7")
    raw.close()
    older = pricing.install(store.connect(path))
    assert reports.session_totals(older, "loop").latency_ms == 255.0
