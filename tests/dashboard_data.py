"""A small store with known users, models, tags, errors and costs, for the dashboard's filter and cost tests.

Three sessions, their times counted back from now:

- ``alpha-session`` (30 minutes ago, workflow "support", user alice, tag vip, metadata plan=pro):
  two turns, each AGENT > LLM wrapper > LLM client call of openai gpt-4o, 1000 input tokens
  (400 of them cache reads) and 200 output tokens: $0.004 a call, $0.008 in all.
- ``beta-session`` (2 hours ago, workflow "sales", user bob): one anthropic call with a cache
  write (2000 input of which 1000 written to the cache, 100 output: $0.00825), ending in an error
  after 3 s.
- ``gamma-session`` (3 days ago, workflow "support"): a call of a model no price table knows,
  and one that reported its own cost ($0.5).
"""

from __future__ import annotations

import sqlite3
import time

from neatlogs import semconv, store

__all__ = ["ALPHA_CALL_COST", "BETA_COST", "GAMMA_OWN_COST", "build", "drop_version_7", "drop_version_8",
           "records"]

ALPHA_CALL_COST = (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6
BETA_COST = (1000 * 3 + 1000 * 3.75 + 100 * 15) / 1e6
GAMMA_OWN_COST = 0.5

_S = 1_000_000_000


def _turn(trace_no: int, session: str, start: int, *, service: str, provider: str, model: str,
          prompt: int, completion: int, cache_read: int = 0, cache_write: int = 0, user: str | None = None,
          extra: dict | None = None, error: bool = False, duration: int = _S, text: str = "hello") -> list:
    trace_id = f"{trace_no:032x}"
    ids = [f"{trace_no * 8 + i:016x}" for i in range(3)]
    common = {semconv.SESSION_ID: session, **({semconv.USER_ID: user} if user else {}), **(extra or {})}
    resource = {semconv.SERVICE_NAME: service}
    call = {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.LLM_PROVIDER: provider,
            semconv.LLM_MODEL_NAME: model, semconv.LLM_TOKEN_COUNT_PROMPT: prompt,
            semconv.LLM_TOKEN_COUNT_COMPLETION: completion, semconv.LLM_TOKEN_COUNT_TOTAL: prompt + completion}
    if cache_read:
        call[semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] = cache_read
    if cache_write:
        call[semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] = cache_write
    wrapper = {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.LLM_MODEL_NAME: model,
               semconv.LLM_TOKEN_COUNT_TOTAL: prompt + completion}  # repeats its child's tokens
    status = "ERROR" if error else "OK"
    return [  # children first, as an exporter sends them
        store.SpanRecord(trace_id, ids[2], ids[1], f"chat {model}", start + 2000, start + duration - 2000, kind="LLM",
                         span_kind="CLIENT", status_code=status, attributes=call, resource=resource),
        store.SpanRecord(trace_id, ids[1], ids[0], "respond", start + 1000, start + duration - 1000, kind="LLM",
                         attributes=wrapper, resource=resource),
        store.SpanRecord(trace_id, ids[0], None, "support_turn", start, start + duration, kind="AGENT",
                         status_code=status,
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT",
                                     semconv.INPUT_VALUE: text, semconv.OUTPUT_VALUE: f"reply to {text}"},
                         resource=resource),
    ]


def records(now_ns: int | None = None) -> list[store.SpanRecord]:
    """The three sessions' spans (see the module docstring)."""
    now = now_ns if now_ns is not None else time.time_ns()
    alpha = {semconv.TAG_TAGS: ("vip", "beta-tester"), semconv.METADATA: '{"plan": "pro"}'}
    spans: list[store.SpanRecord] = []
    for n in range(2):
        spans += _turn(1 + n, "alpha-session", now - 1800 * _S + n * 60 * _S, service="support", provider="openai",
                       model="gpt-4o", prompt=1000, completion=200, cache_read=400, user="alice", extra=alpha,
                       text=f"where is parcel number {n}")
    spans += _turn(3, "beta-session", now - 7200 * _S, service="sales", provider="anthropic",
                   model="claude-3-5-sonnet-20241022", prompt=2000, completion=100, cache_write=1000, user="bob",
                   error=True, duration=3 * _S, text="refund my order")
    spans += _turn(4, "gamma-session", now - 3 * 86400 * _S, service="support", provider="acme",
                   model="acme-unknown-1", prompt=50, completion=50, text="anything")
    spans += _turn(5, "gamma-session", now - 3 * 86400 * _S + 60 * _S, service="support", provider="openai",
                   model="gpt-4o", prompt=10, completion=10, extra={semconv.LLM_COST_TOTAL: GAMMA_OWN_COST},
                   text="priced already")
    return spans


def build(path: str, now_ns: int | None = None) -> str:
    """Write the store at ``path``; return the path."""
    conn = store.connect(path)
    store.insert_spans(conn, records(now_ns))
    conn.close()
    return path


def drop_version_8(raw: sqlite3.Connection) -> None:
    """Take away what schema version 8 added (a file as version 7 left it, once ``user_version`` says 7)."""
    raw.execute("ALTER TABLE traces DROP COLUMN turn_start")


def drop_version_7(raw: sqlite3.Connection) -> None:
    """Take away what schema versions 7 and later added (a file as version 6 left it, once ``user_version`` says 6)."""
    drop_version_8(raw)
    for index in ("sessions_tokens", "sessions_window", "sessions_users"):
        raw.execute(f"DROP INDEX {index}")
    raw.execute("DROP TRIGGER labels_sessions")
    raw.execute("DROP TABLE session_labels")
