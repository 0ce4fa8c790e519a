"""The store's records: what to_json() gives is exactly their fields, in the public JSON order."""

from __future__ import annotations

from neatlogs import semconv, store


def _span() -> store.SpanRecord:
    return store.SpanRecord("a" * 32, "b" * 16, None, "turn", 1, 2, kind="AGENT",
                            attributes={semconv.SESSION_ID: "s"}, resource={semconv.SERVICE_NAME: "bot"})


def test_a_span_record_to_json_is_its_fields():
    span = _span()
    as_json = span.to_json()
    assert list(as_json) == ["trace_id", "span_id", "parent_span_id", "name", "kind", "span_kind", "start_time_ns",
                             "end_time_ns", "status_code", "status_message", "session_id", "service_name",
                             "attributes", "events", "resource", "parent_is_remote"]
    assert all(getattr(span, key) == value for key, value in as_json.items())
    assert (as_json["session_id"], as_json["service_name"]) == ("s", "bot")
    assert "token_count" not in as_json  # a property, not part of the JSON


def test_a_session_detail_is_its_summary_plus_traces():
    summary = store.SessionSummary("s", "bot", 1, 2, 1, 1, 0, 0)
    detail = store.SessionDetail(**summary.to_json(), traces=[store.TraceSpans("a" * 32, [_span()])])
    assert detail.to_json() == {**summary.to_json(), "traces": [{"trace_id": "a" * 32, "spans": [_span().to_json()]}]}
    assert detail.trace_count == 1 and detail.traces[0].trace_id == "a" * 32
