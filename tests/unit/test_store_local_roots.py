"""A span whose parent lives in another process (a W3C trace context carried it) is its trace's root here."""

from __future__ import annotations

from neatlogs import semconv, store

NOW = 1_800_000_000 * 10**9


def _turn(n: int, question: str) -> list[store.SpanRecord]:
    trace, common = f"{n:032x}", {semconv.SESSION_ID: "backend"}
    top = store.SpanRecord(trace, f"{n:015x}1", "e" * 16, "handle", NOW + n, NOW + n + 10, kind="CHAIN",
                           attributes={**common, semconv.INPUT_VALUE: question}, parent_is_remote=True)
    call = store.SpanRecord(trace, f"{n:015x}2", top.span_id, "chat gpt-4o", NOW + n + 1, NOW + n + 9, kind="LLM",
                            attributes={**common, semconv.LLM_TOKEN_COUNT_TOTAL: 7})
    return [call, top]


def _summary(conn) -> tuple[int, int]:
    (found,) = store.list_sessions(conn)
    return found.trace_count, found.turn_count


def test_remote_parented_spans_count_as_roots_when_written_and_after_a_delete(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    store.insert_spans(conn, _turn(1, "first question") + _turn(2, "second question"))
    assert _summary(conn) == (2, 2)
    assert [s.session_id for s in store.list_sessions(conn, search="second")] == ["backend"]
    store.delete_trace(conn, f"{1:032x}")
    assert _summary(conn) == (1, 1)  # recounted from the rows, which no longer carry the flag
