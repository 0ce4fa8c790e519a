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

__all__ = ["DashboardServer", "default_db_path", "is_loopback", "retention_seconds", "serve"]


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


def _create_app(db_path: str, host: str, api_key: str | None, max_body: int | None,
                retention_seconds: int | None = None) -> Any:
    from .server.app import LOOPBACK_HOSTS, create_app

    return create_app(
        db_path,
        api_key=api_key,
        max_body=COLLECTOR_MAX_BODY if max_body is None else max_body,
        # On loopback, answer only loopback Host headers: a web page cannot rebind a name to us.
        allowed_hosts=LOOPBACK_HOSTS if is_loopback(host) else None,
        retention_seconds=retention_seconds,
    )


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
        retention_seconds: int | None = None,
    ) -> None:
        import uvicorn

        self.app = _create_app(db_path, host, api_key, max_body, retention_seconds)
        config = uvicorn.Config(self.app, host=host, port=port, log_level=log_level, access_log=False)
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
    try:
        app = _create_app(db_path, host, api_key, max_body, retention_seconds(retention))
    except ValueError as error:
        print(f"neatlogs: {error}", file=sys.stderr)
        return 2
    shown = f"[{host}]" if ":" in host else host
    print(f"neatlogs dashboard: http://{shown}:{port}  (store {db_path})", flush=True)
    print(f"collector: POST http://{shown}:{port}/v1/traces  (set NEATLOGS_ENDPOINT=http://{shown}:{port})", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.run()
    # uvicorn returns without starting when it cannot bind (it logged why).
    return 0 if server.started else 1
