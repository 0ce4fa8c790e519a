"""What keeps the lists flat on a big store gives the rows it gave before (issue 17, bench/dashboard_lists.py).

Schema 7's ``session_labels``, each session's distinct labels, kept by the writer, deletes and
the backfill as ``labels`` names them: the sessions list's tag and meta filters read it, either
through the label or walking the sessions in list order, and both give the rows the filter on
``labels`` gave. The Overview sums its hours per bar in SQL: the same figures as row by row.
"""

from __future__ import annotations

import sqlite3

import pytest
from dashboard_data import drop_version_7

from neatlogs import semconv, store
from neatlogs.store import backfill
from neatlogs_cli import costs, pricing, reports
from neatlogs_cli.filters import parse_filters
from neatlogs_cli.list_queries import sessions_query
from neatlogs_cli.store_open import open_for_reading

NOW = 1_800_000_000 * 10**9
_S = 10**9


def _turn(n: int, session: str, *, tags: tuple[str, ...] = (), plan: str | None = None,
          error: bool = False, provider: str = "openai") -> list[store.SpanRecord]:
    """Turn ``n`` (one a minute, oldest first) of ``session``: a root and its model call."""
    trace, start = f"{n + 1:032x}", NOW - 3600 * _S + n * 60 * _S
    common: dict = {semconv.SESSION_ID: session}
    if tags:
        common[semconv.TAG_TAGS] = tags
    if plan is not None:
        common[semconv.METADATA] = f'{{"plan": "{plan}"}}'
    call = store.SpanRecord(trace, f"{n + 1:015x}2", f"{n + 1:015x}1", "chat gpt-4o", start + 1, start + 9 * _S,
                            kind="LLM", attributes={**common, semconv.LLM_PROVIDER: provider,
                                                    semconv.LLM_MODEL_NAME: "gpt-4o",
                                                    semconv.LLM_TOKEN_COUNT_TOTAL: 50 + n})
    root = store.SpanRecord(trace, f"{n + 1:015x}1", None, "turn", start, start + 10 * _S, kind="AGENT",
                            status_code="ERROR" if error else "OK", attributes=common)
    return [call, root]


def _records() -> list[store.SpanRecord]:
    spans: list[store.SpanRecord] = []
    for n in range(40):
        session = f"s-{n % 12}"
        spans += _turn(n, session, tags=("vip",) if n % 12 in (1, 4, 7) else ("trial", "vip") if n % 12 == 9 else (),
                       plan="pro" if n % 3 == 0 else None, error=n % 12 == 4, provider="anthropic" if n % 5 else "openai")
    return spans


def _store(path: str) -> sqlite3.Connection:
    conn = store.connect(path)
    spans = _records()
    for i in range(0, len(spans), 14):  # several batches: labels added to sessions already stored
        store.insert_spans(conn, spans[i:i + 14])
    # A trace crossing sessions: its labels row is the first session's, so only that one has the tag.
    back = store.SpanRecord("f" * 32, "f" * 16, "e" * 16, "backend", NOW, NOW + _S, kind="CHAIN",
                            attributes={semconv.SESSION_ID: "s-back", semconv.TAG_TAGS: ("cross",)})
    front = store.SpanRecord("f" * 32, "e" * 16, None, "frontend", NOW, NOW + 2 * _S, kind="AGENT",
                             attributes={semconv.SESSION_ID: "s-front", semconv.TAG_TAGS: ("cross",)})
    store.insert_spans(conn, [back])
    store.insert_spans(conn, [front])
    return pricing.install(conn)


def _from_labels(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(tuple(r) for r in conn.execute("SELECT DISTINCT key, value, session_id FROM labels"))


def _kept(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(tuple(r) for r in conn.execute("SELECT key, value, session_id FROM session_labels"))


FILTERS = [
    {"tag": "vip"}, {"tag": "trial"}, {"tag": "cross"}, {"tag": "nobody"}, {"meta": "plan=pro"},
    {"tag": "vip", "meta": "plan=pro"}, {"tag": "vip", "status": "ok"}, {"tag": "vip", "status": "error"},
    {"tag": "vip", "provider": "openai", "min_tokens": "60"}, {"tag": "vip", "range": "24h", "sort": "tokens"},
    {"meta": "plan=pro", "sort": "-cost"}, {"tag": "vip", "limit": "2"}, {"tag": "vip", "sort": "session", "limit": "3"},
]


def _expected(conn: sqlite3.Connection, params: dict[str, str]) -> list[str]:
    """The rows as the filter on ``labels`` (before version 7) chose them: the list unfiltered by labels, then tested."""
    f = parse_filters(params, now_ns=NOW)
    wider = parse_filters({k: v for k, v in params.items() if k not in ("tag", "meta", "limit")} | {"limit": "1000"},
                          now_ns=NOW)
    labelled = [(k, v) for k, v in (("tag", f.tag), ("meta.plan", f.meta[1] if f.meta else None)) if v is not None]
    found = []
    for row in reports.list_sessions(conn, wider):
        sid = row.summary.session_id
        if all(conn.execute("SELECT 1 FROM labels WHERE session_id = ? AND key = ? AND value = ?",
                            (sid, k, v)).fetchone() for k, v in labelled):
            found.append(sid)
    return found[:f.limit]


@pytest.mark.parametrize("params", FILTERS)
def test_a_label_filter_lists_the_same_sessions_through_the_label_or_in_list_order(tmp_path, params):
    conn = _store(str(tmp_path / "t.db"))
    assert _kept(conn) == _from_labels(conn)
    f = parse_filters(params, now_ns=NOW)
    cached = costs.refresh(conn)
    got = []
    for by_label in (False, True):
        query = sessions_query(f, cached, False, by_label)
        got.append([r["session_id"] for r in conn.execute(query.sql, query.params)])
    assert got[0] == got[1] == _expected(conn, params)
    assert [r.summary.session_id for r in reports.list_sessions(conn, f)] == got[0]


def test_the_label_is_read_when_few_sessions_have_it_or_other_filters_may_reject_most(tmp_path):
    conn = _store(str(tmp_path / "t.db"))
    assert reports.few_labeled(conn, parse_filters({"tag": "cross"})) is True  # 1 labelled: 1 < 50 * 14
    assert reports.few_labeled(conn, parse_filters({"tag": "vip", "status": "ok"})) is True
    assert reports.few_labeled(conn, parse_filters({"status": "ok"})) is False
    reports_few = reports.FEW_LABELED
    try:
        reports.FEW_LABELED = 2
        assert reports.few_labeled(conn, parse_filters({"tag": "vip", "status": "ok"})) is False
    finally:
        reports.FEW_LABELED = reports_few
    # The label alone: read through it while labelled² < limit * sessions (5 vip sessions of 14).
    assert reports.few_labeled(conn, parse_filters({"tag": "vip", "limit": "2"})) is True
    assert reports.few_labeled(conn, parse_filters({"tag": "vip", "limit": "1"})) is False


def test_deletes_take_a_session_s_labels_away_with_its_last_trace_that_had_them(tmp_path):
    conn = _store(str(tmp_path / "t.db"))
    store.delete_trace(conn, f"{9 + 1:032x}")  # s-9 keeps "trial" from its other turns (21, 33)
    assert _kept(conn) == _from_labels(conn)
    for n in (21, 33):
        store.delete_trace(conn, f"{n + 1:032x}")
    assert ("tag", "trial", "s-9") not in _kept(conn)
    assert _kept(conn) == _from_labels(conn)
    store.delete_session(conn, "s-1")
    assert not [r for r in _kept(conn) if r[2] == "s-1"]
    assert _kept(conn) == _from_labels(conn)
    store.prune(conn, NOW, vacuum=False)  # all but the crossing trace's two sessions, which end after NOW
    assert _kept(conn) == _from_labels(conn) == [("tag", "cross", "s-back")]


def test_a_version_6_file_gains_its_sessions_labels_when_read(tmp_path, monkeypatch):
    path = str(tmp_path / "v6.db")
    fresh = _store(str(tmp_path / "fresh.db"))
    _store(path).close()
    raw = sqlite3.connect(path, isolation_level=None)
    drop_version_7(raw)
    raw.execute("PRAGMA user_version = 6")
    raw.close()
    writer = store.connect(path)  # a traced program's writer migrates and leaves the filling to readers
    assert writer.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert backfill.pending(writer) == ["labels"] and _kept(writer) == []
    writer.close()
    monkeypatch.setattr(backfill, "CHUNK", 30)  # 3 sessions a chunk: the job resumes across chunks
    reader = open_for_reading(path)
    assert reader is not None and backfill.pending(reader) == []
    assert _kept(reader) == _from_labels(reader) == _kept(fresh)
    pricing.install(reader)
    for params in FILTERS:
        f = parse_filters(params, now_ns=NOW)
        assert ([r.summary.session_id for r in reports.list_sessions(reader, f)]
                == [r.summary.session_id for r in reports.list_sessions(fresh, f)]), params


def _overview_by_hour_rows(conn: sqlite3.Connection, f, bucket: str, split: str | None) -> reports.Overview:
    """The Overview as it was computed before its hours were summed in SQL: every trace_hours row read in Python."""
    view = reports.overview(conn, f, bucket, split, now_ns=NOW)
    per = view.bucket_ns // (3600 * _S)
    first = view.starts_ns[0] // view.bucket_ns
    n = len(view.starts_ns)
    # tokens come from trace_hours without a split (from the usage rows with one)
    expected: dict[str, dict[str, list[float]]] = {m: {} for m in ("traces", "errors") + (("tokens",) if split is None
                                                                                         else ())}
    histograms: list[dict[int, int]] = [{} for _ in range(n)]
    lo, hi = first * per, (first + n) * per - 1
    for hour, service, latency_bucket, traces, errors, tokens in conn.execute(
            "SELECT hour, service_name, latency_bucket, traces, errors, tokens FROM trace_hours"
            " WHERE hour BETWEEN ? AND ?", (lo, hi)):
        i = hour // per - first
        name = (service or "(none)") if split == "workflow" else "all"
        for measure, value in (("traces", traces), ("errors", errors)) + ((("tokens", tokens),) if split is None else ()):
            expected[measure].setdefault(name, [0.0] * n)[i] += value
        if latency_bucket >= 0 and traces:
            histograms[i][latency_bucket] = histograms[i].get(latency_bucket, 0) + traces
    for measure in expected:
        assert view.series[measure] == expected[measure], (bucket, split, measure)
        assert list(view.series[measure]) == list(expected[measure])  # the series in the same order
    for measure, q in (("p50_ms", 0.5), ("p95_ms", 0.95)):
        assert view.series[measure]["all"] == [reports._histogram_percentile(h, q) or 0.0 for h in histograms]
    return view


@pytest.mark.parametrize("bucket", ["hour", "day"])
@pytest.mark.parametrize("split", [None, "model", "workflow"])
def test_the_overview_sums_its_hours_as_before(tmp_path, bucket, split):
    conn = _store(str(tmp_path / "t.db"))
    spans = []
    for n in range(30):  # another workflow, its turns spread over two days and many latency buckets
        for span in _turn(100 + n, f"w-{n % 3}"):
            span.resource = {semconv.SERVICE_NAME: "other"}
            spans.append(store.SpanRecord(span.trace_id, span.span_id, span.parent_span_id, span.name,
                                          span.start_time_ns - n * 5400 * _S, span.end_time_ns - n * 5400 * _S
                                          + n * n * 10**7, kind=span.kind, attributes=span.attributes,
                                          resource={semconv.SERVICE_NAME: "other"}))
    store.insert_spans(conn, spans)
    view = _overview_by_hour_rows(conn, parse_filters({"range": "7d"}, now_ns=NOW), bucket, split)
    assert sum(sum(v) for v in view.series["traces"].values()) == 71  # the oldest turn is 7 days and more ago
