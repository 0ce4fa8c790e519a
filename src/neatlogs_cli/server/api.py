"""The JSON API the pages use and users can script.

    GET /api/sessions?limit=50&q=TEXT    recent sessions, newest first
    GET /api/sessions/{id}               one session's totals and its traces in order, with spans
    GET /api/sessions/{id}/summary       its totals alone (what a running page polls)
    GET /api/traces?limit=50             recent traces, newest first, with their session or null
    GET /api/traces/{id}                 one trace's spans in start order
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from neatlogs import store

from .store_access import request_reader

__all__ = [
    "MAX_LIMIT",
    "get_session",
    "get_session_summary",
    "get_trace",
    "list_sessions",
    "list_traces",
    "parse_limit",
]

MAX_LIMIT = 1000
"""Most sessions one list request returns."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def parse_limit(raw: str | None, default: int = 50) -> int:
    """Return the ``limit`` query value, clamped to 1..MAX_LIMIT.

    Raises:
        ValueError: the value is not a whole number (the message names it).
    """
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(f"limit must be a whole number, got {raw!r}")
    return max(1, min(int(raw), MAX_LIMIT))


def list_sessions(request: Request) -> JSONResponse:
    """GET /api/sessions: the most recently active sessions."""
    try:
        limit = parse_limit(request.query_params.get("limit"))
    except ValueError as error:
        return _error(400, str(error))
    search = request.query_params.get("q") or None
    sessions = store.list_sessions(request_reader(request), limit=limit, search=search)
    return JSONResponse({"sessions": [s.to_json() for s in sessions]})


def list_traces(request: Request) -> JSONResponse:
    """GET /api/traces: the most recent traces, with or without a session."""
    try:
        limit = parse_limit(request.query_params.get("limit"))
    except ValueError as error:
        return _error(400, str(error))
    traces = store.list_traces(request_reader(request), limit=limit)
    return JSONResponse({"traces": [t.to_json() for t in traces]})


def get_session(request: Request) -> JSONResponse:
    """GET /api/sessions/{id}: a session with its traces and spans."""
    session_id = request.path_params["session_id"] or request.query_params.get("id", "")
    session = store.get_session(request_reader(request), session_id)
    if session is None:
        return _error(404, f"no session {session_id!r}")
    return JSONResponse(session.to_json())


def get_session_summary(request: Request) -> JSONResponse:
    """GET /api/sessions/{id}/summary: a session's totals alone."""
    session_id = request.path_params["session_id"] or request.query_params.get("id", "")
    summary = store.get_session_summary(request_reader(request), session_id)
    if summary is None:
        return _error(404, f"no session {session_id!r}")
    return JSONResponse(summary.to_json())


def get_trace(request: Request) -> JSONResponse:
    """GET /api/traces/{id}: one trace's spans."""
    trace_id = request.path_params["trace_id"] or request.query_params.get("id", "")
    trace = store.get_trace(request_reader(request), trace_id)
    if trace is None:
        return _error(404, f"no trace {trace_id!r}")
    return JSONResponse(trace.to_json())
