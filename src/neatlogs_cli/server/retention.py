"""The collector's retention: sessions older than the ``retention`` setting pruned at start, then daily.

``neatlogs ui --retention 30d`` (or ``NEATLOGS_RETENTION``, or ``retention = "30d"`` in the
config file) keeps the store to the last 30 days: a session goes when its last span ended
before the cutoff, whole, through ``store.prune`` on the server's writer connection
(``StoreAccess.maintain``), so spans arriving meanwhile wait at most for one prune. The space
is not given back (no VACUUM while serving); ``neatlogs prune`` does that.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Callable

from neatlogs import _log, store

from .store_access import StoreAccess

__all__ = ["PRUNE_EVERY_SECONDS", "RetentionTask", "prune_older_than"]

PRUNE_EVERY_SECONDS = 24 * 3600
"""How often the collector prunes after the first time (at start)."""

_RETRY_SECONDS = 3600
"""After a failed prune (another process holding the store's lock), the next try comes sooner."""


def prune_older_than(access: StoreAccess, max_age_seconds: int, now_ns: int | None = None) -> tuple[int, int]:
    """Delete the sessions whose last span ended more than ``max_age_seconds`` ago.

    Returns:
        ``(sessions deleted, spans deleted)``.
    """
    now_ns = time.time_ns() if now_ns is None else now_ns
    cutoff = now_ns - max_age_seconds * 1_000_000_000
    return access.maintain(lambda conn: store.prune(conn, cutoff, vacuum=False))


class RetentionTask:
    """The asyncio task of one server that prunes at start and then every ``every_seconds``."""

    def __init__(self, access: StoreAccess, max_age_seconds: int, every_seconds: float = PRUNE_EVERY_SECONDS,
                 clock: Callable[[], int] = time.time_ns) -> None:
        if max_age_seconds <= 0:
            raise ValueError(f"retention must be longer than 0 seconds, got {max_age_seconds}")
        self.access = access
        self.max_age_seconds = max_age_seconds
        self.every_seconds = every_seconds
        self.clock = clock
        self.runs = 0
        """Prunes finished so far (tests wait on it; nothing else reads it)."""
        self.pruned_sessions = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop on the running event loop (the server's lifespan)."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="neatlogs-retention")

    async def stop(self) -> None:
        """Cancel the loop; a prune under way finishes first (it holds the writer's lock)."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass  # the cancellation we asked for
        self._task = None

    async def _loop(self) -> None:
        while True:
            wait = self.every_seconds
            try:
                sessions, _spans = await asyncio.to_thread(prune_older_than, self.access, self.max_age_seconds,
                                                           self.clock())
                self.pruned_sessions += sessions
            except sqlite3.Error as error:  # the world: a busy or unwritable store
                _log.debug("retention prune failed: %s", error)
                wait = min(wait, _RETRY_SECONDS)
            except Exception:
                _log.internal_error("retention prune failed")
                wait = min(wait, _RETRY_SECONDS)
            self.runs += 1
            await asyncio.sleep(wait)
