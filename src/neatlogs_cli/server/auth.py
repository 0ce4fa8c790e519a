"""The dashboard's API key: the header the collector and scripts send, the login cookie pages use.

Wrong keys are throttled per client (:class:`KeyThrottle`): after a few, each further attempt
from that address waits twice as long as the last, so guessing the key takes years, not hours.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time

__all__ = ["API_KEY_HEADER", "KEY_COOKIE", "KeyCheck", "KeyThrottle"]

API_KEY_HEADER = "x-api-key"
"""The header OTLP exporters and scripts send the key in (the same one the SDK sends)."""

KEY_COOKIE = "neatlogs_key"
"""The cookie the dashboard's login form sets: a digest of the key, never the key itself."""


class KeyThrottle:
    """Backoff for wrong keys, per client address.

    The first ``free`` wrong keys cost nothing (a typo); after that each one blocks that
    client for ``base`` seconds, doubling up to ``cap``: at most a few attempts per second,
    then far fewer. A right key clears the count. All clients together also get at most
    ``overall_per_second`` wrong keys a second after a burst of ``overall_burst`` (a token
    bucket: loopback has many addresses to rotate through).
    """

    def __init__(self, free: int = 3, base: float = 0.5, cap: float = 30.0,
                 overall_per_second: float = 5.0, overall_burst: int = 10) -> None:
        self.free, self.base, self.cap = free, base, cap
        self.rate, self.burst = overall_per_second, float(overall_burst)
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._blocked_until: dict[str, float] = {}
        self._tokens = self.burst
        self._tokens_at = time.monotonic()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._tokens_at) * self.rate)
        self._tokens_at = now

    def _wait(self, client: str) -> float:
        """Seconds until ``client`` may try a key (0: now)."""
        now = time.monotonic()
        self._refill(now)
        overall = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
        return max(self._blocked_until.get(client, 0.0) - now, overall, 0.0)

    def allowed(self, client: str) -> bool:
        """True when ``client`` may try a key now."""
        with self._lock:
            return self._wait(client) == 0.0

    def wait(self, client: str) -> int:
        """Whole seconds until ``client`` may try again (for ``Retry-After``), at least 1."""
        with self._lock:
            return max(1, math.ceil(self._wait(client)))

    def failed(self, client: str) -> None:
        """Count a wrong key from ``client``."""
        with self._lock:
            now = time.monotonic()
            count = self._failures.get(client, 0) + 1
            self._failures[client] = count
            self._refill(now)
            self._tokens -= 1
            if count > self.free:
                delay = min(self.base * 2 ** (count - self.free - 1), self.cap)
                self._blocked_until[client] = now + delay
            if len(self._failures) > 10_000:  # many addresses: forget the oldest counts
                for stale in list(self._failures)[:5_000]:
                    self._failures.pop(stale, None)
                    self._blocked_until.pop(stale, None)

    def succeeded(self, client: str) -> None:
        """A right key from ``client``: its count starts again."""
        with self._lock:
            self._failures.pop(client, None)
            self._blocked_until.pop(client, None)


class KeyCheck:
    """Checks requests against the key one server was started with (None: no key required)."""

    def __init__(self, api_key: str | None = None, throttle: KeyThrottle | None = None) -> None:
        self.api_key = api_key or None
        self.throttle = throttle or KeyThrottle()
        self._cookie = (
            hmac.new(self.api_key.encode(), b"neatlogs-dashboard", hashlib.sha256).hexdigest()
            if self.api_key
            else None
        )

    @property
    def cookie_value(self) -> str | None:
        """What the login cookie holds when the key was given (None without a key)."""
        return self._cookie

    def key_matches(self, header: str | None) -> bool:
        """True when no key is required or ``header`` is the key (constant-time compare)."""
        if self.api_key is None:
            return True
        return header is not None and hmac.compare_digest(header.encode(), self.api_key.encode())

    def browser_allowed(self, header: str | None, cookie: str | None) -> bool:
        """True for the pages and API: no key required, the key header, or the login cookie."""
        if self._cookie is None or self.key_matches(header):
            return True
        return cookie is not None and hmac.compare_digest(cookie.encode(), self._cookie.encode())
