"""Assemble the Starlette app: collector, JSON API, pages, static files and the key gate."""

from __future__ import annotations

import contextlib
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
from . import api, manage, pages
from .auth import API_KEY_HEADER, KEY_COOKIE, KeyCheck
from .collector import collect_traces
from .retention import RetentionTask
from .store_access import StoreAccess

__all__ = ["LOOPBACK_HOSTS", "create_app"]

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
        if self.key_check.browser_allowed(request.headers.get(API_KEY_HEADER), request.cookies.get(KEY_COOKIE)):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/api/"):
            response: Any = JSONResponse({"error": f"missing or wrong {API_KEY_HEADER} header"}, status_code=401)
        else:
            response = pages.login_form(request)
        await response(scope, receive, send)


def create_app(
    db_path: str,
    *,
    api_key: str | None = None,
    max_body: int = COLLECTOR_MAX_BODY,
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
    retention_seconds: int | None = None,
) -> Starlette:
    """Return the dashboard app over the store at ``db_path`` (created when missing).

    Args:
        db_path: the SQLite store to read and write.
        api_key: when set, the collector needs it as ``x-api-key`` and the pages ask for it.
        max_body: the largest export body the collector takes, in bytes, after gunzip.
        allowed_hosts: Host headers to answer; None answers any (a server bound to a
            public address).
        retention_seconds: when set, sessions older than this are pruned at start and daily.
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
        Route("/api/traces/{trace_id}/export", manage.export_trace),
        Route("/api/traces/{trace_id}", api.get_trace, methods=["GET"]),
        Route("/api/traces/{trace_id}", manage.delete_trace, methods=["DELETE"]),
        Route("/", pages.sessions_page),
        Route("/sessions/{session_id:path}", pages.session_page),
        Route("/traces", pages.traces_page),
        Route("/traces/{trace_id}", pages.trace_page),
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

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.store = access
    app.state.key_check = key_check
    app.state.max_body = max_body
    app.state.retention = retention
    return app
