"""The dashboard's downloads and deletes: a session or trace as JSON or OTLP JSON, the sessions list as CSV.

    GET    /api/sessions.csv?limit=&q=&...           the sessions list as CSV (the list's filters)
    GET    /api/sessions/{id}/export?format=json|otlp  a session, as a download
    GET    /api/traces/{id}/export?format=json|otlp    a trace, as a download
    DELETE /api/sessions/{id}                         delete a session (and its spans)
    DELETE /api/traces/{id}                           delete a trace (its session counted again)

A delete must carry ``x-neatlogs-confirm: delete``: a page of another site cannot send that
header without a CORS preflight, which this server never grants, so no cross-site form or
link deletes anything; the page's script asks the user first.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from neatlogs import store

from .. import reports
from ..filters import FilterError, parse_filters
from ..transfer import otlp_json, sessions_csv
from .store_access import StoreAccess, request_reader

__all__ = ["CONFIRM_HEADER", "delete_session", "delete_trace", "export_session", "export_trace", "sessions_list_csv"]

CONFIRM_HEADER = "x-neatlogs-confirm"


def _download(document: Any, name: str, fmt: str) -> Response:
    body = json.dumps(document, indent=2, ensure_ascii=False).encode()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
    suffix = ".otlp.json" if fmt == "otlp" else ".json"
    return Response(body, media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="neatlogs-{safe}{suffix}"'})


def _format(request: Request) -> str | None:
    fmt = request.query_params.get("format", "json")
    return fmt if fmt in ("json", "otlp") else None


def _bad_format(request: Request) -> JSONResponse:
    given = request.query_params.get("format")
    return JSONResponse({"error": f"format must be json or otlp, not {given!r}"}, status_code=400)


def export_session(request: Request) -> Response:
    """GET /api/sessions/{id}/export: the whole session as a download."""
    fmt = _format(request)
    if fmt is None:
        return _bad_format(request)
    session_id = request.path_params["session_id"] or request.query_params.get("id", "")
    session = store.get_session(request_reader(request), session_id)
    if session is None:
        return JSONResponse({"error": f"no session {session_id!r}"}, status_code=404)
    spans = [s for t in session.traces for s in t.spans]
    return _download(otlp_json(spans) if fmt == "otlp" else session.to_json(), f"session-{session_id}", fmt)


def export_trace(request: Request) -> Response:
    """GET /api/traces/{id}/export: one trace as a download."""
    fmt = _format(request)
    if fmt is None:
        return _bad_format(request)
    trace_id = request.path_params["trace_id"] or request.query_params.get("id", "")
    trace = store.get_trace(request_reader(request), trace_id)
    if trace is None:
        return JSONResponse({"error": f"no trace {trace_id!r}"}, status_code=404)
    return _download(otlp_json(trace.spans) if fmt == "otlp" else trace.to_json(), f"trace-{trace_id}", fmt)


def sessions_list_csv(request: Request) -> Response:
    """GET /api/sessions.csv: the sessions list (same parameters as /api/sessions) as CSV."""
    try:
        filters = parse_filters(request.query_params, default_limit=1000)
    except FilterError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    sessions = reports.list_sessions(request_reader(request), filters)
    return Response(sessions_csv(sessions), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="neatlogs-sessions.csv"'})


def _unconfirmed(request: Request) -> JSONResponse | None:
    if request.headers.get(CONFIRM_HEADER) != "delete":
        return JSONResponse({"error": f"a delete needs the header {CONFIRM_HEADER}: delete"}, status_code=403)
    return None


def delete_session(request: Request) -> JSONResponse:
    """DELETE /api/sessions/{id}."""
    refused = _unconfirmed(request)
    if refused is not None:
        return refused
    session_id = request.path_params["session_id"] or request.query_params.get("id", "")
    access: StoreAccess = request.app.state.store
    if store.get_session_summary(request_reader(request), session_id) is None:
        return JSONResponse({"error": f"no session {session_id!r}"}, status_code=404)
    deleted = access.maintain(lambda conn: store.delete_session(conn, session_id))
    return JSONResponse({"deleted": "session", "id": session_id, "spans": deleted})


def delete_trace(request: Request) -> JSONResponse:
    """DELETE /api/traces/{id}."""
    refused = _unconfirmed(request)
    if refused is not None:
        return refused
    trace_id = request.path_params["trace_id"] or request.query_params.get("id", "")
    access: StoreAccess = request.app.state.store
    deleted = access.maintain(lambda conn: store.delete_trace(conn, trace_id))
    if not deleted:
        return JSONResponse({"error": f"no trace {trace_id!r}"}, status_code=404)
    return JSONResponse({"deleted": "trace", "id": trace_id, "spans": deleted})
