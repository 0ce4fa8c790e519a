"""Turns from stored spans: where the user message, the reply and the tokens come from."""

from __future__ import annotations

import json

from neatlogs import semconv
from neatlogs.store import SpanRecord, TraceSpans
from neatlogs_cli.timeline import build_turns


def span(span_id: str, parent: str | None, start: int, end: int, kind: str | None = None,
         span_kind: str = "INTERNAL", **attributes) -> SpanRecord:
    return SpanRecord(trace_id="t", span_id=span_id, parent_span_id=parent, name=span_id, start_time_ns=start,
                      end_time_ns=end, kind=kind, span_kind=span_kind, attributes=attributes)


def test_user_and_reply_come_from_the_root_input_and_output():
    root = span("a", None, 0, 100, "AGENT", **{
        semconv.INPUT_VALUE: json.dumps({"message": "hello", "history": [{"role": "user", "content": "x"}]}),
        semconv.INPUT_MIME_TYPE: semconv.MIME_JSON,
        semconv.OUTPUT_VALUE: "hi!", semconv.OUTPUT_MIME_TYPE: semconv.MIME_TEXT})
    (turn,) = build_turns([TraceSpans("t", [root])])
    assert (turn.user_text, turn.reply_text, turn.duration_ms) == ("hello", "hi!", 0.0001)


def test_without_root_values_the_llm_messages_are_used_and_tokens_not_double_counted():
    user_key = semconv.message_key(semconv.LLM_INPUT_MESSAGES, 1, semconv.MESSAGE_CONTENT)
    spans = [
        span("root", None, 0, 1000, "CHAIN"),
        span("llm", "root", 10, 900, "LLM", **{semconv.LLM_TOKEN_COUNT_TOTAL: 50}),  # repeats its child's
        span("client", "llm", 20, 800, "LLM", "CLIENT", **{
            semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "system",
            semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): "be nice",
            semconv.message_key(semconv.LLM_INPUT_MESSAGES, 1, semconv.MESSAGE_ROLE): "user",
            user_key: "what time is it?",
            semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "assistant",
            semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): "noon",
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 30, semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 20}),
        span("tool", "root", 900, 1000, "TOOL", **{semconv.LLM_TOKEN_COUNT_TOTAL: 7}),
    ]
    (turn,) = build_turns([TraceSpans("t", spans)])
    assert (turn.user_text, turn.reply_text, turn.tokens) == ("what time is it?", "noon", 57)
    assert [(r.span.span_id, r.depth) for r in turn.rows] == [("root", 0), ("llm", 1), ("client", 2), ("tool", 1)]
    client = turn.rows[2]
    assert (client.offset_pct, client.width_pct, client.tokens) == (2.0, 78.0, 50)


def test_turns_are_numbered_in_order_and_orphans_still_show():
    first = [span("r1", None, 0, 10, "AGENT", **{semconv.INPUT_VALUE: "one"})]
    # A span whose parent never arrived is shown as a root rather than lost.
    second = [span("orphan", "missing", 20, 30, "LLM", **{semconv.OUTPUT_VALUE: "two"})]
    turns = build_turns([TraceSpans("1", first), TraceSpans("2", second), TraceSpans("3", [])])
    assert [(t.index, t.user_text, t.reply_text) for t in turns] == [(1, "one", None), (2, None, "two")]
