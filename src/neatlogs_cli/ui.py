"""``neatlogs ui``: serve the collector and dashboard, in the foreground or in a thread.

:class:`DashboardServer` runs the app with uvicorn in a background thread (port 0 picks a
free one), the way httpx's test suite runs its servers; the tests, the benchmarks and
:func:`serve` all use it.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from .defaults import COLLECTOR_MAX_BODY, DASHBOARD_HOST, DASHBOARD_PORT

__all__ = ["DashboardServer", "allowed_hosts_for", "default_db_path", "is_loopback", "retention_seconds",
           "serve"]


def default_db_path() -> str:
    """The local store the SDK writes by default (``$NEATLOGS_HOME/traces.db``)."""
    from neatlogs import config

    return config.load().store_path


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable only from this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts_for(host: str) -> tuple[str, ...] | None:
    """The Host headers a server bound to ``host`` answers (None: any, off loopback).

    On loopback only loopback names and the address it was given (``--host 127.0.0.2``):
    a web page cannot rebind a name of its own to us.
    """
    from .server.app import LOOPBACK_HOSTS

    if not is_loopback(host):
        return None
    bare = host.strip("[]")
    given = (bare, f"[{bare}]") if ":" in bare else (bare,)
    return LOOPBACK_HOSTS + tuple(h for h in given if h not in LOOPBACK_HOSTS)


def _create_app(db_path: str, host: str, api_key: str | None, max_body: int | None,
                retention_seconds: int | None = None, **budgets: int) -> Any:
    from .server.app import create_app

    return create_app(
        db_path,
        api_key=api_key,
        max_body=COLLECTOR_MAX_BODY if max_body is None else max_body,
        allowed_hosts=allowed_hosts_for(host),
        retention_seconds=retention_seconds,
        **budgets,
    )


def _uvicorn_config(app: Any, host: str, port: int, log_level: str,
                    max_connections: int | None = None, header_timeout: float | None = None) -> Any:
    """uvicorn's settings for the dashboard: the guarded h11 protocol, logs rate-limited."""
    import uvicorn

    from .server.guard import HEADER_TIMEOUT_SECONDS, MAX_CONNECTIONS, guarded_h11, limit_server_logs

    limit_server_logs()
    protocol = guarded_h11(max_connections or MAX_CONNECTIONS, header_timeout or HEADER_TIMEOUT_SECONDS)
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, http=protocol,
                          timeout_keep_alive=5)


def retention_seconds(given: str | None) -> int | None:
    """The retention in seconds: ``--retention``, else the ``retention`` setting (env, config file).

    Raises:
        ValueError: the age cannot be read; the message names where it came from.
    """
    from .maintenance import parse_age

    where = "--retention"
    if given is None:
        from neatlogs import config

        settings = config.load()
        given, where = settings.retention, settings.sources.get("retention", "the config")
    if given is None:
        return None
    try:
        seconds = parse_age(given)
    except ValueError as error:
        raise ValueError(f"retention from {where}: {error}") from None
    if seconds <= 0:
        raise ValueError(f"retention from {where} must be longer than 0, not {given!r}")
    return seconds


class DashboardServer:
    """The dashboard app served by uvicorn in a daemon thread.

    ``with DashboardServer(db_path) as server: server.url`` — the server is listening when
    the ``with`` body starts and has stopped when it ends.
    """

    def __init__(
        self,
        db_path: str,
        *,
        host: str = DASHBOARD_HOST,
        port: int = 0,
        api_key: str | None = None,
        max_body: int | None = None,
        log_level: str = "warning",
        max_connections: int | None = None,
        header_timeout: float | None = None,
        body_budget: int | None = None,
        retention_seconds: int | None = None,
    ) -> None:
        import uvicorn

        budgets = {"body_budget": body_budget} if body_budget is not None else {}
        self.app = _create_app(db_path, host, api_key, max_body, retention_seconds, **budgets)
        config = _uvicorn_config(self.app, host, port, log_level, max_connections, header_timeout)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="neatlogs-ui", daemon=True)
        self.host = host

    @property
    def port(self) -> int:
        """The port the server is bound to (the real one when started with port 0)."""
        return self._server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:6006``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> DashboardServer:
        """Start serving; return once the socket listens.

        Raises:
            RuntimeError: the server did not start (e.g. the port is taken).
        """
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard could not start on {self.host}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(
    host: str = DASHBOARD_HOST,
    port: int = DASHBOARD_PORT,
    db_path: str | None = None,
    api_key: str | None = None,
    max_body: int | None = None,
    retention: str | None = None,
) -> int:
    """Serve the collector and dashboard until Ctrl-C; return the exit code.

    ``retention`` (e.g. ``30d``; default: the ``retention`` setting) prunes older sessions at
    start and daily.
    """
    import uvicorn

    db_path = db_path or default_db_path()
    if not is_loopback(host) and not api_key:
        print(
            f"neatlogs: warning: serving on {host} without --api-key: anyone who can reach "
            "this address can read your traces and send spans",
            file=sys.stderr,
        )
    from .store_open import StoreProblem

    try:
        app = _create_app(db_path, host, api_key, max_body, retention_seconds(retention))
    except ValueError as error:
        print(f"neatlogs: {error}", file=sys.stderr)
        return 2
    except StoreProblem as problem:
        print(f"neatlogs: {problem}", file=sys.stderr)
        return 1
    if app.state.store.readonly:
        print(f"neatlogs: the store {db_path} is read-only: serving it read-only (the collector takes no spans)",
              file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"neatlogs dashboard: http://{shown}:{port}  (store {db_path})", flush=True)
    print(f"collector: POST http://{shown}:{port}/v1/traces  (set NEATLOGS_ENDPOINT=http://{shown}:{port})", flush=True)
    server = uvicorn.Server(_uvicorn_config(app, host, port, "warning"))
    server.run()
    # uvicorn returns without starting when it cannot bind (it logged why).
    return 0 if server.started else 1
