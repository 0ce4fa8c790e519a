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
from urllib.parse import parse_qs, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from neatlogs import semconv, store

from ..conversation import content_parts
from ..timeline import RUNNING_WINDOW_NS, build_turns, is_running, span_messages
from .api import parse_limit
from .auth import KEY_COOKIE, KeyCheck
from .markup import is_image_data_url, is_long, render_markdown
from .store_access import request_reader

__all__ = [
    "SECURITY_HEADERS",
    "login_form",
    "login_submit",
    "session_page",
    "sessions_page",
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
                return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
            except ValueError:
                return value
        return value
    return json.dumps(value, ensure_ascii=False)


_environment.filters["time"] = _format_time
_environment.filters["ms"] = _format_ms
_environment.filters["pretty"] = _pretty
_environment.filters["markdown"] = render_markdown
_environment.filters["is_long"] = is_long
_environment.filters["is_image_data_url"] = is_image_data_url
_environment.globals["content_parts"] = content_parts
_environment.globals["semconv"] = semconv
_environment.globals["span_messages"] = span_messages
_environment.globals["live_seconds"] = RUNNING_WINDOW_NS // 1_000_000_000


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` into an HTML response with the security headers."""
    html = _environment.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def sessions_page(request: Request) -> Response:
    """GET /: recent sessions, newest first, with a search box."""
    search = request.query_params.get("q", "").strip()
    try:
        limit = parse_limit(request.query_params.get("limit"), default=100)
    except ValueError as error:
        return render("error.html", status=400, message=str(error))
    sessions = store.list_sessions(request_reader(request), limit=limit, search=search or None)
    return render("sessions.html", sessions=sessions, search=search, limit=limit)


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
    session_id = request.path_params["session_id"]
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
    return render("session.html", session=session, turns=turns, running=is_running(session), earlier=earlier,
                  paged=before is not None)


def traces_page(request: Request) -> Response:
    """GET /traces: recent traces, newest first, each with its session or "no session"."""
    try:
        limit = parse_limit(request.query_params.get("limit"), default=100)
    except ValueError as error:
        return render("error.html", status=400, message=str(error))
    traces = store.list_traces(request_reader(request), limit=limit)
    return render("traces.html", traces=traces, limit=limit)


def trace_page(request: Request) -> Response:
    """GET /traces/{id}: one trace's span tree as a waterfall."""
    trace_id = request.path_params["trace_id"]
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
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0]
    target = _safe_next((form.get("next") or ["/"])[0])
    if not key_check.key_matches(key) or key_check.cookie_value is None:
        message = "That key is not the one this server was started with."
        return render("login.html", status=401, next=target, message=message)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(KEY_COOKIE, key_check.cookie_value, httponly=True, samesite="strict", path="/")
    return response
