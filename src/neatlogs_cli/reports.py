"""The dashboard's figures over the store's rollups: filtered lists, a session's totals, the Overview, users.

Every function takes a connection on which :func:`neatlogs_cli.pricing.install` has run
(costs are priced in SQL; each list first brings the cost cache up to date: ``costs.refresh``)
and :class:`~neatlogs_cli.filters.Filters` from the request. Each record has ``to_json()``,
the shape the JSON API and ``--json`` print.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from neatlogs import store
from neatlogs.store.rollup import HOUR_NS, LATENCY_BUCKETS_PER_DOUBLING

from . import costs, pricing
from .filters import Filters
from .list_queries import (
    COST_SQL,
    UNPRICED_SQL,
    Query,
    cost_of,
    priced,
    sessions_query,
    traces_query,
    unpriced_of,
)

__all__ = ["FEW_LABELED", "Overview", "SessionRow", "TraceRow", "UserRow", "few_labeled", "list_sessions",
           "list_traces", "list_users", "overview", "percentile", "session_totals"]

_SUMMARY_FIELDS = ("session_id", "service_name", "first_start_ns", "last_end_ns", "span_count", "trace_count",
                   "error_count", "token_count", "turn_count", "no_session")


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by the nearest-rank rule, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(int(-(-q * len(ordered) // 1)) - 1, 0)  # ceil(q * n) - 1
    return ordered[min(rank, len(ordered) - 1)]


@dataclass
class SessionRow:
    """A session in the list: its stored totals plus model calls, user, cost and turn latencies."""

    summary: store.SessionSummary
    user_id: str | None
    call_count: int
    cost: float | None
    unpriced_calls: int
    latency_ms: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_latency_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary's keys plus ``user_id``, ``call_count``, ``cost_usd`` (None: no price) and latencies.

        ``latency_ms`` is the sum of its turns' latencies (a turn from its first trace's start to
        its last one's end), ``latency_p50_ms`` and ``latency_p95_ms`` their median and 95th
        percentile, ``max_latency_ms`` the slowest trace.
        """
        return {**self.summary.to_json(), "user_id": self.user_id, "call_count": self.call_count,
                "cost_usd": self.cost, "unpriced_calls": self.unpriced_calls, "latency_ms": self.latency_ms,
                "latency_p50_ms": self.p50_ms, "latency_p95_ms": self.p95_ms, "max_latency_ms": self.max_latency_ms}


def _cost(row: sqlite3.Row) -> tuple[float | None, int]:
    unpriced = row["unpriced_calls"] or 0
    cost = row["cost_usd"]
    if cost is None or (not cost and unpriced):
        return (None if unpriced else 0.0 if cost is None else cost), unpriced
    return cost, unpriced


def _latencies(conn: sqlite3.Connection, session_ids: list[str]) -> dict[str, list[float]]:
    """Each session's turn latencies, in ms, oldest first.

    A turn runs from the start of the trace that began it to the end of the last trace that
    continued it (a tool loop's next call: ``traces.turn_start`` 0), so the time its tools took
    counts. A step (-1: an embedding the views may show in the next turn) lengthens no turn. A
    trace stored before schema 8 (``turn_start`` NULL) is a turn of its own.
    """
    found: dict[str, list[float]] = {sid: [] for sid in session_ids}
    for i in range(0, len(session_ids), 500):
        chunk = session_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        turn: list[Any] | None = None  # [session, start, end] of the turn being read
        for sid, start, latency, turn_start in conn.execute(
                f"SELECT session_id, start_ns, latency_ns, turn_start FROM traces WHERE session_id IN ({marks})"
                " AND latency_ns IS NOT NULL ORDER BY session_id, start_ns", chunk):
            if turn is not None and turn[0] == sid and turn_start is not None and turn_start <= 0:
                if turn_start == 0:
                    turn[2] = max(turn[2], start + latency)
                continue
            if turn is not None:
                found[turn[0]].append((turn[2] - turn[1]) / 1e6)
            turn = [sid, start, start + latency]
        if turn is not None:
            found[turn[0]].append((turn[2] - turn[1]) / 1e6)
    return found


def _session_row(row: sqlite3.Row, latencies: list[float]) -> SessionRow:
    values = {name: row[name] for name in _SUMMARY_FIELDS}
    values["no_session"] = bool(values["no_session"])
    if not values["turn_count"] and values["trace_count"]:
        values["turn_count"] = 1
    cost, unpriced = _cost(row)
    return SessionRow(store.SessionSummary(**values), row["user_id"], row["call_count"], cost, unpriced,
                      sum(latencies), percentile(latencies, 0.5), percentile(latencies, 0.95),
                      row["max_latency_ns"] / 1e6 if latencies else None)


FEW_LABELED = 5000
"""Sessions with a label up to which a list filtered by it and by more reads them through the label."""


def few_labeled(conn: sqlite3.Connection, filters: Filters) -> bool:
    """True when the sessions list is cheaper read through its tag or meta filter's label than in list order.

    Through the label, every session that has it is read (and the page sorted); in list order,
    sessions are read until a page of them passes every filter. With only the label to pass,
    that takes about limit * sessions / labeled reads, so the label wins when labeled² is
    below limit * sessions; with other filters too, they may reject most labeled sessions (the
    walk would then read them all): the label wins when up to :data:`FEW_LABELED` have it. A
    label on more sessions than that, with other filters that reject nearly all of them, still
    walks the list (as before version 7).
    """
    labels = ([("tag", filters.tag)] if filters.tag is not None else []) + (
        [("meta." + filters.meta[0], filters.meta[1])] if filters.meta is not None else [])
    if not labels:
        return False
    key, value = labels[0]
    labeled = conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM session_labels WHERE key = ? AND value = ? LIMIT ?)",
                           (key, value, FEW_LABELED + 1)).fetchone()[0]
    others = len(labels) > 1 or any(given is not None for given in (
        filters.since_ns, filters.until_ns, filters.workflow, filters.model, filters.provider, filters.status,
        filters.min_latency_ns, filters.min_tokens, filters.min_cost, filters.user, filters.q))
    if others:
        return bool(labeled <= FEW_LABELED)
    sessions = conn.execute("SELECT MAX(rowid) FROM sessions").fetchone()[0] or 0  # about how many: O(1)
    return labeled * labeled < filters.limit * sessions


def _searched(conn: sqlite3.Connection, filters: Filters, query_of: Callable[[bool], Query]) -> list[sqlite3.Row]:
    """The rows of a list's query (``query_of(first_pass)``); a search runs in two passes.

    The first looks for the text's whole words in the newest :data:`SEARCH_FIRST` turns
    that have them, and in the rows' own session and user ids: for a common word or id that
    fills a page, and costs the same on a big store as on a small one. Only when it fills
    no page does the second look for any part of an id or name (the trigram index) and the
    last word as a prefix, in the newest :data:`SEARCH_MATCHES` matches, as every search did.
    """
    if filters.q:
        query = query_of(True)
        rows = conn.execute(query.sql, query.params).fetchall()
        if len(rows) >= filters.limit:
            return rows
    query = query_of(False)
    return conn.execute(query.sql, query.params).fetchall()


def list_sessions(conn: sqlite3.Connection, filters: Filters) -> list[SessionRow]:
    """The sessions matching ``filters``, in its sort order (most recent activity first by default)."""
    cached = costs.refresh(conn)
    few_costly = cached and costs.few_costly(conn, "sessions", filters.min_cost)
    labeled = few_labeled(conn, filters)
    rows = _searched(conn, filters, lambda first: sessions_query(filters, cached, few_costly, labeled, first))
    latencies = _latencies(conn, [r["session_id"] for r in rows])
    return [_session_row(r, latencies[r["session_id"]]) for r in rows]


def session_totals(conn: sqlite3.Connection, session_id: str) -> SessionRow | None:
    """One session's totals as the list shows them (its page's header), or None when unknown."""
    pricing.refresh(conn)
    row = conn.execute(
        f"SELECT s.*, {cost_of('session_usage', 'u.session_id = s.session_id')} AS cost_usd,"
        f" {unpriced_of('session_usage', 'u.session_id = s.session_id')} AS unpriced_calls"
        " FROM sessions s WHERE s.session_id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    return _session_row(row, _latencies(conn, [session_id])[session_id])


@dataclass
class TraceRow:
    """A trace in the list: its root's name and latency, its totals, user and cost."""

    trace_id: str
    session_id: str | None
    name: str
    service_name: str | None
    start_time_ns: int
    end_time_ns: int
    latency_ms: float
    span_count: int
    error_count: int
    token_count: int
    call_count: int
    user_id: str | None
    cost: float | None
    unpriced_calls: int

    def to_json(self) -> dict[str, Any]:
        """The trace's figures as ``GET /api/traces`` answers them (``cost_usd`` None: no price)."""
        return {"trace_id": self.trace_id, "session_id": self.session_id, "name": self.name,
                "service_name": self.service_name, "start_time_ns": self.start_time_ns,
                "end_time_ns": self.end_time_ns, "span_count": self.span_count, "error_count": self.error_count,
                "latency_ms": self.latency_ms, "token_count": self.token_count, "call_count": self.call_count,
                "user_id": self.user_id, "cost_usd": self.cost, "unpriced_calls": self.unpriced_calls}


def list_traces(conn: sqlite3.Connection, filters: Filters) -> list[TraceRow]:
    """The traces matching ``filters`` (those whose root has arrived), newest first by default."""
    cached = costs.refresh(conn)
    few_costly = cached and costs.few_costly(conn, "traces", filters.min_cost)
    rows = []
    for r in _searched(conn, filters, lambda first: traces_query(filters, cached, few_costly, first)):
        cost, unpriced = _cost(r)
        rows.append(TraceRow(
            r["trace_id"], None if r["no_session"] else r["session_id"], r["name"], r["service_name"],
            r["start_ns"], r["end_ns"], r["latency_ns"] / 1e6, r["span_count"], r["error_count"], r["token_count"],
            r["call_count"], r["user_id"], cost, unpriced))
    return rows


@dataclass
class UserRow:
    """An end user (``user.id``): their sessions, last activity, tokens and cost."""

    user_id: str
    session_count: int
    turn_count: int
    last_end_ns: int
    token_count: int
    cost: float | None
    unpriced_calls: int

    def to_json(self) -> dict[str, Any]:
        """The user's figures as ``GET /api/users`` answers them."""
        return {"user_id": self.user_id, "session_count": self.session_count, "turn_count": self.turn_count,
                "last_end_ns": self.last_end_ns, "token_count": self.token_count, "cost_usd": self.cost,
                "unpriced_calls": self.unpriced_calls}


def list_users(conn: sqlite3.Connection, filters: Filters) -> list[UserRow]:
    """End users by their sessions' most recent activity (``range``/``from``/``to``, ``q`` a part of the id)."""
    cached = costs.refresh(conn)
    where: list[str] = ["s.user_id IS NOT NULL"]
    params: list[object] = []
    if filters.since_ns is not None:
        where.append("s.last_end_ns >= ?")
        params.append(filters.since_ns)
    if filters.until_ns is not None:
        where.append("s.first_start_ns <= ?")
        params.append(filters.until_ns)
    if filters.q:
        where.append("instr(lower(s.user_id), lower(?)) > 0")
        params.append(filters.q)
    condition = " AND ".join(where)
    rows = conn.execute(
        "SELECT s.user_id, COUNT(*) AS sessions, SUM(s.turn_count) AS turns, MAX(s.last_end_ns) AS last,"
        f" SUM(s.token_count) AS tokens, SUM(s.cost) AS cost, SUM(s.unpriced) AS unpriced FROM sessions s"
        f" WHERE {condition} GROUP BY s.user_id ORDER BY last DESC LIMIT ?", (*params, filters.limit)).fetchall()
    found_costs: dict[str, tuple[Any, Any]] = {}
    user_ids = [r["user_id"] for r in rows]
    if cached:  # the sessions' cached costs, summed with the rest
        found_costs = {r["user_id"]: (r["cost"], r["unpriced"]) for r in rows}
    elif user_ids:
        marks = ",".join("?" * len(user_ids))
        for found in conn.execute(
                f"SELECT s.user_id, {COST_SQL} AS cost, {UNPRICED_SQL} AS unpriced FROM session_usage u"
                " LEFT JOIN temp.prices p ON p.provider = u.provider AND p.model = u.model"
                f" JOIN sessions s ON s.session_id = u.session_id WHERE s.user_id IN ({marks}) AND {condition}"
                " GROUP BY s.user_id", (*user_ids, *params)):
            found_costs[found["user_id"]] = (found["cost"], found["unpriced"])
    users = []
    for r in rows:
        cost, unpriced = found_costs.get(r["user_id"], (None, 0))
        unpriced = unpriced or 0
        users.append(UserRow(r["user_id"], r["sessions"], r["turns"] or 0, r["last"], r["tokens"] or 0,
                             None if (cost is None and unpriced) or (not cost and unpriced) else (cost or 0.0),
                             unpriced))
    return users


@dataclass
class Overview:
    """Per-bucket figures over a range: traces, errors, tokens, cost, p50/p95 latency, split by model or workflow.

    ``series`` maps each measure to ``{series name: [value per bucket]}``; the split measures
    (tokens and cost; with ``split=workflow`` also traces and errors) have one series per
    model or workflow, the others one named "all".
    """

    bucket_ns: int
    starts_ns: list[int]
    split: str | None
    series: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    unpriced_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        """The figures as ``GET /api/overview`` answers them."""
        return {"bucket_ns": self.bucket_ns, "starts_ns": self.starts_ns, "split": self.split,
                "series": self.series, "unpriced_calls": self.unpriced_calls}


def _latency_ms(bucket: int) -> float:
    """A histogram bucket's middle, in ms (bucket 0: up to 1 ms)."""
    if bucket <= 0:
        return 1.0
    return float(2 ** ((bucket - 0.5) / LATENCY_BUCKETS_PER_DOUBLING))


def _histogram_percentile(counts: dict[int, int], q: float) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    rank, seen = max(q * total, 1), 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if seen >= rank:
            return _latency_ms(bucket)
    return None


def overview(conn: sqlite3.Connection, filters: Filters, bucket: str | None = None,
             split: str | None = None, now_ns: int | None = None) -> Overview:
    """The Overview's figures for ``filters``' range (the last 24 hours when none), per hour or day.

    Only the time range, ``workflow`` and (for tokens and cost) ``model``/``provider`` apply:
    the hourly rollups keep nothing finer. Latency percentiles come from a histogram whose
    buckets are about 9% wide.
    """
    pricing.refresh(conn)
    now = now_ns if now_ns is not None else time.time_ns()
    until = filters.until_ns if filters.until_ns is not None else now
    since = filters.since_ns if filters.since_ns is not None else until - 86400 * 1_000_000_000
    if bucket is None:
        bucket = "hour" if until - since <= 3 * 86400 * 1_000_000_000 else "day"
    width = HOUR_NS if bucket == "hour" else 24 * HOUR_NS
    first, last = since // width, until // width
    if last - first > 2000:  # a chart of more bars than pixels: widen the buckets
        first = last - 2000
    starts = [b * width for b in range(first, last + 1)]
    n = len(starts)
    per = width // HOUR_NS
    lo, hi = first * per, (last + 1) * per - 1
    where = "hour BETWEEN ? AND ?"
    params: list[object] = [lo, hi]
    if filters.workflow is not None:
        where += " AND service_name = ?"
        params.append(filters.workflow)
    view = Overview(width, starts, split)
    measures = ("traces", "errors", "tokens", "cost", "calls", "p50_ms", "p95_ms")
    view.series = {m: {} for m in measures}

    def add(measure: str, name: str, index: int, value: float) -> None:
        view.series[measure].setdefault(name, [0.0] * n)[index] += value

    histograms: list[dict[int, int]] = [{} for _ in range(n)]
    by_workflow = split == "workflow"
    if by_workflow:  # a series per workflow, named in the order the hours meet them
        rows = conn.execute("SELECT hour / ?, service_name, latency_bucket, traces, errors, tokens FROM trace_hours"
                            f" WHERE {where}", [per, *params])
    else:
        # One series: the hours' rows summed per bar and latency bucket in SQL, so Python reads a row
        # per bar and bucket, not one per hour, workflow and bucket (a busy store fills every bucket).
        rows = conn.execute("SELECT hour / ? AS bar, '', latency_bucket, SUM(traces), SUM(errors), SUM(tokens)"
                            f" FROM trace_hours WHERE {where} GROUP BY bar, latency_bucket", [per, *params])
    for bar, service, latency_bucket, traces, errors, tokens in rows:
        i = bar - first
        name = (service or "(none)") if by_workflow else "all"
        add("traces", name, i, traces)
        add("errors", name, i, errors)
        if split is None:
            add("tokens", name, i, tokens)
        if latency_bucket >= 0 and traces:
            histograms[i][latency_bucket] = histograms[i].get(latency_bucket, 0) + traces
    usage_where, usage_params = where, list(params)
    usage_where = usage_where.replace("hour BETWEEN", "u.hour BETWEEN").replace("service_name =", "u.service_name =")
    for column, value in (("model", filters.model), ("provider", filters.provider)):
        if value is not None:
            usage_where += f" AND u.{column} = ?"
            usage_params.append(value)
    for row in conn.execute(
            priced("usage_hours", usage_where, "u.hour, u.service_name, u.provider, u.model, SUM(u.calls),"
                   f" SUM(u.input_tokens + u.output_tokens), {COST_SQL}, {UNPRICED_SQL}")
            + " GROUP BY u.hour, u.service_name, u.provider, u.model", usage_params):
        hour, service, provider, model, calls, tokens, cost, unpriced = row
        i = hour // per - first
        name = (service or "(none)") if by_workflow else (model or "(unknown model)") if split == "model" else "all"
        add("calls", name, i, calls)
        add("cost", name, i, cost or 0.0)
        if split is not None:
            add("tokens", name, i, tokens)
        view.unpriced_calls += unpriced or 0
    for i, counts in enumerate(histograms):
        for measure, q in (("p50_ms", 0.5), ("p95_ms", 0.95)):
            add(measure, "all", i, _histogram_percentile(counts, q) or 0.0)
    return view
