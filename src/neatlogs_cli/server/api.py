"""The JSON API the pages use and users can script.

    GET /api/sessions?limit=50&q=TEXT&...  sessions, filtered and sorted (``neatlogs_cli.filters``)
    GET /api/sessions/{id}               one session's totals and its traces in order, with spans
    GET /api/sessions/{id}/summary       its totals alone (what a running page polls)
    GET /api/traces?limit=50&...         traces, filtered and sorted, with their session or null
    GET /api/traces/{id}                 one trace's spans in start order
    GET /api/overview?range=7d&bucket=day&split=model   the Overview's figures per bucket
    GET /api/users?range=...             end users: sessions, last activity, tokens, cost

The lists' filter parameters are ``neatlogs_cli.filters``'; a bad one is a 400 naming it.
"""

from __future__ import annotations

from typing import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse

from neatlogs import store

from .. import reports
from ..filters import TRACE_SORTS, FilterError, parse_filters
from .store_access import request_reader

__all__ = [
    "MAX_LIMIT",
    "get_session",
    "get_session_summary",
    "get_trace",
    "get_overview",
    "list_sessions",
    "list_traces",
    "list_users",
    "overview_options",
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
    """GET /api/sessions: sessions matching the filters, most recent activity first unless sorted."""
    try:
        filters = parse_filters(request.query_params)
    except FilterError as error:
        return _error(400, str(error))
    sessions = reports.list_sessions(request_reader(request), filters)
    return JSONResponse({"sessions": [s.to_json() for s in sessions]})


def list_traces(request: Request) -> JSONResponse:
    """GET /api/traces: traces matching the filters, with or without a session."""
    try:
        filters = parse_filters(request.query_params, sorts=TRACE_SORTS)
    except FilterError as error:
        return _error(400, str(error))
    traces = reports.list_traces(request_reader(request), filters)
    return JSONResponse({"traces": [t.to_json() for t in traces]})


def overview_options(params: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The Overview's ``bucket`` (hour, day) and ``split`` (model, workflow) parameters.

    Raises:
        FilterError: a value is not one of those.
    """
    bucket, split = params.get("bucket") or None, params.get("split") or None
    if bucket not in (None, "hour", "day"):
        raise FilterError("bucket", f"expected hour or day, got {bucket!r}")
    if split not in (None, "model", "workflow"):
        raise FilterError("split", f"expected model or workflow, got {split!r}")
    return bucket, split


def get_overview(request: Request) -> JSONResponse:
    """GET /api/overview: traces, errors, tokens, cost and latency per hour or day."""
    try:
        filters = parse_filters(request.query_params)
        bucket, split = overview_options(request.query_params)
    except FilterError as error:
        return _error(400, str(error))
    return JSONResponse(reports.overview(request_reader(request), filters, bucket, split).to_json())


def list_users(request: Request) -> JSONResponse:
    """GET /api/users: end users by most recent activity."""
    try:
        filters = parse_filters(request.query_params, default_limit=100)
    except FilterError as error:
        return _error(400, str(error))
    return JSONResponse({"users": [u.to_json() for u in reports.list_users(request_reader(request), filters)]})


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
