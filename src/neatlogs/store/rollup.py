"""The store's rollups: per-trace totals, model usage, labels and hourly figures, kept as spans arrive.

The dashboard's lists, filters, costs and charts read these small tables instead of the
spans, so they stay fast on a big store. The writer feeds each new span to a
:class:`Rollup` inside its transaction; the schema migration and the maintenance commands
rebuild them from stored spans with :func:`rebuild` (the same rules, trace by trace).

What is recorded is only what pricing needs (provider, model, input, output, cache-read and
cache-write tokens, calls, a cost the span carries itself): prices are computed on the
reading side, so no pricing library is ever loaded into a traced program. A model call
counts once: only the innermost span reporting tokens (or being a model call) adds to usage.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any, Iterable

from .. import semconv
from .records import SpanRecord, TokenCounts, token_counts
from .turns import is_model_call, is_step, starts_turn

__all__ = [
    "CALL",
    "FLAGS_LIMIT",
    "HOUR_NS",
    "LATENCY_BUCKETS_PER_DOUBLING",
    "TOKENS",
    "Rollup",
    "forget",
    "latency_bucket",
    "rebuild",
    "span_cost",
    "usage_key",
]

HOUR_NS = 3_600_000_000_000
"""The hourly tables' bucket width."""

LATENCY_BUCKETS_PER_DOUBLING = 8
"""Resolution of the hourly latency histogram: a bucket is 2**(1/8) wide (about 9%)."""

_PROVIDER_KEYS = (semconv.LLM_PROVIDER, semconv.GEN_AI_PROVIDER_NAME, semconv.LLM_SYSTEM)
_MODEL_KEYS = (semconv.LLM_MODEL_NAME, semconv.GEN_AI_RESPONSE_MODEL, semconv.GEN_AI_REQUEST_MODEL)
_CACHE_READ_KEYS = (semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ, semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
_CACHE_WRITE_KEYS = (semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE, semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)

TOKENS = 1
"""Flag: the span reports tokens or has a descendant that does."""
CALL = 2
"""Flag: the span is a model call or has a descendant that is."""

FLAGS_LIMIT = 200_000
"""Spans remembered as having a descendant already seen; beyond this the oldest are forgotten."""


def _first(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def _count(attributes: dict[str, Any], keys: tuple[str, ...]) -> int:
    value = _first(attributes, keys)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_key(attributes: dict[str, Any]) -> tuple[str, str]:
    """The ``(provider, model)`` a model call's usage is filed under ("" when unknown)."""
    provider, model = _first(attributes, _PROVIDER_KEYS), _first(attributes, _MODEL_KEYS)
    return str(provider or "").lower(), str(model or "")


def span_cost(attributes: dict[str, Any]) -> float | None:
    """The cost in USD a span already carries (``llm.cost.*``, ``gen_ai.usage.cost``), or None."""
    total = attributes.get(semconv.LLM_COST_TOTAL)
    if total is None:
        parts = [attributes.get(semconv.LLM_COST_PROMPT), attributes.get(semconv.LLM_COST_COMPLETION)]
        numbers = [p for p in parts if isinstance(p, (int, float)) and not isinstance(p, bool)]
        total = sum(numbers) if numbers else attributes.get(semconv.GEN_AI_USAGE_COST)
    if isinstance(total, (int, float)) and not isinstance(total, bool) and math.isfinite(total):
        return float(total)
    return None


STEP = -1
"""``traces.turn_start`` of a trace whose root is a step (an embedding, a retrieval): it lengthens no turn."""


def latency_bucket(duration_ns: int) -> int:
    """The hourly histogram's bucket of a duration (bucket 0 holds everything up to 1 ms)."""
    ms = duration_ns / 1e6
    return 0 if ms <= 1 else int(math.log2(ms) * LATENCY_BUCKETS_PER_DOUBLING) + 1


def _labels(attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """A span's tags (``tag``) and metadata entries (``meta.KEY``) as (key, value) pairs."""
    found: list[tuple[str, str]] = []
    tags = attributes.get(semconv.TAG_TAGS)
    if isinstance(tags, str):
        try:
            tags = json.loads(tags) if tags.startswith("[") else [tags]
        except ValueError:
            tags = [tags]
    if isinstance(tags, (list, tuple)):
        found += [("tag", str(t)) for t in tags if t is not None]
    metadata = attributes.get(semconv.METADATA)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            found.append((f"meta.{key}", text[:200]))
    return found


def _sum_into(table: dict[Any, list[Any]], key: Any, session_key: str, figures: tuple[Any, ...]) -> None:
    row = table.get(key)
    if row is None:
        table[key] = [session_key, *figures]
    else:
        for i, n in enumerate(figures, 1):
            row[i] += n


class Rollup:
    """What one transaction's new spans add to the rollup tables; :meth:`write` applies it.

    Args:
        flags: the "below" flags (:data:`TOKENS`, :data:`CALL`) of spans with a descendant
            already seen, keyed by (trace id, span id); children come before their parents,
            so a parent's flags are known when it arrives. The writer keeps one across batches.
    """

    def __init__(self, flags: dict[tuple[str, str], int] | None = None) -> None:
        self.flags = flags if flags is not None else {}
        self.traces: dict[str, list[Any]] = {}
        self.usage: dict[Any, list[Any]] = {}
        self.labels: set[tuple[str, str, str, str]] = set()
        self.trace_hours: dict[tuple[int, str, int], list[int]] = {}
        self.usage_hours: dict[Any, list[Any]] = {}
        self.session_usage: dict[Any, list[Any]] = {}
        self.sessions: dict[str, list[Any]] = {}

    def add(self, r: SpanRecord, session_key: str, starts_turn: bool = True) -> int:
        """Account for one new span; returns the tokens it adds to its session (0 for a wrapper).

        ``starts_turn``: for a root, whether it begins a turn (``store.turns.starts_turn``, which
        the caller has worked out already).
        """
        attributes = r.attributes
        counts = token_counts(attributes)
        reports = counts is not None and bool(counts.total)
        call = reports or is_model_call(r)
        below = self.flags.pop((r.trace_id, r.span_id), 0)
        mine = (TOKENS if reports else 0) | (CALL if call else 0) | below
        if mine and r.parent_span_id is not None:
            key = (r.trace_id, r.parent_span_id)
            if len(self.flags) >= FLAGS_LIMIT and key not in self.flags:
                del self.flags[next(iter(self.flags))]
            self.flags[key] = self.flags.get(key, 0) | mine
        tokens = counts.total if reports and counts is not None and not below & TOKENS else 0
        counted_call = call and not below & CALL
        root = r.is_local_root
        service_name = r.service_name
        service = service_name or ""
        hour = r.start_time_ns // HOUR_NS
        error = r.status_code == "ERROR"
        user = attributes.get(semconv.USER_ID)
        user = str(user) if user is not None else None
        t = self.traces.get(r.trace_id)
        if t is None:
            # session, name, service, start, end, latency, spans, errors, tokens, calls, user, no_session,
            # turn_start
            t = self.traces[r.trace_id] = [session_key, None, service_name, r.start_time_ns, r.end_time_ns,
                                           None, 0, 0, 0, 0, user, int(r.session_id is None), None]
        t[3], t[4] = min(t[3], r.start_time_ns), max(t[4], r.end_time_ns)
        t[6] += 1
        t[7] += error
        t[8] += tokens
        t[9] += counted_call
        t[10] = t[10] or user
        if root and t[0] == session_key:
            # A trace crossing sessions (a back end continuing it under its own conversation) has one
            # row, in the session of its first span: its name and latency are that session's root's.
            t[1], t[2], t[5] = r.name, service_name or t[2], r.end_time_ns - r.start_time_ns
            t[12] = 1 if starts_turn else STEP if is_step(r) else 0
        s = self.sessions.setdefault(session_key, [None, 0, 0])  # user, calls, longest trace
        s[0] = s[0] or user
        s[1] += counted_call
        if root:
            s[2] = max(s[2], r.end_time_ns - r.start_time_ns)
        h = self.trace_hours.setdefault((hour, service, latency_bucket(r.end_time_ns - r.start_time_ns)
                                         if root else -1), [0, 0, 0])
        h[0] += root
        h[1] += error
        h[2] += tokens
        for label, value in _labels(attributes):
            self.labels.add((r.trace_id, label, value, session_key))
        if counted_call:
            self._add_usage(r, session_key, hour, service, counts if tokens else None)
        return tokens

    def _add_usage(self, r: SpanRecord, session_key: str, hour: int, service: str,
                   counts: TokenCounts | None) -> None:
        attributes = r.attributes
        provider, model = usage_key(attributes)
        cost = span_cost(attributes)
        own = int(cost is not None)
        figures = (1, counts.input if counts else 0, counts.output if counts else 0,
                   _count(attributes, _CACHE_READ_KEYS) if counts else 0,
                   _count(attributes, _CACHE_WRITE_KEYS) if counts else 0, cost or 0.0)
        _sum_into(self.usage, (r.trace_id, provider, model, own), session_key, figures)
        _sum_into(self.usage_hours, (hour, service, provider, model, own), session_key, figures)
        _sum_into(self.session_usage, (session_key, provider, model, own), session_key, figures)

    def write(self, conn: sqlite3.Connection) -> None:
        """Apply the figures to the rollup tables (inside the caller's transaction)."""
        conn.executemany(
            """INSERT INTO traces (trace_id, session_id, name, service_name, start_ns, end_ns, latency_ns,
                                  span_count, error_count, token_count, call_count, user_id, no_session,
                                  turn_start)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(trace_id) DO UPDATE SET priced = 0,
                 name = CASE WHEN excluded.session_id = traces.session_id
                             THEN COALESCE(excluded.name, traces.name) ELSE traces.name END,
                 service_name = COALESCE(traces.service_name, excluded.service_name),
                 start_ns = MIN(traces.start_ns, excluded.start_ns), end_ns = MAX(traces.end_ns, excluded.end_ns),
                 latency_ns = CASE WHEN excluded.session_id = traces.session_id
                                   THEN COALESCE(excluded.latency_ns, traces.latency_ns) ELSE traces.latency_ns END,
                 turn_start = CASE WHEN excluded.session_id = traces.session_id
                                   THEN COALESCE(excluded.turn_start, traces.turn_start) ELSE traces.turn_start END,
                 span_count = traces.span_count + excluded.span_count,
                 error_count = traces.error_count + excluded.error_count,
                 token_count = traces.token_count + excluded.token_count,
                 call_count = traces.call_count + excluded.call_count,
                 user_id = COALESCE(traces.user_id, excluded.user_id)""",
            [(trace_id, *t) for trace_id, t in self.traces.items()],
        )
        conn.executemany(
            """INSERT INTO usage VALUES (?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(trace_id, provider, model, own_cost) DO UPDATE SET
                 calls = usage.calls + excluded.calls,
                 input_tokens = usage.input_tokens + excluded.input_tokens,
                 output_tokens = usage.output_tokens + excluded.output_tokens,
                 cache_read_tokens = usage.cache_read_tokens + excluded.cache_read_tokens,
                 cache_write_tokens = usage.cache_write_tokens + excluded.cache_write_tokens,
                 cost = usage.cost + excluded.cost""",
            [(*key, *row) for key, row in self.usage.items()],
        )
        conn.executemany("INSERT OR IGNORE INTO labels VALUES (?,?,?,?)", sorted(self.labels))
        conn.executemany(
            """INSERT INTO trace_hours VALUES (?,?,?,?,?,?)
               ON CONFLICT(hour, service_name, latency_bucket) DO UPDATE SET
                 traces = trace_hours.traces + excluded.traces, errors = trace_hours.errors + excluded.errors,
                 tokens = trace_hours.tokens + excluded.tokens""",
            [(*key, *row) for key, row in self.trace_hours.items()],
        )
        conn.executemany(
            """INSERT INTO usage_hours VALUES (?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(hour, service_name, provider, model, own_cost) DO UPDATE SET
                 calls = usage_hours.calls + excluded.calls,
                 input_tokens = usage_hours.input_tokens + excluded.input_tokens,
                 output_tokens = usage_hours.output_tokens + excluded.output_tokens,
                 cache_read_tokens = usage_hours.cache_read_tokens + excluded.cache_read_tokens,
                 cache_write_tokens = usage_hours.cache_write_tokens + excluded.cache_write_tokens,
                 cost = usage_hours.cost + excluded.cost""",
            [(*key, *row[1:]) for key, row in self.usage_hours.items()],
        )
        conn.executemany(
            """INSERT INTO session_usage VALUES (?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(session_id, provider, model, own_cost) DO UPDATE SET
                 calls = session_usage.calls + excluded.calls,
                 input_tokens = session_usage.input_tokens + excluded.input_tokens,
                 output_tokens = session_usage.output_tokens + excluded.output_tokens,
                 cache_read_tokens = session_usage.cache_read_tokens + excluded.cache_read_tokens,
                 cache_write_tokens = session_usage.cache_write_tokens + excluded.cache_write_tokens,
                 cost = session_usage.cost + excluded.cost""",
            [(*key, *row[1:]) for key, row in self.session_usage.items()],
        )
        conn.executemany(
            """UPDATE sessions SET priced = 0, user_id = COALESCE(user_id, ?), call_count = call_count + ?,
                                   max_latency_ns = MAX(max_latency_ns, ?) WHERE session_id = ?""",
            [(*s, session_id) for session_id, s in self.sessions.items()],
        )


def forget(conn: sqlite3.Connection, spans: list[SpanRecord], column: str, keys: list[str]) -> None:
    """Take deleted spans out of the rollups: their traces' rows go, their hourly figures are subtracted.

    ``column`` is ``session_id`` or ``trace_id``, the rows of ``keys`` to drop. Sessions still
    holding traces get their user, model calls and longest trace again from what is left.
    """
    by_hour = Rollup()
    sessions = {s.trace_id: s.trace_id for s in spans}
    for trace_id, members in _deepest_first(spans):
        for span in members:
            by_hour.add(span, sessions[trace_id])
    conn.executemany("UPDATE trace_hours SET traces = traces - ?, errors = errors - ?, tokens = tokens - ? "
                     "WHERE hour = ? AND service_name = ? AND latency_bucket = ?",
                     [(*row, *key) for key, row in by_hour.trace_hours.items()])
    conn.executemany(
        """UPDATE usage_hours SET calls = calls - ?, input_tokens = input_tokens - ?,
                  output_tokens = output_tokens - ?, cache_read_tokens = cache_read_tokens - ?,
                  cache_write_tokens = cache_write_tokens - ?, cost = cost - ?
           WHERE hour = ? AND service_name = ? AND provider = ? AND model = ? AND own_cost = ?""",
        [(*row[1:], *key) for key, row in by_hour.usage_hours.items()])
    touched = {r[0] for key in keys for r in conn.execute(f"SELECT session_id FROM traces WHERE {column} = ?", (key,))}
    for table in ("traces", "usage", "labels") + (("session_labels",) if column == "session_id" else ()):
        conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(key,) for key in keys])
    for sid in touched:  # what is left of each session's usage and labels, gathered again
        conn.execute("DELETE FROM session_labels WHERE session_id = ?", (sid,))
        conn.execute("INSERT INTO session_labels SELECT DISTINCT key, value, session_id FROM labels"
                     " WHERE session_id = ?", (sid,))
        conn.execute("DELETE FROM session_usage WHERE session_id = ?", (sid,))
        conn.execute("""INSERT INTO session_usage
                        SELECT session_id, provider, model, own_cost, SUM(calls), SUM(input_tokens),
                               SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(cost)
                        FROM usage WHERE session_id = ? GROUP BY provider, model, own_cost""", (sid,))
    conn.executemany(
        """UPDATE sessions SET priced = 0,
             user_id = (SELECT MAX(user_id) FROM traces WHERE traces.session_id = sessions.session_id),
             call_count = (SELECT COALESCE(SUM(call_count), 0) FROM traces
                           WHERE traces.session_id = sessions.session_id),
             max_latency_ns = (SELECT COALESCE(MAX(latency_ns), 0) FROM traces
                               WHERE traces.session_id = sessions.session_id)
           WHERE session_id = ?""", [(sid,) for sid in touched])


def _deepest_first(spans: Iterable[SpanRecord]) -> Iterable[tuple[str, list[SpanRecord]]]:
    """Each trace's spans, a parent after its children whatever their start times."""
    by_trace: dict[str, list[SpanRecord]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    for trace_id, members in by_trace.items():
        parents = {s.span_id: s.parent_span_id for s in members}

        def depth(span: SpanRecord, parents: dict[str, str | None] = parents) -> int:
            n, parent, seen = 0, span.parent_span_id, set()
            while parent is not None and parent in parents and parent not in seen:
                seen.add(parent)
                n, parent = n + 1, parents[parent]
            return n

        yield trace_id, sorted(members, key=depth, reverse=True)


def rebuild(conn: sqlite3.Connection, spans: Iterable[SpanRecord], session_of: dict[str, str],
            flags: dict[tuple[str, str], int] | None = None) -> None:
    """Add stored spans to the rollups, as the writer would have when they arrived.

    Used to fill the tables from spans stored before they existed (``store.backfill``).
    ``session_of`` maps a trace id to its session key. Each trace's spans are taken deepest
    first, so a parent comes after its children whatever their start times; ``flags`` (as
    :class:`Rollup` takes them) carries children's marks over to parents in a later call.
    """
    rollup = Rollup(flags if flags is not None else {})
    for trace_id, members in _deepest_first(spans):
        for span in members:
            rollup.add(span, session_of.get(trace_id, trace_id), span.is_local_root and starts_turn(span))
    rollup.write(conn)
