"""Keep ``neatlogs ui`` reachable under idle or slow connections, and its log from flooding.

uvicorn times out an idle keep-alive connection only after a response, and has no header
timeout: a client that connects and never finishes its request line holds a socket for ever,
and some thousand of them take the dashboard and the collector offline. :func:`guarded_h11`
returns uvicorn's h11 protocol with two additions:

* a header timeout: a connection with no request in progress (just opened, between
  requests, or still sending its headers) is closed after ``header_timeout`` seconds;
* a connection cap: past ``max_connections``, each new connection closes the oldest
  connection that has no request in progress, so held idle sockets never lock a real
  request out (when every connection is busy, the new one is closed instead).

:class:`RateLimitedLog` lets through a few lines per interval of a logger and folds the rest
into one "N lines suppressed" line.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "HEADER_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
    "RateLimitedLog",
    "guarded_h11",
    "limit_server_logs",
]

HEADER_TIMEOUT_SECONDS = 10.0
"""How long a connection may stay open with no request in progress (headers included)."""

MAX_CONNECTIONS = 256
"""Connections open at once; past it the oldest idle one is closed for the new one."""

_order = itertools.count()


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a cap on open connections."""

    max_connections = MAX_CONNECTIONS
    header_timeout = HEADER_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._neatlogs_order = next(_order)
        self._neatlogs_idle_since = next(_order)
        self._neatlogs_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._neatlogs_idle_since = next(_order)
        self._arm_header_timer()

    # --- the header timeout ---------------------------------------------------------------
    def _busy(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        self._neatlogs_timer = self.loop.call_later(self.header_timeout, self._header_timed_out, cycle)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_neatlogs_timer", None)
        if timer is not None:
            timer.cancel()
            self._neatlogs_timer = None

    def _header_timed_out(self, cycle_when_armed: Any) -> None:
        self._neatlogs_timer = None
        # A request that started since (a new cycle) is in the app's hands: leave it be.
        if self.cycle is cycle_when_armed and not self._busy():
            self.transport.close()

    # --- the connection cap ---------------------------------------------------------------
    def _make_room(self) -> None:
        # Connections already closing (their connection_lost still to run) count no more.
        live = [c for c in self.connections if isinstance(c, _GuardedH11) and not c.transport.is_closing()]
        excess = len(live) - self.max_connections
        if excess <= 0:
            return
        idle = [c for c in live if c is not self and not c._busy()]
        if len(idle) < excess:
            self.transport.close()  # every other connection is serving a request: refuse this one
            return
        for victim in sorted(idle, key=lambda c: c._neatlogs_idle_since)[:excess]:
            victim.transport.close()


def guarded_h11(max_connections: int = MAX_CONNECTIONS,
                header_timeout: float = HEADER_TIMEOUT_SECONDS) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol class with this cap and header timeout (``uvicorn.Config(http=...)``)."""
    if max_connections < 1 or header_timeout <= 0:
        raise ValueError("max_connections must be >= 1 and header_timeout > 0")
    return type("GuardedH11Protocol", (_GuardedH11,),
                {"max_connections": max_connections, "header_timeout": header_timeout})


class RateLimitedLog(logging.Filter):
    """A logging filter: ``burst`` records per ``interval`` seconds pass, the rest are counted.

    The first record let through after some were held back says how many were.
    """

    def __init__(self, burst: int = 10, interval: float = 10.0) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._window_start = time.monotonic()
        self._passed = 0
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window_start >= self.interval:
            self._window_start, self._passed = now, 0
        if self._passed >= self.burst:
            self.suppressed += 1
            return False
        self._passed += 1
        if self.suppressed:
            record.msg = f"{record.getMessage()} ({self.suppressed} similar log lines suppressed)"
            record.args = ()
            self.suppressed = 0
        return True


_LIMITED: dict[str, RateLimitedLog] = {}


def limit_server_logs(names: tuple[str, ...] = ("uvicorn.error", "uvicorn.access", "asyncio")) -> None:
    """Rate-limit these loggers (once per process: a second call changes nothing)."""
    for name in names:
        if name not in _LIMITED:
            _LIMITED[name] = RateLimitedLog()
            logging.getLogger(name).addFilter(_LIMITED[name])
