"""The dashboard's API key: the header the collector and scripts send, the login cookie pages use."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["API_KEY_HEADER", "KEY_COOKIE", "KeyCheck"]

API_KEY_HEADER = "x-api-key"
"""The header OTLP exporters and scripts send the key in (the same one the SDK sends)."""

KEY_COOKIE = "neatlogs_key"
"""The cookie the dashboard's login form sets: a digest of the key, never the key itself."""


class KeyCheck:
    """Checks requests against the key one server was started with (None: no key required)."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key or None
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
