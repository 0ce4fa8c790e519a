"""Assemble the Starlette app: collector, JSON API, pages, static files and the key gate."""

from __future__ import annotations

import contextlib
import sqlite3
from importlib import resources
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..defaults import COLLECTOR_MAX_BODY
from ..store_open import StoreProblem, describe
from . import api, manage, overview, pages
from .auth import API_KEY_HEADER, KEY_COOKIE, KeyCheck
from .collector import ByteBudget, collect_traces
from .retention import RetentionTask
from .store_access import ReadOnlyStore, StoreAccess

__all__ = ["BODY_BUDGET", "DECODE_BUDGET", "LOOPBACK_HOSTS", "create_app"]

BODY_BUDGET = 64 * 1024 * 1024
"""Bytes of request bodies all collector requests may hold at once (raised to ``max_body``)."""

DECODE_BUDGET = 24 * 1024 * 1024
"""Decoded bytes all collector requests may have in flight at once (raised to ``max_body``)."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
"""Host headers a loopback-bound server answers (others are refused: DNS rebinding)."""

# Paths reachable without the key: the collector checks the header itself, the form asks for it.
_OPEN_PREFIXES = ("/v1/", "/login", "/static/")


class _KeyGate:
    """ASGI middleware: with an API key set, pages and API need the header or the login cookie."""

    def __init__(self, app: Any, key_check: KeyCheck) -> None:
        self.app = app
        self.key_check = key_check

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.key_check.api_key is None or scope["path"].startswith(_OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        client = request.client.host if request.client else ""
        header, cookie = request.headers.get(API_KEY_HEADER), request.cookies.get(KEY_COOKIE)
        throttle = self.key_check.throttle
        if (header or cookie) and not throttle.allowed(client):
            # Throttled: refused before the key is even compared, so guesses learn nothing.
            wait = throttle.wait(client)
            response: Any = JSONResponse({"error": "too many wrong keys: wait before trying again"},
                                         status_code=429, headers={"retry-after": str(wait)})
            await response(scope, receive, send)
            return
        if self.key_check.browser_allowed(header, cookie):
            await self.app(scope, receive, send)
            return
        if header or cookie:
            throttle.failed(client)
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"error": f"missing or wrong {API_KEY_HEADER} header"}, status_code=401)
        else:
            response = pages.login_form(request)
        await response(scope, receive, send)


async def _store_failed(request: Request, error: Exception) -> Any:
    """A store that broke while serving: one line naming the problem, as JSON or a page."""
    access: StoreAccess = request.app.state.store
    known = isinstance(error, (StoreProblem, ReadOnlyStore))
    message = str(error) if known else describe(access.db_path, error)
    if request.url.path.startswith(("/api/", "/v1/")):
        return JSONResponse({"error": message}, status_code=503)
    return pages.render("error.html", status=503, message=message)


def create_app(
    db_path: str,
    *,
    api_key: str | None = None,
    max_body: int = COLLECTOR_MAX_BODY,
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
    body_budget: int = BODY_BUDGET,
    decode_budget: int = DECODE_BUDGET,
    retention_seconds: int | None = None,
) -> Starlette:
    """Return the dashboard app over the store at ``db_path`` (created when missing).

    Args:
        db_path: the SQLite store to read and write.
        api_key: when set, the collector needs it as ``x-api-key`` and the pages ask for it.
        max_body: the largest export body the collector takes, in bytes, after gunzip.
        allowed_hosts: Host headers to answer; None answers any (a server bound to a
            public address).
        body_budget: bytes of request bodies the collector holds at once (at least ``max_body``).
        decode_budget: decoded bytes the collector has in flight at once (at least ``max_body``).
        retention_seconds: when set, sessions older than this are pruned at start and daily.

    Raises:
        StoreProblem: the store cannot be read (the message names the problem and the fix).
    """
    if max_body <= 0:
        raise ValueError(f"max_body must be a positive number of bytes, got {max_body}")
    access = StoreAccess(db_path)
    key_check = KeyCheck(api_key)
    retention = RetentionTask(access, retention_seconds) if retention_seconds is not None else None
    static = str(resources.files("neatlogs_cli.server") / "static")
    routes = [
        Route("/v1/traces", collect_traces, methods=["POST"]),
        Route("/api/sessions", api.list_sessions),
        Route("/api/sessions.csv", manage.sessions_list_csv),
        Route("/api/sessions/{session_id:path}/summary", api.get_session_summary),
        Route("/api/sessions/{session_id:path}/export", manage.export_session),
        Route("/api/sessions/{session_id:path}", api.get_session, methods=["GET"]),
        Route("/api/sessions/{session_id:path}", manage.delete_session, methods=["DELETE"]),
        Route("/api/traces", api.list_traces),
        Route("/api/overview", api.get_overview),
        Route("/api/users", api.list_users),
        Route("/api/traces/{trace_id:path}/export", manage.export_trace),
        Route("/api/traces/{trace_id:path}", api.get_trace, methods=["GET"]),
        Route("/api/traces/{trace_id:path}", manage.delete_trace, methods=["DELETE"]),
        Route("/", pages.sessions_page),
        Route("/sessions/{session_id:path}", pages.session_page),
        Route("/traces", pages.traces_page),
        Route("/overview", overview.overview_page),
        Route("/users", overview.users_page),
        Route("/traces/{trace_id:path}", pages.trace_page),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login_submit, methods=["POST"]),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    middleware = [Middleware(_KeyGate, key_check=key_check)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if retention is not None:
            retention.start()
        yield
        if retention is not None:
            await retention.stop()
        access.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={sqlite3.Error: _store_failed, StoreProblem: _store_failed,
                                        ReadOnlyStore: _store_failed})
    app.state.store = access
    # Bodies held and bodies being decoded, each bounded in total (collector.ByteBudget):
    # a few max-size bodies at once, one decoded at a time, whatever the clients send.
    app.state.body_budget = ByteBudget(max(body_budget, max_body))
    app.state.decode_budget = ByteBudget(max(decode_budget, max_body))
    app.state.busy_answers = 0  # 503s for a full budget, counted (tests and benches read it)
    app.state.key_check = key_check
    app.state.max_body = max_body
    app.state.retention = retention
    return app
