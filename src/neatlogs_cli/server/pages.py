"""The dashboard's HTML pages: sessions list, session timeline, traces list, trace, and the key form.

Templates render with Jinja2 autoescaping on, so every value a program supplied (session
ids, prompts, replies, attribute values) reaches the browser as text, never as markup;
chat messages are Markdown rendered with raw HTML off (``markup.py``). The pages' script
sets ``textContent`` and inserts HTML only the server rendered.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from neatlogs import semconv, store
from neatlogs.store import bounded_json
from neatlogs.store.rollup import span_cost, usage_key

from .. import reports
from ..conversation import content_parts
from ..filters import RANGES, SESSION_SORTS, TRACE_SORTS, FilterError, parse_filters
from ..pricing import format_cost, format_tokens, price_call, tokens_reported
from ..timeline import RUNNING_WINDOW_NS, build_turns, is_running, span_messages
from .auth import KEY_COOKIE, KeyCheck
from .markup import is_image_data_url, is_long, render_markdown
from .store_access import request_reader

__all__ = [
    "SECURITY_HEADERS",
    "login_form",
    "login_submit",
    "session_page",
    "sessions_page",
    "tidy_url",
    "trace_page",
    "traces_page",
]

SECURITY_HEADERS = {
    # Scripts only from our own static files: even a missed escape could not run code.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
"""Headers every page carries."""

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("neatlogs_cli.server") / "templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _format_time(ns: int | None) -> str:
    if not ns:
        return ""
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def _format_ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _pretty(value: Any) -> str:
    """Attribute values that hold JSON are shown indented; anything else as is."""
    if isinstance(value, str):
        stripped = value.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                return json.dumps(bounded_json.loads(value), indent=2, ensure_ascii=False)
            except ValueError:  # not JSON, or nested too deep to read: shown as the text it is
                return value
        return value
    return json.dumps(value, ensure_ascii=False)


def _path_part(value: Any) -> str:
    """An id as one URL path segment: every ``/``, ``?``, ``#`` and ``%`` encoded."""
    return quote(str(value), safe="")


def session_href(session_id: str) -> str:
    """The link to a session's page: its id one encoded segment under ``/sessions/``.

    An id a browser would resolve as a dot segment (``.``, ``..``) or an empty one goes in
    the query instead, so no id links anywhere but its own page.
    """
    if session_id.strip(".") == "":
        return "/sessions/?id=" + _path_part(session_id)
    return "/sessions/" + _path_part(session_id)


def trace_href(trace_id: str) -> str:
    """The link to a trace's page (the same rule as :func:`session_href`)."""
    if trace_id.strip(".") == "":
        return "/traces/?id=" + _path_part(trace_id)
    return "/traces/" + _path_part(trace_id)


def api_href(kind: str, item_id: str, suffix: str = "", query: str = "") -> str:
    """A JSON API URL of one session or trace (``kind``), e.g. ``api_href("sessions", id, "/export")``.

    The id is one encoded segment; a dot or empty id goes in the query (``?id=``) instead.
    """
    if item_id.strip(".") == "":
        return f"/api/{kind}/{suffix}?id={_path_part(item_id)}" + (f"&{query}" if query else "")
    return f"/api/{kind}/{_path_part(item_id)}{suffix}" + (f"?{query}" if query else "")


def summary_href(session_id: str) -> str:
    """The JSON summary a live session page polls."""
    return api_href("sessions", session_id, "/summary")


def own_query(item_id: str) -> str:
    """What a page's own links must keep in their query: ``id=...`` for a dot or empty id."""
    return f"id={_path_part(item_id)}&" if item_id.strip(".") == "" else ""


_environment.filters["time"] = _format_time
_environment.filters["ms"] = _format_ms
_environment.filters["pretty"] = _pretty
_environment.globals["session_href"] = session_href
_environment.globals["trace_href"] = trace_href
_environment.globals["summary_href"] = summary_href
_environment.globals["api_href"] = api_href
_environment.globals["own_query"] = own_query
_environment.filters["markdown"] = render_markdown
_environment.filters["is_long"] = is_long
_environment.filters["is_image_data_url"] = is_image_data_url
_environment.globals["content_parts"] = content_parts
_environment.globals["semconv"] = semconv
_environment.globals["span_messages"] = span_messages
_environment.globals["live_seconds"] = RUNNING_WINDOW_NS // 1_000_000_000
_environment.globals["ranges"] = tuple(RANGES)
def _counts(row: Any) -> tuple[int, int | None]:
    """A list row's (tokens, model calls): a session's, a trace's or a user's (no call count)."""
    summary = getattr(row, "summary", row)
    return summary.token_count, getattr(row, "call_count", None)


_environment.filters["cost"] = lambda row: format_cost(row.cost, row.unpriced_calls, tokens_reported(*_counts(row)))
_environment.filters["tokens"] = lambda row: format_tokens(*_counts(row))
_environment.filters["opt_ms"] = lambda ms: _format_ms(ms) if ms is not None else ""


def _call_cost(row: Any, rows: list[Any], index: int) -> str:
    """A waterfall row's cost: its own reported cost, else its tokens priced.

    "" for a span that is no model call, or that only repeats a call beneath it (rows are in
    tree order: the rows after ``index`` deeper than it are its descendants).
    """
    attributes = row.span.attributes
    own = span_cost(attributes)
    if own is None and not row.tokens:
        return ""
    for below in rows[index + 1:]:
        if below.depth <= row.depth:
            break
        if below.tokens or span_cost(below.span.attributes) is not None:
            return ""
    counts = store.token_counts(attributes)
    provider, model = usage_key(attributes)
    cost = price_call(provider, model, counts.input if counts else 0, counts.output if counts else 0,
                      _int_attribute(attributes, semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ,
                                     semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
                      _int_attribute(attributes, semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE,
                                     semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS), own_cost=own)
    return format_cost(cost)


def _int_attribute(attributes: dict[str, Any], *keys: str) -> int:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


_environment.filters["call_cost"] = _call_cost


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` into an HTML response with the security headers."""
    html = _environment.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _filter_options(conn: Any) -> dict[str, list[str]]:
    """The values the filter bar offers in its lists: workflows, models, providers (small tables)."""
    models = conn.execute("SELECT DISTINCT provider, model FROM usage_hours").fetchall()
    return {
        "workflows": sorted({r[0] for r in conn.execute("SELECT DISTINCT service_name FROM trace_hours") if r[0]}),
        "models": sorted({r[1] for r in models if r[1]}),
        "providers": sorted({r[0] for r in models if r[0]}),
    }


def tidy_url(request: Request) -> Response | None:
    """A redirect to the same page without the empty parameters a submitted filter form adds, or None.

    So the address to bookmark or share names only the filters in use.
    """
    params = request.query_params
    if not any(value.strip() == "" for value in params.values()):
        return None
    kept = urlencode([(k, v) for k, v in params.multi_items() if v.strip()])
    return RedirectResponse(request.url.path + (f"?{kept}" if kept else ""), status_code=303)


def sessions_page(request: Request) -> Response:
    """GET /: sessions, most recent activity first, under a filter bar (its values in the URL)."""
    tidy = tidy_url(request)
    if tidy is not None:
        return tidy
    try:
        filters = parse_filters(request.query_params, default_limit=100)
    except FilterError as error:
        return render("error.html", status=400, message=str(error))
    conn = request_reader(request)
    sessions = reports.list_sessions(conn, filters)
    return render("sessions.html", sessions=sessions, filters=filters, search=filters.q or "", limit=filters.limit,
                  sorts=SESSION_SORTS, options=_filter_options(conn), action="/")


SESSION_PAGE_TURNS = 50
"""Turns a session page shows at once; earlier ones load on demand."""


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def session_page(request: Request) -> Response:
    """GET /sessions/{id}: the conversation timeline, its latest turns first loaded.

    ``?before=NS&upto=N`` shows the turns before the root starting at NS (numbered up to N);
    ``?after=NS&from=N`` the turns from the one starting at NS on (what a live page fetches).
    With ``&fragment=1`` only the turns' HTML is returned, for the page's script to insert.
    """
    session_id = request.path_params["session_id"] or request.query_params.get("id", "")
    try:
        before, after = _query_int(request, "before"), _query_int(request, "after")
        upto, first = _query_int(request, "upto"), _query_int(request, "from")
    except ValueError as error:
        return render("error.html", status=400, message=str(error))
    found = store.get_session_page(request_reader(request), session_id, turns=SESSION_PAGE_TURNS,
                                   before_ns=before, after_ns=after)
    if found is None:
        return render("error.html", status=404, message=f"No session {session_id!r} in this store.")
    session, has_earlier = found
    turns = build_turns(session.traces)
    if after is not None:
        start = first or 1
    else:
        last = upto if upto is not None else max(session.turn_count, len(turns))
        start = max(last - len(turns) + 1, 1)
    for offset, turn in enumerate(turns):
        turn.index = start + offset
    earlier = None
    if has_earlier and turns and after is None:
        # A string: nanoseconds since 1970 are past JavaScript's exact integers (2**53).
        earlier = {"before": str(turns[0].root.start_time_ns), "upto": max(turns[0].index - 1, 1)}
    if request.query_params.get("fragment"):
        html = _environment.get_template("_turns.html").render(turns=turns)
        headers = {**SECURITY_HEADERS, "x-neatlogs-earlier": json.dumps(earlier) if earlier else ""}
        return HTMLResponse(html, headers=headers)
    totals = reports.session_totals(request_reader(request), session_id)
    return render("session.html", session=session, turns=turns, running=is_running(session), earlier=earlier,
                  paged=before is not None, totals=totals)


def traces_page(request: Request) -> Response:
    """GET /traces: traces, newest first, each with its session or "no session", under the filter bar."""
    try:
        filters = parse_filters(request.query_params, sorts=TRACE_SORTS, default_limit=100)
    except FilterError as error:
        return render("error.html", status=400, message=str(error))
    conn = request_reader(request)
    traces = reports.list_traces(conn, filters)
    return render("traces.html", traces=traces, filters=filters, limit=filters.limit, sorts=TRACE_SORTS,
                  options=_filter_options(conn), action="/traces")


def trace_page(request: Request) -> Response:
    """GET /traces/{id}: one trace's span tree as a waterfall."""
    trace_id = request.path_params["trace_id"] or request.query_params.get("id", "")
    trace = store.get_trace(request_reader(request), trace_id)
    if trace is None:
        return render("error.html", status=404, message=f"No trace {trace_id!r} in this store.")
    turn = build_turns([trace])[0]
    session_id = next((s.session_id for s in trace.spans if s.session_id), None)
    return render("trace.html", turn=turn, session_id=session_id)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: the form must not become an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def login_form(request: Request, status: int = 401, message: str | None = None) -> Response:
    """The form asking for the dashboard's API key (shown instead of a page when it is missing)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.url.path == "/login":
        target = request.query_params.get("next", "/")
    return render("login.html", status=status, next=_safe_next(target), message=message)


async def login_submit(request: Request) -> Response:
    """POST /login: check the key and set the login cookie."""
    key_check: KeyCheck = request.app.state.key_check
    client = request.client.host if request.client else ""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0]
    target = _safe_next((form.get("next") or ["/"])[0])
    if not key_check.throttle.allowed(client):
        # Refused before the key is compared: a throttled guess learns nothing.
        wait = key_check.throttle.wait(client)
        message = f"Too many wrong keys: wait {wait} s before trying again."
        response = render("login.html", status=429, next=target, message=message)
        response.headers["retry-after"] = str(wait)
        return response
    if not key_check.key_matches(key) or key_check.cookie_value is None:
        key_check.throttle.failed(client)
        message = "That key is not the one this server was started with."
        return render("login.html", status=401, next=target, message=message)
    key_check.throttle.succeeded(client)
    redirect = RedirectResponse(target, status_code=303)
    redirect.set_cookie(KEY_COOKIE, key_check.cookie_value, httponly=True, samesite="strict", path="/")
    return redirect
